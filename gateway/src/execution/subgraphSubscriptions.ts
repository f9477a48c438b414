/**
 * The upstream side of federated subscriptions: one subscription opened at the subgraph that owns
 * the root field, its events handed to a sink. The pipeline resolves the rest of each event's
 * selection (other subgraphs) and the client transports send it on; neither is done here.
 *
 * Terms:
 * - *upstream subscription*: one `subscribe` call; it ends exactly once, by `complete()`,
 *   `error()` or its `stop()` (which tells the sink nothing).
 * - *connection*: for `ws`, one WebSocket (graphql-transport-ws) shared by the upstream
 *   subscriptions with the same subgraph, URL and headers, as the protocol multiplexes them; it
 *   closes with its last subscription. For `sse` (GraphQL over SSE, distinct connections mode) each
 *   subscription is its own HTTP request.
 *
 * Nothing retries: a connection that is lost ends each of its subscriptions with
 * SUBSCRIPTION_UPSTREAM_CLOSED and the clients subscribe again (resubscribing silently would hide a
 * gap in the events). The libraries keep their own timers (graphql-ws's pings); the timeouts decided
 * here run on the injected clock.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { GraphQLError } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient as createSseClient, NetworkError } from 'graphql-sse';
import WebSocket from 'ws';
import type { GatewayConfig } from '../config';
import type { Clock, Logger, TimerHandle } from '../deps';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import { describeTransportError, type SubgraphResponse } from './subgraphClient';

export type SubscriptionProtocol = 'ws' | 'sse';

/** Where a subscription is opened: the subgraph's name (for errors and metrics), URL and protocol. */
export interface UpstreamTarget {
  subgraph: string;
  /** The subgraph's URL. For `ws`, http(s) becomes ws(s); a ws(s) URL is used as is. */
  url: string;
  protocol: SubscriptionProtocol;
}

export interface UpstreamRequest {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  /**
   * Headers for the subgraph (e.g. a propagated `authorization`). `ws`: sent on the upgrade request
   * and again in `connection_init` as `{ headers }`; `sse`: on the POST. Hop-by-hop and framing
   * headers (`connection`, `content-length`, `accept`…) are dropped: the transport sets its own.
   */
  headers: Record<string, string>;
}

/** Receives one upstream subscription's events. After `error` or `complete`, nothing more. */
export interface UpstreamSink {
  /** One event as the subgraph sent it, checked as subgraphClient checks a response. */
  next(response: SubgraphResponse): void;
  /** Ended abnormally: SUBSCRIPTION_UPSTREAM_CLOSED with `serviceName` and a client-safe `reason`. */
  error(error: GraphQLError): void;
  /** The subgraph completed the subscription. */
  complete(): void;
}

export interface SubgraphSubscriptionsOptions {
  /**
   * Time allowed to open a connection: `ws` until `connection_ack`, `sse` until the response
   * headers. Default 10_000. Past it the subscription ends (reason `timeout`, or
   * `connection_ack timeout` when the socket opened but was never acknowledged).
   */
  connectionInitTimeoutMs?: number;
  /**
   * `ws`: ping the subgraph after this long without a pong, and end the connection's subscriptions
   * (reason `keep-alive timeout`) when the pong takes as long again. Default 12_000; 0 turns it
   * off. Lower finds a dead peer sooner, at a ping per interval per connection.
   */
  keepAliveMs?: number;
  /**
   * Largest event a subgraph may send, in bytes. Default 1 MiB; 0 turns it off. A larger one ends
   * the subscription (reason `message too large`) without being read whole. Over `ws` the limit is
   * the socket's (the frame is refused as it arrives), so every subscription sharing that socket
   * ends with it.
   */
  maxMessageBytes?: number;
  /** `close()`: how long sockets get to close cleanly before they are cut. Default 1_000. */
  closeTimeoutMs?: number;
}

/** The HTTP client for `sse` (the WHATWG fetch: its body is a stream). Default: Node's fetch. */
export type StreamingFetch = (url: string, init: RequestInit) => Promise<Response>;

type ResolvedOptions = Readonly<Required<SubgraphSubscriptionsOptions>>;

function resolveOptions(input: SubgraphSubscriptionsOptions = {}): ResolvedOptions {
  const cfg = { connectionInitTimeoutMs: 10_000, keepAliveMs: 12_000, maxMessageBytes: 1_048_576, closeTimeoutMs: 1_000, ...input };
  for (const [name, value] of Object.entries(cfg)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`SubgraphSubscriptions: ${name} must be an integer >= 0, got ${value}`);
  }
  if (cfg.connectionInitTimeoutMs < 1) throw new Error('SubgraphSubscriptions: connectionInitTimeoutMs must be >= 1');
  return Object.freeze(cfg);
}

/** One upstream subscription: the sink, guarded so that it ends once and never throws at us. */
class Upstream {
  ended = false;
  /** Stops it at the subgraph (graphql-ws sends `complete`; SSE aborts the request); idempotent. */
  cancel: () => void = () => {};
  /** Why it is ending, known before the library reports the end (SSE: refused, cut, too large). */
  reason: string | undefined;

  constructor(
    readonly subgraph: string,
    private readonly sink: UpstreamSink,
    private readonly logger: Logger,
    private readonly onEnd: (upstream: Upstream) => void,
  ) {}

  next(payload: unknown): void {
    if (this.ended) return; // a late event after stop or failure
    const response = checkedEvent(payload);
    if (!response) return this.fail('invalid message');
    this.call('next', () => this.sink.next(response));
  }

  complete(): void {
    if (this.end()) this.call('complete', () => this.sink.complete());
  }

  fail(reason: string): void {
    if (!this.end()) return;
    this.logger.warn('upstream subscription closed', { subgraph: this.subgraph, reason });
    const error = gatewayError(GatewayErrorCode.SUBSCRIPTION_UPSTREAM_CLOSED, `Subscription to subgraph "${this.subgraph}" closed.`, {
      extensions: { serviceName: this.subgraph, reason },
    });
    this.call('error', () => this.sink.error(error));
  }

  /** Ends it without a word to the sink: the caller stopped it. */
  stop(): void {
    this.end();
  }

  private end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    try {
      this.cancel();
    } catch (err) {
      this.logger.warn('upstream subscription cancel failed', { subgraph: this.subgraph, reason: String((err as Error)?.message ?? err) });
    }
    this.onEnd(this);
    return true;
  }

  /** The sink is the pipeline's: its throw must not reach a socket's event handler. */
  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error('upstream subscription sink threw', { subgraph: this.subgraph, on: what, reason: String((err as Error)?.message ?? err) });
    }
  }
}

/** An event in the shape subgraphClient accepts for a response: `data` an object or null, `errors` a list. */
function checkedEvent(payload: unknown): SubgraphResponse | undefined {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const { data, errors } = payload as { data?: unknown; errors?: unknown };
  if (data === undefined && errors === undefined) return undefined;
  if (errors !== undefined && !Array.isArray(errors)) return undefined;
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) return undefined;
  return payload as SubgraphResponse;
}

/** Headers the transports set themselves, or that would break a WebSocket upgrade. */
const DROPPED_HEADERS = new Set(['connection', 'upgrade', 'host', 'content-length', 'transfer-encoding', 'keep-alive', 'te', 'accept', 'content-type', 'accept-encoding']);

/**
 * The headers to send, lower-cased. One Node refuses (a newline in a value) is dropped here: ws
 * would throw it from inside graphql-ws, where nothing catches it.
 */
function upstreamHeaders(headers: Record<string, string>, logger: Logger, subgraph: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower) || lower.startsWith('sec-websocket-')) continue;
    try {
      validateHeaderName(lower);
      validateHeaderValue(lower, value);
      out[lower] = value;
    } catch {
      logger.warn('upstream subscription header dropped', { subgraph, header: lower });
    }
  }
  return out;
}

function headerKey(headers: Record<string, string>): string {
  return Object.keys(headers)
    .sort()
    .map((name) => `${name}:${headers[name]}`)
    .join('\n');
}

/** The subgraph's URL for a WebSocket; throws on one ws cannot open (it would throw inside graphql-ws). */
function webSocketUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new Error('not an http(s) or ws(s) URL');
  return parsed.toString();
}

/** One WebSocket to a subgraph (graphql-ws client) and the upstream subscriptions riding on it. */
interface WsConnection {
  readonly key: string;
  readonly subgraph: string;
  client: WsClient;
  readonly upstreams: Set<Upstream>;
  /** The sockets its client made: one, as nothing retries. */
  readonly sockets: Set<WebSocket>;
  opened: boolean;
  acked: boolean;
  /** Failed or left by its last subscription: the map no longer hands it out. */
  done: boolean;
  initTimer?: TimerHandle;
  pongTimer?: TimerHandle;
}

/** The gateway's own, as the config says (`subscriptions.upstreamConnectTimeoutMs`, `limits.maxSubgraphResponseBytes`). */
export function subgraphSubscriptionsFor(config: GatewayConfig, logger: Logger, clock: Clock): SubgraphSubscriptions {
  return new SubgraphSubscriptions({
    logger,
    clock,
    options: { connectionInitTimeoutMs: config.subscriptions.upstreamConnectTimeoutMs, maxMessageBytes: config.limits.maxSubgraphResponseBytes },
  });
}

/**
 * Opens subscriptions at subgraphs (graphql-transport-ws over `ws`, or GraphQL over SSE) and hands
 * their events to sinks. One per gateway: it owns the upstream sockets, counted for metrics.
 */
export class SubgraphSubscriptions {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly fetch: StreamingFetch;
  private readonly options: ResolvedOptions;
  /** Open (or opening) WebSocket connections by subgraph, URL and headers. */
  private readonly wsConnections = new Map<string, WsConnection>();
  /** Every WebSocket not closed yet, with its subgraph and its close. */
  private readonly sockets = new Map<WebSocket, { subgraph: string; closed: Promise<void> }>();
  /** SSE subscriptions, each its own HTTP request. */
  private readonly sse = new Set<Upstream>();
  private readonly upstreams = new Set<Upstream>();
  private closing = false;

  constructor(deps: { logger: Logger; clock: Clock; fetch?: StreamingFetch; options?: SubgraphSubscriptionsOptions }) {
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.fetch = deps.fetch ?? ((url, init) => fetch(url, init));
    this.options = resolveOptions(deps.options);
  }

  /**
   * Starts one upstream subscription. Its events go to `sink` until it ends; the function returned
   * stops it (the subgraph is told: `complete` over ws, the request aborted over SSE), tells the
   * sink nothing, and may be called any number of times.
   */
  subscribe(target: UpstreamTarget, request: UpstreamRequest, sink: UpstreamSink): () => void {
    const headers = upstreamHeaders(request.headers, this.logger, target.subgraph);
    const payload = { query: request.query, operationName: request.operationName, variables: request.variables };
    let upstream: Upstream;
    if (this.closing) {
      upstream = this.track(new Upstream(target.subgraph, sink, this.logger, (u) => this.upstreams.delete(u)));
      upstream.fail('gateway shutting down');
    } else if (target.protocol === 'ws') {
      upstream = this.subscribeWs(target, headers, payload, sink);
    } else {
      upstream = this.subscribeSse(target, headers, payload, sink);
    }
    return () => upstream.stop();
  }

  /** Upstream connections open or opening: WebSockets, plus one per SSE subscription. */
  connections(): number {
    return this.sockets.size + this.sse.size;
  }

  /** `connections()` by subgraph name, for a gauge labelled by subgraph. */
  connectionsBySubgraph(): Record<string, number> {
    const counts: Record<string, number> = Object.create(null);
    for (const { subgraph } of this.sockets.values()) counts[subgraph] = (counts[subgraph] ?? 0) + 1;
    for (const { subgraph } of this.sse) counts[subgraph] = (counts[subgraph] ?? 0) + 1;
    return counts;
  }

  /** Upstream subscriptions that have not ended. */
  active(): number {
    return this.upstreams.size;
  }

  /**
   * Gateway shutdown: stops every subscription (sinks are not called: the caller is ending its
   * clients' streams itself), refuses new ones, and resolves when every socket has closed, cut
   * after `closeTimeoutMs` if the subgraph does not finish the closing handshake.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const upstream of [...this.upstreams]) upstream.stop();
    const pending = [...this.sockets.values()].map(({ closed }) => closed);
    if (pending.length === 0) return;
    const cut = this.clock.setTimeout(() => {
      for (const socket of this.sockets.keys()) socket.terminate();
    }, this.options.closeTimeoutMs);
    await Promise.all(pending);
    this.clock.clearTimer(cut);
  }

  private track(upstream: Upstream): Upstream {
    this.upstreams.add(upstream);
    return upstream;
  }

  // ws ----------------------------------------------------------------------------------------

  private subscribeWs(target: UpstreamTarget, headers: Record<string, string>, payload: SubscribePayload, sink: UpstreamSink): Upstream {
    let url: string;
    try {
      url = webSocketUrl(target.url);
    } catch {
      const upstream = this.track(new Upstream(target.subgraph, sink, this.logger, (u) => this.upstreams.delete(u)));
      upstream.fail('invalid subgraph URL');
      return upstream;
    }
    const key = `${target.subgraph}\n${url}\n${headerKey(headers)}`;
    const connection = this.wsConnections.get(key) ?? this.openWs(key, target.subgraph, url, headers);
    const upstream = this.track(
      new Upstream(target.subgraph, sink, this.logger, (u) => {
        this.upstreams.delete(u);
        this.leaveWs(connection, u);
      }),
    );
    connection.upstreams.add(upstream);
    upstream.cancel = connection.client.subscribe(payload, {
      next: (value) => upstream.next(value),
      error: (err) => this.wsSubscriptionError(upstream, err),
      complete: () => upstream.complete(),
    });
    return upstream;
  }

  /**
   * graphql-ws reports two things as a subscription's error: the subgraph's `error` message (a list
   * of GraphQL errors: the operation was refused, as an HTTP subgraph would answer `{ errors }`),
   * passed on as an event and then completion; and the connection's end, which `failWs` has
   * already reported by then (its listeners run first).
   */
  private wsSubscriptionError(upstream: Upstream, err: unknown): void {
    if (Array.isArray(err)) {
      upstream.next({ errors: err });
      upstream.complete();
    } else {
      upstream.fail(describeWsError(err));
    }
  }

  private openWs(key: string, subgraph: string, url: string, headers: Record<string, string>): WsConnection {
    const connection: WsConnection = { key, subgraph, client: undefined as unknown as WsClient, upstreams: new Set(), sockets: new Set(), opened: false, acked: false, done: false };
    connection.client = createWsClient({
      url,
      webSocketImpl: this.socketClass(connection, headers),
      // Apollo Client's convention (`connectionParams: { headers }`), which graphql-ws servers read
      // in onConnect: for subgraphs that authenticate the connection rather than the upgrade.
      connectionParams: Object.keys(headers).length > 0 ? { headers } : undefined,
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      shouldRetry: () => false,
      keepAlive: this.options.keepAliveMs,
      on: {
        opened: () => void (connection.opened = true),
        connected: () => {
          connection.acked = true;
          this.clock.clearTimer(connection.initTimer);
        },
        ping: (received) => void (received || this.awaitPong(connection)),
        pong: (received) => void (received && this.clock.clearTimer(connection.pongTimer)),
        // Listeners given here run before the client's own: its subscriptions learn of the end from
        // us, with our reason, before graphql-ws reports (or, on a 1000 close, retries) them.
        error: (err) => this.failWs(connection, describeWsError(err)),
        closed: (event) => this.failWs(connection, describeClose(event)),
      },
    });
    connection.initTimer = this.clock.setTimeout(
      () => this.failWs(connection, connection.opened ? 'connection_ack timeout' : 'timeout'),
      this.options.connectionInitTimeoutMs,
    );
    this.wsConnections.set(key, connection);
    return connection;
  }

  /** A WebSocket class for graphql-ws that sends the headers on the upgrade and refuses large frames. */
  private socketClass(connection: WsConnection, headers: Record<string, string>): unknown {
    const maxPayload = this.options.maxMessageBytes;
    const adopt = (socket: WebSocket) => this.adoptSocket(connection, socket);
    return class UpstreamSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers, maxPayload });
        adopt(this);
      }
    };
  }

  private adoptSocket(connection: WsConnection, socket: WebSocket): void {
    connection.sockets.add(socket);
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.sockets.delete(socket);
        resolve();
      }),
    );
    this.sockets.set(socket, { subgraph: connection.subgraph, closed });
  }

  private awaitPong(connection: WsConnection): void {
    this.clock.clearTimer(connection.pongTimer);
    connection.pongTimer = this.clock.setTimeout(() => this.failWs(connection, 'keep-alive timeout'), this.options.keepAliveMs);
  }

  /** The connection is unusable: each of its subscriptions ends with `reason`, and its socket is cut. */
  private failWs(connection: WsConnection, reason: string): void {
    if (connection.done) return;
    this.retire(connection);
    for (const upstream of [...connection.upstreams]) upstream.fail(reason);
    for (const socket of connection.sockets) socket.terminate();
  }

  /** A subscription left: the last one takes the connection with it. */
  private leaveWs(connection: WsConnection, upstream: Upstream): void {
    connection.upstreams.delete(upstream);
    if (connection.upstreams.size > 0 || connection.done) return;
    this.retire(connection);
    // graphql-ws closes an acknowledged socket when its last subscription leaves; one still opening
    // would wait for an acknowledgement that may never come.
    if (!connection.acked) for (const socket of connection.sockets) socket.terminate();
  }

  private retire(connection: WsConnection): void {
    connection.done = true;
    this.clock.clearTimer(connection.initTimer);
    this.clock.clearTimer(connection.pongTimer);
    if (this.wsConnections.get(connection.key) === connection) this.wsConnections.delete(connection.key);
  }

  // sse ---------------------------------------------------------------------------------------

  private subscribeSse(target: UpstreamTarget, headers: Record<string, string>, payload: SubscribePayload, sink: UpstreamSink): Upstream {
    const upstream = this.track(
      new Upstream(target.subgraph, sink, this.logger, (u) => {
        this.upstreams.delete(u);
        this.sse.delete(u);
      }),
    );
    this.sse.add(upstream);
    const timer = this.clock.setTimeout(() => upstream.fail('timeout'), this.options.connectionInitTimeoutMs);
    const client = createSseClient({
      url: target.url,
      singleConnection: false,
      retryAttempts: 0,
      headers,
      fetchFn: (url: string, init: RequestInit) => this.sseFetch(upstream, url, init, () => this.clock.clearTimer(timer)),
    });
    const unsubscribe = client.subscribe(payload as Parameters<typeof client.subscribe>[0], {
      next: (value) => upstream.next(value),
      // A reason found on the way (refused, cut, too large) is better than what graphql-sse saw.
      error: (err) => upstream.fail(upstream.reason ?? describeSseError(err)),
      complete: () => (upstream.reason === undefined ? upstream.complete() : upstream.fail(upstream.reason)),
    });
    upstream.cancel = () => {
      this.clock.clearTimer(timer);
      unsubscribe();
      client.dispose();
    };
    return upstream;
  }

  private async sseFetch(upstream: Upstream, url: string, init: RequestInit, responded: () => void): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch(url, init);
    } catch (err) {
      // graphql-sse keeps only the message of a fetch failure; the cause says what happened.
      upstream.reason ??= describeTransportError((err as { cause?: unknown })?.cause ?? err);
      throw err;
    } finally {
      responded();
    }
    if (!response.ok || !response.body) return response;
    return new Response(this.limitEvents(upstream, response.body), { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /**
   * The response body, passed through event by event as it comes: an event over `maxMessageBytes`
   * ends the stream there (the events before it still pass), and an end without `complete` ends the
   * subscription. graphql-sse notices a body that ends only if it is waiting for an event at that
   * moment; otherwise it would wait forever, so the end is settled here, once it had its turn.
   */
  private limitEvents(upstream: Upstream, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    const scanner = new EventScanner(this.options.maxMessageBytes);
    const settle = (reason: string) => {
      upstream.reason ??= reason;
      this.clock.setTimeout(() => upstream.fail(upstream.reason ?? reason), 0);
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          upstream.reason ??= describeTransportError((err as { cause?: unknown })?.cause ?? err);
          controller.error(err);
          return;
        }
        if (chunk.done) {
          controller.close();
          if (!scanner.completed) settle('connection closed');
          return;
        }
        const kept = scanner.scan(chunk.value);
        if (kept === undefined) return controller.enqueue(chunk.value);
        if (kept > 0) controller.enqueue(chunk.value.subarray(0, kept));
        controller.close();
        reader.cancel().catch(() => {});
        settle('message too large');
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}

type SubscribePayload = { query: string; operationName?: string; variables?: Record<string, unknown> };

const LF = 0x0a;

/**
 * Finds the ends of SSE events (a blank line) in the bytes as they come, to measure each event and
 * to see `event: complete`, without decoding or parsing: graphql-sse parses what passes.
 */
class EventScanner {
  completed = false;
  private eventBytes = 0;
  /** The current line's first characters: enough to recognise `event: complete`. */
  private lineStart = '';
  private lineLength = 0;

  constructor(private readonly maxBytes: number) {}

  /** Undefined: all of `chunk` may pass. A number: an event grew too large; pass that many bytes (the events before it). */
  scan(chunk: Uint8Array): number | undefined {
    let boundary = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      this.eventBytes++;
      if (byte === LF) {
        if (this.lineLength === 0 || this.lineStart === '\r') {
          this.eventBytes = 0;
          boundary = i + 1;
        } else if (/^event: ?complete\r?$/.test(this.lineStart)) {
          this.completed = true;
        }
        this.lineStart = '';
        this.lineLength = 0;
      } else {
        if (this.lineStart.length < 16) this.lineStart += String.fromCharCode(byte);
        this.lineLength++;
      }
      if (this.maxBytes > 0 && this.eventBytes > this.maxBytes) return boundary;
    }
    return undefined;
  }
}

/**
 * A WebSocket error as a client-safe reason. Socket failures come as ws's ErrorEvent with the Node
 * error inside; graphql-ws's own (a message that breaks the protocol) as plain Errors.
 */
function describeWsError(err: unknown): string {
  const inner = (err as { error?: unknown } | undefined)?.error;
  if (inner === undefined) return 'invalid message';
  if ((inner as { code?: string })?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'message too large';
  const status = /Unexpected server response: (\d{3})/.exec(String((inner as Error)?.message))?.[1];
  if (status) return `HTTP ${status}`;
  return describeTransportError(inner);
}

/** A close while subscriptions were open. Its text is the subgraph's and may say anything: only the code is kept. */
function describeClose(event: unknown): string {
  const code = (event as { code?: number } | undefined)?.code;
  switch (code) {
    case 1000:
      return 'connection closed';
    case 1001:
      return 'subgraph going away';
    case 1006:
      return 'connection lost';
    case 1009:
      return 'message too large';
    default:
      return code === undefined ? 'connection closed' : `connection closed (code ${code})`;
  }
}

function describeSseError(err: unknown): string {
  if (err instanceof NetworkError) {
    const status = (err.response as { status?: number } | undefined)?.status;
    return status === undefined ? 'connection lost' : `HTTP ${status}`;
  }
  return 'invalid message';
}
