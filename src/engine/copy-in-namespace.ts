/**
 * The container's half of an ordinary user's `cp` (engine/rootless-copy.ts),
 * run by the hidden `rootless-cp` as root of the user's user namespace,
 * where the files of the user's subordinate ids show their in-namespace
 * owners and may be read, written and chowned. The container's root is the
 * fd 3 it was given (a running container's) or the detached overlay of its
 * layers mounted here with `userxattr`; every path is resolved inside it
 * with openat2(RESOLVE_IN_ROOT), as copy.ts does for root.
 */
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { nativeAddon } from '../helper/native-addon.js';
import { extractTree, type LocateSyscalls } from './archive-fs.js';
import { mountContainerOverlay } from './container-fs.js';
import { destination, produce, readOnly, type Side, source } from './copy.js';
import type { EngineSyscalls } from './engine.js';
import { statInRoot } from './path-stat.js';
import type { NamespaceCopyRequest } from './rootless-copy.js';

/** Out: one JSON line (what SRC is) then its tar on OUT. In: the tar on INPUT extracted at the destination inside. Stat: what `docker cp` asks of PATH (path-stat.ts), as JSON. */
export async function copyInNamespace(req: NamespaceCopyRequest, input: Readable, out: Writable, sys: Pick<EngineSyscalls, 'mountOverlay' | 'attachBind'> & LocateSyscalls = nativeAddon()): Promise<void> {
  const mounted = 'overlay' in req.root;
  const root = 'overlay' in req.root ? mountContainerOverlay(sys, req.root.overlay, req.root.writable, false, true) : req.root.fd;
  try {
    const side: Side = { root, container: req.container, label: (p) => `${req.container}:${p}` };
    if (req.op === 'stat') {
      out.write(`${JSON.stringify(statInRoot(root, req.path, req.container, sys))}\n`);
      return;
    }
    if (req.op === 'out') {
      const s = source(side, req.path, req.follow);
      try {
        out.write(`${JSON.stringify({ dir: s.dir, contents: s.contents, base: s.base })}\n`);
        await produce(side, req.path, s, s.contents ? '' : s.base, out, undefined);
      } finally {
        closeSync(s.loc.dir);
      }
      return;
    }
    const { into, top } = destination(side, req.path, req.src);
    try {
      await extractTree(input, root, {
        into,
        label: `copying to ${side.label(req.path)}`,
        ...(req.owner ? { owner: req.owner } : {}),
        ...(req.src && !req.src.contents ? { rename: { from: req.src.base, to: top } } : {}),
      });
    } catch (e) {
      throw readOnly(e, side);
    }
  } finally {
    if (mounted) closeSync(root);
  }
}
