/**
 * `moby-dick create --explain`: what create did. It asks nothing of the
 * kernel for isolation (no namespace, mount, cgroup, capability or
 * filter): it records the container and makes its directories; `start`
 * makes the container, every time it starts, and `start --explain` says how.
 */
import type { ExplainFormat } from './render.js';

export interface CreatedExplanation {
  version: 1;
  form: 'create';
  container: { id: string; name: string };
  command: string[];
  image: { ref: string; id: string | null; layers: number };
  /** what create did, in order */
  did: string[];
  /** what the kernel was asked for isolation: nothing, at create */
  kernel: [];
  /** the command that explains the making of the container */
  next: string;
}

export interface CreatedInput {
  id: string;
  name: string;
  image: string;
  imageId: string | null;
  layers: number;
  argv: readonly string[];
  user: { uid: number; gid: number };
  cwd: string;
  hostname: string;
  dir: string;
}

export function explainCreated(r: CreatedInput): CreatedExplanation {
  return {
    version: 1,
    form: 'create',
    container: { id: r.id, name: r.name },
    command: [...r.argv],
    image: { ref: r.image, id: r.imageId, layers: r.layers },
    did: [
      `found the image ${r.image}${r.imageId ? ` (${r.imageId.slice(0, 19)})` : ''}: ${r.layers} read-only layer${r.layers === 1 ? '' : 's'}, which start stacks with overlayfs under a writable layer of the container's own`,
      `decided what the container runs and as whom: ${r.argv.join(' ')}, as user ${r.user.uid}, group ${r.user.gid}, in ${r.cwd}, hostname ${r.hostname}`,
      `made its directory ${r.dir}, with the empty writable layer (diff) and overlayfs's work dir, and recorded the container there with its flags`,
    ],
    kernel: [],
    next: `moby-dick start --explain ${r.name}`,
  };
}

/** As text (short and full are the same: three steps) or JSON. */
export function renderCreated(e: CreatedExplanation, format: ExplainFormat): string {
  if (format === 'json') return `${JSON.stringify(e, null, 2)}\n`;
  return [
    `What create did (${e.container.name}): ${e.command.join(' ')} — nothing asked of the kernel yet`,
    ...e.did.map((d, i) => `  ${i + 1}. ${d}`),
    "No namespace, mount, cgroup, capability or seccomp filter is made at create: start makes them, in a fresh",
    `process, each time the container starts. To see how: ${e.next}`,
    '',
  ].join('\n');
}
