import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { SinkWriter } from './sink-writer.js';
import { type TarHeader, TarParser, type TarSink } from './tar-reader.js';
import { type EntryWriter, TarWriter } from './tar-writer.js';

/** what a sink is shown: headers (but the archive offset) and each entry's data */
function recorder(): { sink: TarSink; seen: unknown[] } {
  const seen: unknown[] = [];
  let data: Buffer[] = [];
  return {
    seen,
    sink: {
      entry(h: TarHeader) {
        const { offset: _o, ...rest } = h;
        seen.push({ ...rest, xattrs: [...h.xattrs] });
        data = [];
      },
      data(c) {
        data.push(Buffer.from(c));
      },
      end() {
        seen.push(Buffer.concat(data).toString('hex'));
      },
    },
  };
}

async function fill(w: EntryWriter): Promise<void> {
  await w.addDirectory({ name: 'app', mode: 0o750, uid: 5, gid: 6, mtime: 1_700_000_000 });
  await w.addFile({ name: 'app/a.txt', mtime: 1_700_000_001.5 }, Buffer.from('hello'));
  await w.addFile({ name: 'app/empty', mode: 0o4755 }, Buffer.alloc(0));
  await w.addFile({ name: 'app/streamed', size: 6 }, Readable.from([Buffer.from('abc'), Buffer.from('def')]));
  await w.addFile({ name: `app/${'long-name-'.repeat(20)}`, xattrs: new Map([['security.capability', Buffer.from([1, 0, 0xff])]]) }, Buffer.from('x'));
  await w.addSymlink({ name: 'app/link' }, '../elsewhere');
  await w.addHardlink({ name: 'app/hard' }, 'app/a.txt');
  await w.addNode({ name: 'app/null' }, 'char', 1, 3);
  await w.addNode({ name: 'app/fifo' }, 'fifo');
  await w.finish();
}

test('SinkWriter shows a sink the headers and data a TarParser makes of TarWriter\'s bytes', async () => {
  const viaTar = recorder();
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fill(new TarWriter(out));
  const parser = new TarParser(viaTar.sink);
  parser.write(Buffer.concat(chunks));
  parser.finish();
  const direct = recorder();
  let after = 0;
  await fill(new SinkWriter(direct.sink, () => after++));
  assert.equal(after, 9);
  assert.ok(viaTar.seen.length === 18);
  assert.deepEqual(direct.seen, viaTar.seen);
});

test('SinkWriter refuses a stream of another size than said', async () => {
  const w = new SinkWriter(recorder().sink);
  await assert.rejects(w.addFile({ name: 'f', size: 2 }, Readable.from([Buffer.from('abc')])), /expected 2 bytes of data, got 3/);
});
