import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectOutput, renderTemplate } from './go-template.js';

describe('Docker CLI formatting', () => {
  test('templates: fields, nested fields, json, and a refusal for the rest', () => {
    const doc = { Id: 'sha256:x', Config: { Cmd: ['sh', '-c'], Labels: { b: '2', a: '1' } }, RepoTags: ['a<b>'] };
    assert.equal(renderTemplate('{{.Id}} {{ .Config.Cmd }}', doc), 'sha256:x [sh -c]');
    assert.equal(renderTemplate('{{.Config.Labels}}', doc), 'map[a:1 b:2]');
    assert.equal(renderTemplate('{{json .RepoTags}}', doc), '["a\\u003cb\\u003e"]');
    assert.equal(renderTemplate('{{.Nope}}', doc), '<no value>');
    assert.throws(() => renderTemplate('{{range .RepoTags}}', doc), /unsupported action \{\{range \.RepoTags\}\}/);
  });
});

describe('inspect output', () => {
  const docs = [{ Name: 'a<b', Config: { Env: ['X=1'] } }, { Name: 'c', Config: { Env: [] } }];

  test('a template: one line per document', () => {
    assert.equal(inspectOutput(docs, '{{.Name}} {{json .Config.Env}}'), 'a<b ["X=1"]\nc []\n');
  });

  test('no template (or an empty one): one JSON array, 4 spaces, HTML characters escaped as Go does', () => {
    const out = inspectOutput(docs, undefined);
    assert.equal(out, inspectOutput(docs, ''));
    assert.ok(out.startsWith('[\n    {\n        "Name": "a\\u003cb",'), out);
    assert.deepEqual(JSON.parse(out), docs);
  });
});
