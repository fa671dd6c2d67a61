import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MobyDickError } from '../../errors.js';
import { parseChallenges } from './auth-challenge.js';
import { credentialsFor, DOCKER_HUB_AUTH_KEY, dockerConfigPath, removeCredentials, storeCredentials } from './docker-config.js';
import { loginDomain } from './login.js';
import { isInsecure } from './registry-config.js';

describe('WWW-Authenticate challenges', () => {
  test('Docker Hub\'s bearer challenge', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    });
  });

  test('commas inside quotes, escapes, spaces, unquoted values, several challenges', () => {
    const cs = parseChallenges('Basic realm="Registry Realm", Bearer realm="http://h/t" , scope="repository:a/b:pull,push", error=insufficient_scope, note="say \\"hi\\""');
    assert.equal(cs.length, 2);
    assert.deepEqual(cs[0], { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.deepEqual(cs[1]!.params, { realm: 'http://h/t', scope: 'repository:a/b:pull,push', error: 'insufficient_scope', note: 'say "hi"' });
  });

  test('a scheme alone, and token68', () => {
    assert.deepEqual(parseChallenges('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
    assert.deepEqual(parseChallenges('Negotiate abc==, Basic realm=x'), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
    assert.deepEqual(parseChallenges(''), []);
  });
});

describe('~/.docker/config.json', () => {
  const dir = mkdtempSync('/tmp/mdk-test-dockercfg-');
  const env = { DOCKER_CONFIG: dir } as NodeJS.ProcessEnv;
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('DOCKER_CONFIG or HOME/.docker', () => {
    assert.equal(dockerConfigPath(env), join(dir, 'config.json'));
    assert.equal(dockerConfigPath({ HOME: '/home/x' } as NodeJS.ProcessEnv), '/home/x/.docker/config.json');
  });

  test('stores base64 auths, keeps other fields, mode 0600, removes', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ proxies: { default: { httpProxy: 'x' } }, auths: { 'other.example': { auth: 'eDp5' } } }));
    storeCredentials('127.0.0.1:5000', { username: 'mdk', password: 'p:a:ss' }, env);
    storeCredentials('docker.io', { username: 'hub', password: 'h' }, env);
    const doc = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { proxies: unknown; auths: Record<string, { auth: string }> };
    assert.deepEqual(doc.proxies, { default: { httpProxy: 'x' } });
    assert.equal(doc.auths['127.0.0.1:5000']!.auth, Buffer.from('mdk:p:a:ss').toString('base64'));
    assert.ok(doc.auths[DOCKER_HUB_AUTH_KEY]);
    assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o600);
    assert.deepEqual(credentialsFor('127.0.0.1:5000', env), { username: 'mdk', password: 'p:a:ss' });
    assert.deepEqual(credentialsFor('docker.io', env), { username: 'hub', password: 'h' });
    assert.deepEqual(credentialsFor('other.example', env), { username: 'x', password: 'y' });
    assert.equal(credentialsFor('nowhere.example', env), undefined);
    assert.equal(removeCredentials('127.0.0.1:5000', env), true);
    assert.equal(removeCredentials('127.0.0.1:5000', env), false);
    assert.equal(credentialsFor('127.0.0.1:5000', env), undefined);
  });

  test('an identitytoken entry (a login through an identity provider) is an identity token', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'idp.mdk-test': { auth: Buffer.from('me:').toString('base64'), identitytoken: 'r3fresh' } } }));
    assert.deepEqual(credentialsFor('idp.mdk-test', env), { username: 'me', password: '', identityToken: 'r3fresh' });
  });

  test('keys written with a scheme by old clients still match', () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'https://reg.example:5000/v2/': { auth: Buffer.from('a:b').toString('base64') } } }));
    assert.deepEqual(credentialsFor('reg.example:5000', env), { username: 'a', password: 'b' });
  });

  test('a broken file is named', () => {
    writeFileSync(join(dir, 'config.json'), '{oops');
    assert.throws(() => credentialsFor('x', env), /config\.json is not valid JSON/);
  });

  test('login server names', () => {
    assert.equal(loginDomain(undefined), 'docker.io');
    assert.equal(loginDomain('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(loginDomain('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
    assert.equal(loginDomain('Registry.Example'), 'registry.example');
  });
});

describe('credential helpers (credsStore, credHelpers)', () => {
  const dir = mkdtempSync('/tmp/mdk-test-credhelper-');
  const bin = join(dir, 'bin');
  const store = join(dir, 'store');
  mkdirSync(bin);
  mkdirSync(store);
  // a helper keeping one file per server, as docker-credential-helpers' protocol says
  writeFileSync(
    join(bin, 'docker-credential-mdktest'),
    `#!/bin/sh
key() { printf %s "$1" | tr -c 'A-Za-z0-9' _; }
echo "$1" >> "$MDK_TEST_STORE/calls"
case $1 in
get) read -r server; f="$MDK_TEST_STORE/$(key "$server")"; echo "get $server" >> "$MDK_TEST_STORE/calls"
  if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
store) cat > "$MDK_TEST_STORE/in"; server=$(sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/' "$MDK_TEST_STORE/in"); mv "$MDK_TEST_STORE/in" "$MDK_TEST_STORE/$(key "$server")" ;;
erase) read -r server; f="$MDK_TEST_STORE/$(key "$server")"; [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "$f" ;;
esac
`,
    { mode: 0o755 },
  );
  const env = { DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}`, MDK_TEST_STORE: store } as NodeJS.ProcessEnv;
  const config = (doc: object) => writeFileSync(join(dir, 'config.json'), JSON.stringify(doc));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('credsStore keeps what login stores: get, an empty auths entry, erase', () => {
    config({ credsStore: 'mdktest' });
    storeCredentials('reg.mdk-test:5000', { username: 'u', password: 's3cret' }, env);
    const doc = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { auths: Record<string, object> };
    assert.deepEqual(doc.auths, { 'reg.mdk-test:5000': {} }, 'no password in the file');
    assert.deepEqual(credentialsFor('reg.mdk-test:5000', env), { username: 'u', password: 's3cret' });
    assert.equal(credentialsFor('other.mdk-test', env), undefined, 'not found: anonymous');
    assert.equal(removeCredentials('reg.mdk-test:5000', env), true);
    assert.equal(credentialsFor('reg.mdk-test:5000', env), undefined);
    assert.equal(removeCredentials('reg.mdk-test:5000', env), false);
  });

  test('Docker Hub is asked for by its key', () => {
    config({ credsStore: 'mdktest' });
    writeFileSync(join(dir, 'calls'), '');
    storeCredentials('docker.io', { username: 'hub', password: 'h' }, env);
    assert.deepEqual(credentialsFor('docker.io', env), { username: 'hub', password: 'h' });
    assert.match(readFileSync(join(store, 'calls'), 'utf8'), /^get https:\/\/index\.docker\.io\/v1\/$/m);
  });

  test('credHelpers before credsStore; a helper that is not installed is named, with what to do', () => {
    config({ credsStore: 'mdk-test-missing', credHelpers: { 'reg.mdk-test:5000': 'mdktest' } });
    storeCredentials('reg.mdk-test:5000', { username: 'a', password: 'b' }, env);
    assert.deepEqual(credentialsFor('reg.mdk-test:5000', env), { username: 'a', password: 'b' });
    assert.throws(
      () => credentialsFor('elsewhere.mdk-test', env),
      (e: unknown) => e instanceof MobyDickError && /docker-credential-mdk-test-missing get: not found in PATH/.test(e.message) && /credsStore/.test(e.details.hint ?? ''),
    );
  });

  test('an identity token ("<token>") is taken as one; a broken answer is named', () => {
    config({ credsStore: 'mdktest' });
    writeFileSync(join(store, 'tok_mdk_test'), JSON.stringify({ ServerURL: 'tok.mdk-test', Username: '<token>', Secret: 'refresh' }));
    assert.deepEqual(credentialsFor('tok.mdk-test', env), { username: '', password: '', identityToken: 'refresh' });
    writeFileSync(join(store, 'bad_mdk_test'), 'not json');
    assert.throws(() => credentialsFor('bad.mdk-test', env), /docker-credential-mdktest get: its answer is not JSON/);
  });
});

describe('insecure registries', () => {
  test('loopback always, others when named', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.equal(isInsecure(h, []), true, h);
    assert.equal(isInsecure('reg.example:5000', []), false);
    assert.equal(isInsecure('reg.example:5000', ['reg.example:5000']), true);
    assert.equal(isInsecure('reg.example:5000', ['reg.example']), true, 'a host without a port covers its ports');
    assert.equal(isInsecure('reg.example:5000', ['reg.example:6000']), false);
    assert.equal(isInsecure('reg.example', ['http://reg.example/']), true);
    assert.equal(isInsecure('128.0.0.1', []), false);
  });
});
