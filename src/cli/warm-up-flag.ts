/**
 * Whether the CLI's bundle is being evaluated to make its code cache
 * (start.ts): then its entry (bin.ts) runs the warm-up instead of the CLI.
 * A global, since start.ts and the bundle are two bundles, each with its
 * own copy of this module.
 */
declare global {
  // eslint-disable-next-line no-var
  var __mdkCodeCacheWarmUp: boolean | undefined;
}

export const warmingUp = (): boolean => globalThis.__mdkCodeCacheWarmUp === true;

export function setWarmingUp(on: boolean): void {
  globalThis.__mdkCodeCacheWarmUp = on || undefined;
}
