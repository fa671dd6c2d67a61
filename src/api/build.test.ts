import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeSync, constants as fsc, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRequestOf, readContext } from './build.js';
import { ApiError } from './errors.js';

const q = (s: string) => new URLSearchParams(s);

test('the defaults of an empty query', () => {
  assert.deepEqual(buildRequestOf(q('')), { tags: [], dockerfile: 'Dockerfile', buildArgs: new Map(), noCache: false, pull: false, labels: {}, network: 'bridge', quiet: false });
});

test('what the docker CLI sends: t repeated, dockerfile, buildargs and labels as JSON, target, flags, networkmode', () => {
  const r = buildRequestOf(q(`t=a:1&t=b&dockerfile=sub%2FDockerfile.x&buildargs=${encodeURIComponent('{"A":"1","B":null}')}&labels=${encodeURIComponent('{"l":"v"}')}&target=app&nocache=1&pull=true&q=1&rm=1&forcerm=0&networkmode=none&version=1&cachefrom=%5B%5D&memory=0`));
  assert.deepEqual(r.tags, ['a:1', 'b']);
  assert.equal(r.dockerfile, 'sub/Dockerfile.x');
  // a build arg without a value (null) is left to the ARG's default
  assert.deepEqual([...r.buildArgs], [['A', '1']]);
  assert.deepEqual(r.labels, { l: 'v' });
  assert.equal(r.target, 'app');
  assert.deepEqual([r.noCache, r.pull, r.quiet, r.network], [true, true, true, 'none']);
  assert.equal(buildRequestOf(q('networkmode=default')).network, 'bridge');
  assert.equal(buildRequestOf(q('networkmode=host')).network, 'host');
});

function refused(query: string, status: number, message: RegExp): void {
  assert.throws(() => buildRequestOf(q(query)), (e: unknown) => e instanceof ApiError && e.status === status && message.test(e.message));
}

test('BuildKit (version=2) is refused with Docker\'s words; so are remote contexts, squash, other platforms, bad JSON', () => {
  refused('version=2', 400, /^buildkit is not enabled on daemon$/);
  refused('version=3', 400, /invalid version 3/);
  refused('remote=https://example.com/x.tar', 501, /remote build context is not supported/);
  refused('squash=1', 400, /squash is only supported with experimental mode/);
  refused('platform=windows/amd64', 400, /platform windows\/amd64 is not supported/);
  refused('buildargs=%7Bnot', 400, /error reading build args/);
  refused('buildargs=%5B%5D', 400, /error reading build args: expected a JSON object/);
  refused(`labels=${encodeURIComponent('{"l":null}')}`, 400, /error reading labels: l: expected a string/);
});

test('readContext: the Dockerfile named (or `dockerfile`), .dockerignore; a symlink cannot lead out of the context', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-build-context-'));
  const outside = mkdtempSync(join(tmpdir(), 'mdk-test-build-outside-'));
  const root = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    writeFileSync(join(outside, 'Dockerfile'), 'FROM secret\n');
    writeFileSync(join(dir, 'dockerfile'), 'FROM lower\n');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'Dockerfile.dev'), 'FROM dev\n');
    writeFileSync(join(dir, '.dockerignore'), 'secret\n');
    assert.equal(readContext(root, 'Dockerfile').text, 'FROM lower\n');
    assert.equal(readContext(root, 'sub/Dockerfile.dev').text, 'FROM dev\n');
    assert.equal(readContext(root, '/sub/../sub/Dockerfile.dev').text, 'FROM dev\n');
    assert.equal(readContext(root, 'sub/Dockerfile.dev').ignore.excludes('secret'), true);
    // a link to the outside resolves inside the context, where there is no such file
    symlinkSync(join(outside, 'Dockerfile'), join(dir, 'linked'));
    symlinkSync('../../../../../../..' + join(outside, 'Dockerfile'), join(dir, 'relative'));
    for (const name of ['linked', 'relative', '../' + outside.split('/').pop() + '/Dockerfile', 'sub']) {
      assert.throws(() => readContext(root, name), (e: unknown) => e instanceof ApiError && e.status === 400 && e.message === `Cannot locate specified Dockerfile: ${name}`, name);
    }
  } finally {
    closeSync(root);
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});
