/**
 * The Engine API over TCP with TLS and client verification (dockerd's
 * --tlsverify): certificates made here with openssl (a CA, the service's
 * for 127.0.0.1, a client's; and a stranger CA's client), the service on a
 * free port of 127.0.0.1, and the real docker CLI with DOCKER_TLS_VERIFY.
 * A client without a certificate of the CA is refused in the handshake.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, spawnService } from '../helpers/api-service.js';
import { run } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { freePort } from '../helpers/registry.js';

const CLIENTS = ['/usr/bin/docker', '/usr/local/bin/docker'].filter((c) => existsSync(c));

/** A CA in DIR/NAME-ca.pem (its key beside it). */
function makeCa(dir: string, name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}-ca-key.pem`), '-out', join(dir, `${name}-ca.pem`)], { stdio: 'pipe' });
}

/** A key and certificate signed by CA's, for a server (127.0.0.1) or a client. */
function makeCert(dir: string, ca: string, name: string, kind: 'server' | 'client'): void {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, kind === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}.csr`)], { stdio: 'pipe' });
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}-ca.pem`), '-CAkey', join(dir, `${ca}-ca-key.pem`), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', join(dir, `${name}-cert.pem`)],
    { stdio: 'pipe' },
  );
}

describe('the Engine API over TCP with TLS client verification', () => {
  const w = useEngine();
  let dir = '';
  let port = 0;
  let service: ServiceProcess | undefined;

  /** DOCKER_CERT_PATH of a client with the certificate NAME (trusting our CA for the server) */
  const certPath = (name: string): string => {
    const p = join(dir, `docker-${name}`);
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, 'ca.pem'), readFileSync(join(dir, 'ours-ca.pem')));
    writeFileSync(join(p, 'cert.pem'), readFileSync(join(dir, `${name}-cert.pem`)));
    writeFileSync(join(p, 'key.pem'), readFileSync(join(dir, `${name}-key.pem`)));
    return p;
  };
  const docker = (client: string, args: readonly string[], certs: string) =>
    run(client, args, {
      env: { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, DOCKER_CONFIG: join(dir, 'docker-config') },
      timeoutMs: 60_000,
    });

  /** An HTTPS GET of /_ping with the given client certificate (or none): the status, or the error's code. */
  const ping = (client?: string): Promise<string> =>
    new Promise((resolve) => {
      const https = process.getBuiltinModule('node:https');
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/_ping',
          ca: readFileSync(join(dir, 'ours-ca.pem')),
          ...(client ? { cert: readFileSync(join(dir, `${client}-cert.pem`)), key: readFileSync(join(dir, `${client}-key.pem`)) } : {}),
        },
        (res) => {
          res.resume();
          resolve(String(res.statusCode));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });

  before(async () => {
    dir = mkdtempSync('/tmp/mdk-test-api-tls-');
    makeCa(dir, 'ours');
    makeCa(dir, 'stranger');
    makeCert(dir, 'ours', 'server', 'server');
    makeCert(dir, 'ours', 'client', 'client');
    makeCert(dir, 'stranger', 'intruder', 'client');
    const tagged = await w.env.mdk(['tag', w.image, 'busybox']);
    assert.equal(tagged.code, 0, tagged.stderr);
    port = await freePort();
    const tls = ['--tlsverify', '--tlscacert', join(dir, 'ours-ca.pem'), '--tlscert', join(dir, 'server-cert.pem'), '--tlskey', join(dir, 'server-key.pem')];
    service = await spawnService(['--host', `tcp://127.0.0.1:${port}`, '--timeout', '0', ...tls], w.env.env);
    assert.match(service.log(), /API listening on tcp:\/\/127\.0\.0\.1:\d+ \(TLS/);
  });

  after(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  checkEachTest(w);

  test('a client with a certificate of the CA is served; without one, or of another CA, refused in the handshake', async () => {
    assert.equal(await ping('client'), '200');
    const none = await ping();
    assert.notEqual(none, '200', 'no client certificate');
    assert.match(none, /ECONNRESET|EPROTO|ERR_SSL|certificate/i);
    const stranger = await ping('intruder');
    assert.notEqual(stranger, '200', "a certificate of another CA");
    assert.match(stranger, /ECONNRESET|EPROTO|ERR_SSL|certificate/i);
  });

  for (const client of CLIENTS) {
    test(`docker (${client}) with DOCKER_TLS_VERIFY: version, run with attach (a hijacked TLS connection), ps`, async () => {
      const certs = certPath('client');
      const v = await docker(client, ['version', '--format', '{{.Server.APIVersion}}'], certs);
      assert.equal(v.code, 0, `${v.stderr}\n${service?.log()}`);
      assert.match(v.stdout, /^1\.\d+\n$/);
      const r = await docker(client, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo over tls; exit 3'], certs);
      assert.equal(r.code, 3, `${r.stderr}\n${service?.log()}`);
      assert.equal(r.stdout, 'over tls\n');
      const ps = await docker(client, ['ps', '-aq'], certs);
      assert.equal(ps.code, 0, ps.stderr);
      assert.equal(ps.stdout, '', '--rm removed it');
      const refused = await docker(client, ['ps'], certPath('intruder'));
      assert.notEqual(refused.code, 0, 'a client certificate of another CA');
    });
  }

  test('tcp:// without --tlsverify, --tls alone, unreadable or unusable TLS files: refused with what to do', async () => {
    const plain = await w.env.mdk(['system', 'service', '--host', 'tcp://127.0.0.1:1']);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /TCP needs TLS client verification/);
    assert.match(plain.stderr, /--tlsverify/);
    const tlsOnly = await w.env.mdk(['system', 'service', '--host', 'tcp://127.0.0.1:1', '--tls']);
    assert.match(tlsOnly.stderr, /--tls without --tlsverify is refused/);
    const missing = await w.env.mdk(['system', 'service', '--host', 'tcp://127.0.0.1:1', '--tlsverify', '--tlscacert', join(dir, 'nope.pem'), '--tlscert', join(dir, 'server-cert.pem'), '--tlskey', join(dir, 'server-key.pem')]);
    assert.match(missing.stderr, /cannot read --tlscacert .*nope\.pem: ENOENT/);
    // the client's key with the server's certificate: not a pair
    const mismatched = await w.env.mdk(['system', 'service', '--host', 'tcp://127.0.0.1:1', '--tlsverify', '--tlscacert', join(dir, 'ours-ca.pem'), '--tlscert', join(dir, 'server-cert.pem'), '--tlskey', join(dir, 'client-key.pem')]);
    assert.notEqual(mismatched.code, 0);
    assert.match(mismatched.stderr, /cannot use the TLS files/);
    assert.doesNotMatch(mismatched.stderr, /\n\s+at /, 'no stack trace');
  });
});
