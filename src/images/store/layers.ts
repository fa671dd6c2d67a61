/**
 * Unpacked layers: layers/<chain-id hex>/diff, one directory per layer,
 * shared by every image that has it. A layer is unpacked into
 * layers/tmp/<owner>-.../diff and renamed into place whole; its database
 * row is written later, with the image, in one transaction.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestHex } from '../digest.js';
import { isAlive, ownedName, ownerOfName } from './owner.js';

/** What layers/<hex>/meta.json records beside the directory. */
export interface LayerMeta {
  diffId: string;
  /** bytes of the files in diff/ */
  size: number;
  /** bytes of the uncompressed tar it was unpacked from (what `save` writes); absent in older stores */
  tarSize?: number;
}

export class LayerDirs {
  readonly dir: string;
  readonly tmpDir: string;

  /**
   * REMOVE_TREE removes a directory and everything in it (fs.rmSync by
   * default; a rootless store's files belong to the user's subordinate ids,
   * and are removed from inside the user namespace: jail/rootless-store.ts)
   */
  constructor(
    root: string,
    private readonly removeTree: (path: string) => void = (path) => rmSync(path, { recursive: true, force: true }),
  ) {
    this.dir = join(root, 'layers');
    this.tmpDir = join(this.dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  /** layers/<hex> */
  path(chainId: string): string {
    return join(this.dir, digestHex(chainId));
  }

  /** layers/<hex>/diff: what overlay's lowerdir names */
  diffPath(chainId: string): string {
    return join(this.path(chainId), 'diff');
  }

  exists(chainId: string): boolean {
    return existsSync(this.path(chainId));
  }

  /** A fresh layers/tmp/<owner>-... with an empty diff/ in it. */
  makeTemp(): string {
    const tmp = join(this.tmpDir, ownedName());
    mkdirSync(join(tmp, 'diff'), { recursive: true, mode: 0o755 });
    return tmp;
  }

  /**
   * A fresh layers/tmp/<owner>-... whose diff/ is DIR, moved there (DIR is
   * gone then); undefined, and DIR left as it was, when DIR is on another
   * file system.
   */
  adoptTemp(dir: string): string | undefined {
    const tmp = join(this.tmpDir, ownedName());
    mkdirSync(tmp, { mode: 0o755 });
    try {
      renameSync(dir, join(tmp, 'diff'));
      return tmp;
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'EXDEV') return undefined;
      throw e;
    }
  }

  /**
   * Renames a finished temp dir to layers/<hex>. False when another process
   * put the same layer there first (the temp dir is removed then).
   */
  install(tmp: string, chainId: string, meta: LayerMeta): boolean {
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ chainId, ...meta }) + '\n');
    try {
      renameSync(tmp, this.path(chainId));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        this.removeTree(tmp);
        return false;
      }
      throw e;
    }
  }

  /** The meta.json of an installed layer, or undefined when it has none (or cannot be read). */
  meta(chainId: string): (LayerMeta & { chainId: string }) | undefined {
    try {
      return JSON.parse(readFileSync(join(this.path(chainId), 'meta.json'), 'utf8')) as LayerMeta & { chainId: string };
    } catch {
      return undefined;
    }
  }

  /** Moves layers/<hex> out of sight into tmp/ (cheap, under the lock); remove() it afterwards. */
  detach(chainId: string): string | undefined {
    const to = join(this.tmpDir, `${ownedName()}-gc`);
    try {
      renameSync(this.path(chainId), to);
      return to;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  remove(path: string): void {
    this.removeTree(path);
  }

  /** Chain IDs of the directories under layers/. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /** Removes temp dirs whose owner is dead (a killed unpack or delete). */
  cleanTemp(): void {
    for (const name of readdirSync(this.tmpDir)) {
      const owner = ownerOfName(name);
      if (!owner || !isAlive(owner)) this.removeTree(join(this.tmpDir, name));
    }
  }
}

/** Bytes of the files under DIR, each inode once (hard links), as Docker sizes a layer. */
export function directorySize(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      // rootless: a directory of a subordinate id that only its owner may read
      if ((e as NodeJS.ErrnoException).code === 'EACCES') return;
      throw e;
    }
    for (const name of names) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (st.nlink > 1) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      total += st.size;
    }
  };
  walk(dir);
  return total;
}
