/**
 * NODE_EXTRA_CA_CERTS, deferred. Node reads and parses the file it names
 * before any of our code runs — a whole CA bundle, as some machines set it,
 * cost 30 ms of CPU on every command (bench/README.md, "Engine start-up") —
 * while moby-dick needs it only for a registry's TLS. So the launcher
 * (native/launcher) hands the variable on as MOBY_DICK_DEFERRED_CA_CERTS;
 * the CLIs take it back at their start (takeDeferredCaCerts: the processes
 * they run see the environment as it was), and the registry client trusts
 * the file's certificates, next to Node's own roots, when it first makes a
 * TLS connection (tlsContextWithDeferredCerts). Started without the
 * launcher, Node has loaded the file itself and there is nothing to do.
 */
import type { SecureContext } from 'node:tls';

export const DEFERRED_CA_CERTS = 'MOBY_DICK_DEFERRED_CA_CERTS';

let deferred: string | undefined;

/** NODE_EXTRA_CA_CERTS back as the launcher found it; its file is remembered for TLS */
export function takeDeferredCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const path = env[DEFERRED_CA_CERTS];
  if (path === undefined) return;
  delete env[DEFERRED_CA_CERTS];
  if (env.NODE_EXTRA_CA_CERTS === undefined) env.NODE_EXTRA_CA_CERTS = path;
  deferred = path;
}

/**
 * A TLS context trusting Node's roots and the deferred file's certificates,
 * or undefined when nothing was deferred (Node's default context applies).
 * A file that cannot be read is skipped with a warning, as Node does.
 */
export function tlsContextWithDeferredCerts(): SecureContext | undefined {
  if (!deferred) return undefined;
  const fs = process.getBuiltinModule('node:fs');
  const tls = process.getBuiltinModule('node:tls');
  let extra: string;
  try {
    extra = fs.readFileSync(deferred, 'latin1');
  } catch (e) {
    process.emitWarning(`Ignoring extra certs from \`${deferred}\`, load failed: ${(e as Error).message}`);
    return undefined;
  }
  return tls.createSecureContext({ ca: [...tls.rootCertificates, extra] });
}
