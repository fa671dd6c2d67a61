/**
 * TLS with NODE_EXTRA_CA_CERTS deferred by the launcher
 * (src/util/deferred-ca-certs.ts): the registry client trusts the deferred file's CA,
 * which Node itself never loaded. A CA and a server certificate for
 * 127.0.0.1 are made with openssl for the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFERRED_CA_CERTS, takeDeferredCaCerts, tlsContextWithDeferredCerts } from '../../util/deferred-ca-certs.js';
import { request } from './http.js';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('registry HTTP over TLS with a deferred NODE_EXTRA_CA_CERTS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-tls-'));
  const f = (name: string) => join(dir, name);
  let server: Server;
  let base = '';

  before(async () => {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=mdk-test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1',
      '-keyout', f('server.key'), '-out', f('server.csr')]);
    writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
      '-extfile', f('san.ext'), '-out', f('server.pem')]);
    server = createServer({ key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')) }, (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('without it, the server is not trusted (what the test relies on)', async () => {
    assert.equal(tlsContextWithDeferredCerts(), undefined);
    await assert.rejects(
      new Promise((resolve, reject) => get(`${base}/v2/`, resolve).on('error', reject)),
      (e: NodeJS.ErrnoException) => /SELF_SIGNED|UNABLE_TO_VERIFY|unable to (get|verify)/i.test(`${e.code} ${e.message}`),
    );
  });

  test('the launcher\'s variable is taken back into NODE_EXTRA_CA_CERTS, and the client trusts its CA', async () => {
    const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS]: f('ca.pem') };
    takeDeferredCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: f('ca.pem') });
    const res = await request(`${base}/v2/`, { method: 'GET' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{"ok":true}');
  });

  test('a NODE_EXTRA_CA_CERTS set by hand is left as it is', () => {
    const env: NodeJS.ProcessEnv = { [DEFERRED_CA_CERTS]: '/x', NODE_EXTRA_CA_CERTS: '/y' };
    takeDeferredCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/y' });
  });
});
