/** Waits for a container while passing on the signals this process gets, as `docker run` and `runc run` do. */
import { FORWARDED_SIGNALS } from '../linux/signals.js';
import type { Container, ExitStatus } from './container.js';

export async function waitForwardingSignals(container: Container): Promise<ExitStatus> {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const handler = (): void => container.kill(sig);
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  try {
    return await container.wait();
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
}
