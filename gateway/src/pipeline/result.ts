import type { ExecutionResultBody } from '../plugins/types';

/** What the gateway answers a request: an HTTP status, a GraphQL response body, extra headers. */
export interface GatewayResponse {
  status: number;
  body: ExecutionResultBody;
  /** Extra response headers (e.g. `allow` on 405). */
  headers?: Record<string, string>;
}

/**
 * A result delivered in parts: the initial payload, then the subsequent ones (incremental delivery
 * for `@defer`, events of a subscription). Nothing produces one yet; the HTTP layer writes it as
 * `multipart/mixed` (see server/graphqlRoutes.ts), so the features that stream add a producer, not
 * a transport.
 */
export interface GatewayStream {
  status: number;
  headers?: Record<string, string>;
  /** The payloads, in order; the sequence ends when the result is complete. */
  payloads: AsyncIterable<ExecutionResultBody>;
}

/** One body, or a sequence of payloads. */
export type GatewayResult = GatewayResponse | GatewayStream;

export function isStream(result: GatewayResult): result is GatewayStream {
  return 'payloads' in result;
}
