import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_VERSION } from '../../engine/system-info.js';
import { renderTemplate } from '../go-template.js';
import { versionDocument, versionText } from './version.js';

test("version: Docker's Client and Server sections, the values in a column at 20; the server is the engine (Node's version for Go's)", () => {
  const text = versionText(versionDocument('1.2.3'));
  const lines = text.split('\n');
  assert.equal(lines[0], 'Client: moby-dick');
  assert.equal(lines[1], ' Version:           1.2.3');
  assert.equal(lines[2], ` API version:       ${API_VERSION}`);
  assert.equal(lines[3], ` Node version:      ${process.version}`);
  assert.match(lines[4]!, /^ OS\/Arch:           linux\/(amd64|arm64|\w+)$/);
  assert.equal(lines[6], '');
  assert.equal(lines[7], 'Server: moby-dick');
  assert.equal(lines[8], ' Engine:');
  assert.equal(lines[9], '  Version:          1.2.3');
  assert.equal(lines[10], `  API version:      ${API_VERSION} (minimum version 1.24)`);
  assert.equal(lines[11], `  Node version:     ${process.version}`);
  assert.ok(text.endsWith('  Experimental:     false\n'));
});

test('version --format: the fields of the Client and the Server, and the whole as JSON', () => {
  const doc = versionDocument('1.2.3');
  assert.equal(renderTemplate('{{.Client.Version}} {{.Server.Version}} {{.Server.ApiVersion}}', doc), `1.2.3 1.2.3 ${API_VERSION}`);
  const json = JSON.parse(renderTemplate('{{json .}}', doc));
  assert.equal(json.Server.Components[0].Name, 'Engine');
  assert.equal(json.Client.Platform.Name, 'moby-dick');
});
