/**
 * `-u NAME[:GROUP]` and an image's `User`, resolved through the image's
 * /etc/passwd and /etc/group as Docker does (moby's user.GetExecUser): a
 * name must exist; a number need not; the group defaults to the user's
 * primary group (0 when the user is unknown); the supplementary groups are
 * the groups that list the user as a member; HOME comes from passwd. Pure:
 * the caller reads the files (image-files.ts) and passes their text.
 */
import { MobyDickError } from '../errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** the passwd entry's home, or "/" as Docker falls back to */
  home: string;
}

const ID = /^\d+$/;
const MAX_ID = 0xfffffffe;

function id(text: string): number | null {
  if (!ID.test(text)) return null;
  const n = Number(text);
  return n <= MAX_ID ? n : null;
}

/** passwd(5) lines; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || line.startsWith('#')) continue;
    const uid = id(f[2]!);
    const gid = id(f[3]!);
    if (uid === null || gid === null) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

/** group(5) lines; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || line.startsWith('#')) continue;
    const gid = id(f[2]!);
    if (gid === null) continue;
    out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

function notFound(what: string, file: string): MobyDickError {
  return new MobyDickError('USAGE', `unable to find ${what}: no matching entries in ${file} file`, {
    subject: what,
    hint: 'give a numeric UID[:GID], or a name the image defines',
  });
}

/**
 * SPEC is "user", "user:group", "uid:gid", ... (empty: root). PASSWD and
 * GROUP are the image's files, null when the image has none.
 */
export function resolveUser(spec: string, passwd: string | null, group: string | null): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(/:(.*)/s);
  const users = parsePasswd(passwd ?? '');
  const groups = parseGroup(group ?? '');

  const wantedUid = id(userPart);
  let entry: PasswdEntry | undefined;
  if (userPart === '') {
    entry = users.find((u) => u.uid === 0);
  } else if (wantedUid !== null) {
    entry = users.find((u) => u.uid === wantedUid);
  } else {
    entry = users.find((u) => u.name === userPart);
    if (!entry) throw notFound(`user ${userPart}`, 'passwd');
  }
  const uid = wantedUid ?? entry?.uid ?? 0;

  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const wantedGid = id(groupPart);
    if (wantedGid !== null) gid = wantedGid;
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw notFound(`group ${groupPart}`, 'group');
      gid = g.gid;
    }
  }

  const additionalGids: number[] = [];
  if (entry) {
    for (const g of groups) {
      if (g.members.includes(entry.name) && g.gid !== gid && !additionalGids.includes(g.gid)) additionalGids.push(g.gid);
    }
  }
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}


/**
 * --group-add: numbers as they are, names through the image's /etc/group
 * (GROUP, null when it has none), as Docker resolves them.
 */
export function resolveGroups(specs: readonly string[], group: string | null): number[] {
  const groups = parseGroup(group ?? '');
  return specs.map((spec) => {
    const n = id(spec);
    if (n !== null) return n;
    const g = groups.find((x) => x.name === spec);
    if (!g) throw notFound(`group ${spec}`, 'group');
    return g.gid;
  });
}
