/**
 * Which registries may be spoken to over plain HTTP. As Docker does, the
 * loopback addresses (localhost, 127.0.0.0/8, ::1) are insecure by default;
 * others only when named by `--insecure-registry HOST[:PORT]` or in the
 * "insecure-registries" of moby-dick's config file (the key of Docker's
 * daemon.json; src/config/config-file.ts reads it). A registry that is not
 * insecure is spoken to over HTTPS only, with certificates verified.
 */

/** The host of HOST[:PORT], brackets of an IPv6 address removed. */
function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  return domain.replace(/:\d+$/, '');
}

export function isLoopback(domain: string): boolean {
  const h = hostOf(domain).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Is DOMAIN (host[:port]) allowed plain HTTP? An entry without a port covers every port of its host. */
export function isInsecure(domain: string, insecure: readonly string[]): boolean {
  if (isLoopback(domain)) return true;
  const d = domain.toLowerCase();
  return insecure.some((entry) => {
    const e = entry.toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return e === d || (!/:\d+$/.test(e) && e === hostOf(d));
  });
}
