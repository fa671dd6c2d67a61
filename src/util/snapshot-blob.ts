/**
 * The startup snapshot a process was started from: `node --snapshot-blob
 * BLOB -- ARGS` (what native/launcher runs). A snapshot's code has no module
 * URL of its own; the files it needs (the helper, the addon, SQLite's
 * module, its launcher) sit next to its blob.
 */
export function snapshotBlob(execArgv: readonly string[] = process.execArgv): string | undefined {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? '';
    if (arg === '--snapshot-blob') return execArgv[i + 1];
    if (arg.startsWith('--snapshot-blob=')) return arg.slice('--snapshot-blob='.length);
  }
  return undefined;
}
