import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { HttpClient, HttpResponse } from './http.js';
import { RegistryClient } from './registry-client.js';

/** a registry whose manifests are endless bodies without a Content-Length; bytes() would never end */
function endlessManifests(read: { bytes: number }): HttpClient {
  return async (url) => {
    const body = new Readable({
      read() {
        read.bytes += 65536;
        this.push(Buffer.alloc(65536, 0x7b));
      },
    });
    const res: HttpResponse = {
      status: 200,
      statusText: 'OK',
      url,
      header: (name) => (name === 'content-type' ? 'application/vnd.oci.image.manifest.v1+json' : undefined),
      body,
      text: () => Promise.reject(new Error('the whole of an endless body was asked for')),
      bytes: () => Promise.reject(new Error('the whole of an endless body was asked for')),
      discard: () => body.destroy(),
    };
    return res;
  };
}

test('a manifest body is read only up to the limit, also without a Content-Length', async () => {
  const read = { bytes: 0 };
  const client = new RegistryClient({ domain: '127.0.0.1:1', insecure: true, http: endlessManifests(read) });
  await assert.rejects(client.getManifest('mdk-test/endless', 'latest', 1 << 20), /^Error: manifest latest is more than 1048576 bytes$/);
  assert.ok(read.bytes < 2 << 20, `read ${read.bytes} bytes`);
});
