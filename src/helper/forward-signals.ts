/** Waits for a container while passing on the signals this process gets, as `docker run` and `runc run` do. */
import { FORWARDED_SIGNALS, signalNumber } from '../linux/signals.js';
import type { Container, ExitStatus } from './container.js';

/**
 * Where the signals to pass on come from: SUBSCRIBE starts delivering each
 * of SIGNALS (by number) to ON, and returns what stops it. This process's
 * own (processSignals), or those of a compile service's caller, which its
 * launcher catches and sends as frames (src/oci-cli/compile-service.ts).
 */
export type SignalSource = (signals: readonly NodeJS.Signals[], on: (signal: number) => void) => () => void;

/** This process's signals, through Node's handlers: while subscribed, they no longer end the process. */
export const processSignals: SignalSource = (signals, on) => {
  const handlers = signals.map((sig) => {
    const handler = (): void => on(signalNumber(sig));
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
};

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
