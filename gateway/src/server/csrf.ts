import type { GraphQLFormattedError } from 'graphql';
import MIMEType from 'whatwg-mimetype';
import { GatewayErrorCode } from '../errors/gatewayError';

/**
 * CSRF prevention, as Apollo Server 4 does it (its `preventCsrf`): a page on any site can make a
 * browser send a "simple" request, one with no CORS preflight, with the user's cookies, and CORS only
 * keeps the page from reading the answer, not the operation from running. So a request that could be
 * simple is refused unless it carries a header that only a preflighted request can have.
 *
 * Simple means: no `content-type`, or one whose essence is one of the three a browser sends without a
 * preflight (https://fetch.spec.whatwg.org/#cors-safelisted-request-header). The content type is
 * parsed with whatwg-mimetype, the algorithm browsers use for that check: a value it cannot parse
 * would have been preflighted (not a CSRF risk), and a value it can must be judged by its essence
 * exactly as the browser would (`TEXT/plain;x=1` is text/plain). The method does not matter: a GET
 * carrying `content-type: application/json` was preflighted too.
 */
const SIMPLE_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/** Whether a browser could have sent a request with these headers cross-site without a preflight. */
export function couldBeSimpleRequest(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const parsed = MIMEType.parse(contentType);
  return parsed !== null && SIMPLE_CONTENT_TYPES.has(parsed.essence);
}

/**
 * The error refusing this request, or undefined when it may go on: it could not have been sent
 * without a preflight, or it carries a non-empty header of `requestHeaders` (lower-case names).
 */
export function csrfRefusal(headers: Readonly<Record<string, string | string[] | undefined>>, requestHeaders: readonly string[]): GraphQLFormattedError | undefined {
  const contentType = headers['content-type'];
  if (!couldBeSimpleRequest(Array.isArray(contentType) ? contentType.join(', ') : contentType)) return undefined;
  if (requestHeaders.some((name) => Object.hasOwn(headers, name) && nonEmpty(headers[name]))) return undefined;
  // The example header is one made to be sent as "true" (x-apollo-operation-name wants a name).
  const example = requestHeaders.find((name) => name.endsWith('require-preflight')) ?? requestHeaders[0];
  return {
    message: `This request has been blocked as a potential cross-site request forgery (CSRF): send it with "content-type: application/json", or with a non-empty header named in extensions.requiredHeaders (e.g. "${example}: true").`,
    extensions: { code: GatewayErrorCode.CSRF_PREVENTED, requiredHeaders: [...requestHeaders] },
  };
}

/** Typed, not truthy: a headers object may have a prototype (a header list naming `constructor` must not find Object's). */
function nonEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.some((v) => typeof v === 'string' && v.length > 0) : typeof value === 'string' && value.length > 0;
}
