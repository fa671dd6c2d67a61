import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { configPath, configuredBip, configuredInsecureRegistries, DEFAULT_CONFIG_PATH } from './config-file.js';

describe('the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const withFile = (text: string): NodeJS.ProcessEnv => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, text);
    return { MOBY_DICK_CONFIG: path };
  };

  test('is /etc/moby-dick/config.json unless MOBY_DICK_CONFIG names another', () => {
    assert.equal(configPath({}), DEFAULT_CONFIG_PATH);
    assert.equal(configPath({ MOBY_DICK_CONFIG: '/x.json' }), '/x.json');
  });

  test('no file: no insecure registries, no bip', () => {
    const env = { MOBY_DICK_CONFIG: join(dir, 'missing.json') };
    assert.deepEqual(configuredInsecureRegistries(env), []);
    assert.equal(configuredBip(env), undefined);
  });

  test('its keys', () => {
    const env = withFile('{"insecure-registries": ["reg.local:5000"], "bip": "172.26.0.1/16"}');
    assert.deepEqual(configuredInsecureRegistries(env), ['reg.local:5000']);
    assert.equal(configuredBip(env), '172.26.0.1/16');
    assert.deepEqual(configuredInsecureRegistries(withFile('{}')), []);
  });

  test('a broken file is an error for the registries, and no bip', () => {
    const env = withFile('{not json');
    assert.throws(() => configuredInsecureRegistries(env), /is not valid JSON/);
    assert.equal(configuredBip(env), undefined);
    assert.throws(() => configuredInsecureRegistries(withFile('{"insecure-registries": "a"}')), /must be a list of HOST\[:PORT\] strings/);
    assert.equal(configuredBip(withFile('{"bip": 1}')), undefined);
  });
});
