/** Waits for a container while passing on the signals this process gets, as `docker run` and `runc run` do. */
import { FORWARDED_SIGNALS } from '../linux/signals.js';
import type { Container, ExitStatus } from './container.js';
import { processSignals, type SignalSource } from './signal-source.js';

/**
 * Starts a container with START and waits for it, forwarding the signals
 * of SOURCE (this process's by default). The handlers go in before the
 * container starts: starting it can block this thread until its command
 * runs, and a signal that came meanwhile would otherwise meet the default
 * action and end this process (the container's output already said it was
 * ready). Signals that come before the container exists are passed on as
 * soon as it does.
 */
export async function runForwardingSignals(start: () => Container | Promise<Container>, source: SignalSource = processSignals): Promise<ExitStatus> {
  let container: Container | undefined;
  const early: number[] = [];
  const stop = source(FORWARDED_SIGNALS, (sig) => {
    if (container) container.kill(sig);
    else early.push(sig);
  });
  try {
    container = await start();
    for (const sig of early) container.kill(sig);
    return await container.wait();
  } finally {
    stop();
  }
}
