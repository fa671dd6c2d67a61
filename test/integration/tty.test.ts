/** -t: a real terminal, driven through a pseudo-terminal as a user's would be. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLI, PROJECT, run } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

type Step = { send: string } | { expect: string } | { resize: [number, number] } | { sleep: number };

/** Runs moby-dick ARGS on a ROWSxCOLS terminal through test/helpers/pty-driver.py. */
function onTerminal(args: string[], steps: Step[], rows = 30, cols = 100) {
  const driver = `${PROJECT}test/helpers/pty-driver.py`;
  return run('python3', [driver, String(rows), String(cols), JSON.stringify(steps), CLI, ...args], { timeoutMs: 30_000 });
}

describe('moby-dick -t (terminals)', () => {
  const fx = useRootfs('mdk-test-marker');

  test('the command gets its own pty, /dev/console, and the outer window size', async () => {
    const r = await onTerminal(['run', '-it', '--rootfs', fx.rootfs, 'sh', '-c', 'tty; stty size; ls -l /dev/console; echo $TERM'], [], 33, 111);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^\/dev\/pts\/0\r$/m);
    assert.match(r.stdout, /^33 111\r$/m);
    assert.match(r.stdout, /^crw--w----\s+1 root\s+tty\s+136,\s+0 .* \/dev\/console\r$/m);
    assert.match(r.stdout, /^xterm\r$/m);
  });

  test('the window size follows the outer terminal when it changes', async () => {
    const r = await onTerminal(['run', '-it', '--rootfs', fx.rootfs, 'sh'], [
      { expect: '# ' },
      { send: 'stty size\r' },
      { expect: '30 100' },
      { resize: [45, 132] },
      { sleep: 0.3 },
      { send: 'stty size; exit 7\r' },
      { expect: '45 132' },
    ]);
    assert.equal(r.code, 7, r.stdout);
  });

  test('job control works in an interactive sh: background jobs, ^C, ^Z and fg', async () => {
    const r = await onTerminal(['run', '-it', '--rootfs', fx.rootfs, 'sh'], [
      { expect: '# ' },
      { send: 'sleep 31 &\r' },
      { send: 'jobs\r' },
      { expect: '\\[1\\]\\+?\\s+Running\\s+sleep 31' },
      { send: 'sleep 32\r' },
      { sleep: 0.3 },
      { send: '\x1a' }, // ^Z stops the foreground job
      { expect: 'Stopped\\s+sleep 32' },
      { send: 'fg %2\r' },
      { sleep: 0.3 },
      { send: '\x03' }, // ^C interrupts it
      { sleep: 0.3 },
      { send: 'echo after-interrupt $?\r' },
      { expect: 'after-interrupt 130' },
      { send: 'kill %1; exit\r' },
    ]);
    assert.equal(r.code, 0, r.stdout);
  });

  test('the original form gives a shell a terminal when ours is one', async () => {
    const r = await onTerminal(['sh', '-c', 'tty; hostname; stty size'], [], 24, 80);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^\/dev\/pts\/\d+\r$/m);
    assert.match(r.stdout, /^containerhostname\r$/m);
    assert.match(r.stdout, /^24 80\r$/m);
  });

  test('the outer terminal is restored when the container ends', async () => {
    // stty -g before and after moby-dick, on the same terminal
    const script = `stty -g; ${CLI} run -it --rootfs ${fx.rootfs} true; stty -g`;
    const r = await run('python3', [`${PROJECT}test/helpers/pty-driver.py`, '24', '80', '[]', 'sh', '-c', script]);
    const lines = r.stdout.split(/\r?\n/).filter((l) => /^[0-9a-f:]+$/.test(l));
    assert.equal(lines.length, 2, r.stdout);
    assert.equal(lines[0], lines[1]);
  });
});
