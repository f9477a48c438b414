/**
 * Which hosts registered subgraph URLs may point at, so that the admin API cannot be used to make the
 * gateway call arbitrary hosts. Entries: an exact host name or address, `*.example.com` (any
 * subdomain), or `*` (anything).
 */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  // URL keeps brackets around IPv6 hosts.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    if (e === '*') return true;
    if (e.startsWith('*.')) return host.endsWith(e.slice(1)) && host.length > e.length - 1;
    return host === e;
  });
}
