// The man pages (build/man): moby-dick(1) and a page per command of the
// CLI's registry, from their --help (src/cli/man-pages.ts), and
// moby-dick-runtime(8) from the OCI runtime's (src/oci-cli/man-page.ts).
// Run by `make` after the TypeScript build; package.json's "man" lists
// them (test/integration/man-pages.test.ts checks both).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';

const build = new URL('../build/', import.meta.url).pathname;
const { version } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')));
const source = `moby-dick ${version}`;
const { cliManPages } = await import(`${build}tsc/src/cli/man-pages.js`);
const { runtimeManPage } = await import(`${build}tsc/src/oci-cli/man-page.js`);
const pages = [...(await cliManPages(source)), runtimeManPage(source)];
const dir = `${build}man/`;
await mkdir(dir, { recursive: true });
const names = new Set(pages.map((p) => p.file));
for (const old of await readdir(dir)) if (!names.has(old)) await rm(`${dir}${old}`, { force: true });
for (const p of pages) await writeFile(`${dir}${p.file}`, p.roff);
// the command modules hold nothing open, but the store's SQLite may be required: end here
process.exit(0);
