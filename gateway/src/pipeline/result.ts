import type { ExecutionResultBody } from '../plugins/types';

/** What the gateway answers a request: an HTTP status, a GraphQL response body, extra headers. */
export interface GatewayResponse {
  status: number;
  body: ExecutionResultBody;
  /** Extra response headers (e.g. `allow` on 405). */
  headers?: Record<string, string>;
}

/**
 * A result delivered in parts: the events of a subscription (and, later, incremental delivery for
 * `@defer`). The transport (WebSocket, SSE, multipart HTTP) sends each payload as it comes; calling
 * `payloads.return()` says the client left, which ends the subscription.
 */
export interface GatewayStream {
  status: number;
  /** A subscription's events, or the parts of an incremental (`@defer`) response. */
  kind: 'subscription' | 'incremental';
  headers?: Record<string, string>;
  /** The payloads, in order; the sequence ends when the result is complete. */
  payloads: PayloadStream;
  /**
   * Registers what to do when the gateway drops this client at once: it stopped reading and its
   * queue of unsent payloads is full. The transport closes the connection with `reason`: there is no
   * way left to tell the client anything in order.
   */
  onDropped(drop: (reason: string) => void): void;
  /** Settles when the stream has ended, for whatever reason: with its last payload when that carried errors. */
  readonly finished: Promise<ExecutionResultBody | undefined>;
}

/**
 * The payloads of a stream. `return()` ends it at once, even while it waits for the next payload
 * (an async generator function could not: its `return` waits for the `await` it is suspended at).
 */
export interface PayloadStream extends AsyncIterableIterator<ExecutionResultBody> {
  return(): Promise<IteratorResult<ExecutionResultBody, undefined>>;
}

/** One body, or a sequence of payloads. */
export type GatewayResult = GatewayResponse | GatewayStream;

export function isStream(result: GatewayResult): result is GatewayStream {
  return 'payloads' in result;
}
