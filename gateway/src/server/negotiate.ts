/** Response media types, per https://graphql.github.io/graphql-over-http/draft/#sec-Accept */
export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export const JSON_TYPE = 'application/json';

export type ResponseMediaType = typeof GRAPHQL_RESPONSE_JSON | typeof JSON_TYPE;

/**
 * Picks the response media type from an Accept header: the spec's own type when the client accepts
 * it, else `application/json`; undefined when the client accepts neither (406). No Accept header
 * means `application/json`, as the spec's legacy-client rule says.
 */
export function negotiateMediaType(accept: string | undefined): ResponseMediaType | undefined {
  if (accept === undefined || accept.trim() === '') return JSON_TYPE;
  let best: ResponseMediaType | undefined;
  let bestQ = 0;
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.trim().split(';');
    const type = rawType.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k?.trim() === 'q') q = Number(v);
    }
    if (!(q > 0)) continue;
    let candidate: ResponseMediaType | undefined;
    if (type === GRAPHQL_RESPONSE_JSON) candidate = GRAPHQL_RESPONSE_JSON;
    else if (type === JSON_TYPE || type === 'application/*' || type === '*/*') candidate = JSON_TYPE;
    if (!candidate) continue;
    // Higher q wins; at equal q the GraphQL type wins over plain JSON.
    if (q > bestQ || (q === bestQ && candidate === GRAPHQL_RESPONSE_JSON)) {
      best = candidate;
      bestQ = q;
    }
  }
  return best;
}
