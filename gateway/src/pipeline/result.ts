import type { ExecutionResultBody } from '../plugins/types';

/** What the gateway answers a request: an HTTP status, a GraphQL response body, extra headers. */
export interface GatewayResponse {
  status: number;
  body: ExecutionResultBody;
  /** Extra response headers (e.g. `allow` on 405). */
  headers?: Record<string, string>;
}
