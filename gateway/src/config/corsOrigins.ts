/**
 * The origins `cors.origins` may name, and whether a request's `Origin` is one of them.
 *
 * Terms: an *origin* is what a browser sends in `Origin`, serialized as the URL standard does it
 * (https://url.spec.whatwg.org/#concept-origin): `scheme://host[:port]`, lower case, no path, the
 * port left out when it is the scheme's default. A *pattern* is an origin whose host starts with the
 * label `*` (`https://*.example.com`), standing for one or more DNS labels: it matches
 * `https://app.example.com` and `https://a.b.example.com`, never `https://example.com` itself (list
 * that too when it is wanted), never another scheme or port.
 *
 * Entries are checked once at startup; a request's `Origin` is compared as the browser sent it, never
 * normalized: a browser sends the serialized form, and what a non-browser sends does not matter for
 * CORS (the browser is the one that enforces it).
 */

/** `*`, or the reason `entry` is neither an origin nor a pattern; undefined when it is one. */
export function corsOriginProblem(entry: string): string | undefined {
  if (entry === '*') return undefined;
  if (entry === 'null') {
    return 'the "null" origin is sent by sandboxed iframes, data: URLs and local files, which any site can make: it cannot be allowed';
  }
  const pattern = entry.startsWith('https://*.') || entry.startsWith('http://*.');
  if (entry.slice(pattern ? entry.indexOf('*') + 1 : 0).includes('*')) {
    return 'a pattern has "*" as the whole first label of the host only, e.g. https://*.example.com';
  }
  // A pattern is checked as the origin it would be with one label in place of `*`.
  const candidate = pattern ? entry.replace('*', 'x') : entry;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return 'expected an origin, e.g. https://app.example.com or https://*.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http or https origin';
  if (url.origin !== candidate.toLowerCase()) {
    const suggestion = pattern ? url.origin.replace('://x.', '://*.') : url.origin;
    return `expected an origin as browsers send it (scheme://host[:port], no path, no default port): "${suggestion}"`;
  }
  if (pattern) {
    const suffix = url.hostname.slice(2);
    // `https://*.com` would allow every site under a top-level domain.
    if (!suffix.includes('.') && suffix !== 'localhost') return `"*.${suffix}" would allow a whole top-level domain: name the domain, e.g. *.example.${suffix}`;
  }
  return undefined;
}

/** What `cors.origins` allows, as a test on a request's `Origin`. */
export interface OriginMatcher {
  /** `cors.origins` is `["*"]`: any origin. */
  readonly any: boolean;
  allows(origin: string): boolean;
}

/** A request origin with a DNS host, split: what patterns are matched against. */
const DNS_ORIGIN = /^(https?:\/\/)([a-z0-9_.-]+)(:\d{1,5})?$/;
/** One DNS label as a URL parser leaves it: what `*` may stand for (each of one or more). */
const LABEL = /^[a-z0-9_-]+$/;

interface Pattern {
  scheme: string;
  /** `.example.com`: the host must end with it, after at least one whole label. */
  suffix: string;
  /** `:8443`, or '' for the default port. */
  port: string;
}

/** The matcher for entries `corsOriginProblem` accepted (lower-cased). */
export function originMatcher(entries: readonly string[]): OriginMatcher {
  if (entries.includes('*')) return { any: true, allows: () => true };
  const exact = new Set(entries.filter((e) => !e.includes('*')).map((e) => e.toLowerCase()));
  const patterns: Pattern[] = entries
    .filter((e) => e.includes('*'))
    .map((e) => {
      const [, scheme, host, port = ''] = DNS_ORIGIN.exec(e.toLowerCase().replace('*', 'x'))!;
      return { scheme, suffix: host.slice(1), port };
    });
  return {
    any: false,
    allows(origin) {
      if (exact.has(origin)) return true;
      if (patterns.length === 0) return false;
      const parts = DNS_ORIGIN.exec(origin);
      if (!parts) return false;
      const [, scheme, host, port = ''] = parts;
      return patterns.some((p) => {
        if (p.scheme !== scheme || p.port !== port || !host.endsWith(p.suffix)) return false;
        const labels = host.slice(0, host.length - p.suffix.length);
        return labels.length > 0 && labels.split('.').every((label) => LABEL.test(label));
      });
    },
  };
}
