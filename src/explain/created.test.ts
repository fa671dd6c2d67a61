import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainCreated, renderCreated } from './created.js';

describe('create --explain', () => {
  const e = explainCreated({
    id: 'a'.repeat(64), name: 'web', image: 'busybox', imageId: `sha256:${'b'.repeat(64)}`, layers: 1,
    argv: ['sh', '-c', 'true'], user: { uid: 0, gid: 0 }, cwd: '/', hostname: 'aaaaaaaaaaaa', dir: '/var/lib/moby-dick/containers/x',
  });

  test('what create did, nothing asked of the kernel, and the command that shows the rest', () => {
    assert.equal(e.form, 'create');
    assert.deepEqual(e.kernel, []);
    assert.equal(e.next, 'moby-dick start --explain web');
    assert.match(e.did[0]!, /^found the image busybox \(sha256:bbbbbbbbbbbb\): 1 read-only layer, /);
    assert.match(e.did[1]!, /sh -c true, as user 0, group 0, in \/, hostname aaaaaaaaaaaa/);
    assert.match(e.did[2]!, /^made its directory \/var\/lib\/moby-dick\/containers\/x,/);
  });

  test('text for --explain and --explain=full, JSON for --explain=json', () => {
    const text = renderCreated(e, 'text');
    assert.equal(renderCreated(e, 'full'), text);
    assert.match(text, /^What create did \(web\): sh -c true — nothing asked of the kernel yet\n {2}1\. found/);
    assert.match(text, /To see how: moby-dick start --explain web\n$/);
    assert.deepEqual(JSON.parse(renderCreated(e, 'json')), JSON.parse(JSON.stringify(e)));
  });
});
