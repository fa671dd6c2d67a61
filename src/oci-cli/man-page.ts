/** moby-dick-runtime(8), from `moby-dick-runtime --help` (main.ts's HELP), as runc ships runc(8). */
import { manPage } from '../util/roff.js';
import { HELP } from './main.js';

const EXAMPLES = `# a bundle: a root filesystem and a default config.json
mkdir -p bundle/rootfs && tar -C bundle/rootfs -xf rootfs.tar
cd bundle && moby-dick-runtime spec
# create, start, look, and delete, as containerd's shim does
moby-dick-runtime create --bundle . c1
moby-dick-runtime start c1
moby-dick-runtime state c1
moby-dick-runtime delete --force c1
# containerd and Podman run it as they run runc
podman --runtime /usr/local/bin/moby-dick-runtime run --rm busybox echo hi`;

/** The page, with SOURCE ("moby-dick VERSION") in its footer. */
export function runtimeManPage(source: string): { file: string; roff: string } {
  return {
    file: 'moby-dick-runtime.8',
    roff: manPage({
      name: 'moby-dick-runtime',
      section: 8,
      summary: "an OCI runtime with runc's command line",
      help: HELP,
      source,
      examples: EXAMPLES,
      seeAlso: ['moby-dick(1)', 'runc(8)'],
    }),
  };
}
