/**
 * run-in-vm [--timeout SECONDS] COMMAND [ARG...]: runs COMMAND as root in
 * the cgroup-v2-only test VM (vm.ts), in this directory, and exits with its
 * status; its stdout and stderr are printed as it ends. For example, a test
 * file:  test/vm/run-in-vm node --test build/tsc/test/vm/guest/runtime-v2.js
 */
import { runInVm } from './vm.js';

const args = process.argv.slice(2);
let timeoutMs = 600_000;
if (args[0] === '--timeout') {
  timeoutMs = Number(args[1]) * 1000;
  args.splice(0, 2);
}
if (args.length === 0 || !Number.isFinite(timeoutMs)) {
  process.stderr.write('usage: test/vm/run-in-vm [--timeout SECONDS] COMMAND [ARG...]\n');
  process.exit(2);
}
try {
  const r = await runInVm(args, { timeoutMs, onProgress: (t) => process.stderr.write(t) });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.code === null) {
    process.stderr.write(`run-in-vm: the command reported no exit status${r.timedOut ? ` (timed out after ${timeoutMs / 1000} s)` : ''}; the VM's console:\n${r.console}`);
    process.exit(125);
  }
  process.stderr.write(`run-in-vm: exit ${r.code} after ${r.seconds.toFixed(1)} s\n`);
  process.exit(r.code);
} catch (e) {
  process.stderr.write(`run-in-vm: ${(e as Error).message}\n`);
  process.exit(125);
}
