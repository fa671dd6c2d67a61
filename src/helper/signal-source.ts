/**
 * Where the signals a waiting runtime passes on come from: this process's
 * own (processSignals), or those of a compile service's caller, which its
 * launcher catches and sends as frames (src/oci-cli/compile-service.ts).
 */
import { signalNumber } from '../linux/signals.js';

/** SUBSCRIBE starts delivering each of SIGNALS (by number) to ON, and returns what stops it. */
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
