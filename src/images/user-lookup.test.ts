import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGroup, parsePasswd, resolveGroups, resolveUser } from './user-lookup.js';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment:x:5:5::/:
broken line
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
`;
const GROUP = `root:x:0:
daemon:x:1:app
staff:x:50:app,www-data
app:x:1000:
docker:x:999:app
`;

describe('passwd and group files', () => {
  test('lines are parsed; comments and malformed lines skipped', () => {
    assert.deepEqual(parsePasswd(PASSWD).map((u) => u.name), ['root', 'daemon', 'www-data', 'app']);
    assert.deepEqual(parseGroup(GROUP).find((g) => g.name === 'staff'), { name: 'staff', gid: 50, members: ['app', 'www-data'] });
  });
});

describe('resolveUser as Docker does', () => {
  test('a name: its uid, primary gid, home, and the groups that list it', () => {
    assert.deepEqual(resolveUser('app', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [1, 50, 999], home: '/home/app' });
  });

  test('empty means root, with root\'s home', () => {
    assert.deepEqual(resolveUser('', PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  });

  test('a known uid takes the entry\'s gid and home', () => {
    assert.deepEqual(resolveUser('33', PASSWD, GROUP), { uid: 33, gid: 33, additionalGids: [50], home: '/var/www' });
  });

  test('an unknown uid is fine: gid 0, home /', () => {
    assert.deepEqual(resolveUser('4242', PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
    assert.deepEqual(resolveUser('4242:77', null, null), { uid: 4242, gid: 77, additionalGids: [], home: '/' });
  });

  test('a group by name or number replaces the primary group', () => {
    assert.equal(resolveUser('app:staff', PASSWD, GROUP).gid, 50);
    assert.deepEqual(resolveUser('app:staff', PASSWD, GROUP).additionalGids, [1, 999], 'the primary group is not repeated');
    assert.equal(resolveUser('www-data:7', PASSWD, GROUP).gid, 7);
  });

  test('an unknown name or group is Docker\'s error', () => {
    assert.throws(() => resolveUser('nobody', PASSWD, GROUP), /unable to find user nobody: no matching entries in passwd file/);
    assert.throws(() => resolveUser('app:wheel', PASSWD, GROUP), /unable to find group wheel: no matching entries in group file/);
    assert.throws(() => resolveUser('app', null, null), /unable to find user app/);
  });
});

describe('resolveGroups (--group-add)', () => {
  test('numbers as given, names through the image\'s group file, an unknown name refused', () => {
    assert.deepEqual(resolveGroups(['staff', '4242', 'docker'], GROUP), [50, 4242, 999]);
    assert.deepEqual(resolveGroups(['7'], null), [7]);
    assert.throws(() => resolveGroups(['wheel'], GROUP), /unable to find group wheel: no matching entries in group file/);
  });
});
