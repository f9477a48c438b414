/**
 * GraphQL over WebSocket, the `graphql-transport-ws` protocol (the one Apollo Client, urql and Relay
 * speak through the `graphql-ws` library), on the GraphQL path of the client listener. graphql-ws's
 * `makeServer` runs the protocol (connection_init, ping/pong messages, subscribe/next/complete, its
 * close codes); each operation is a request of its own through `Gateway.handleStreaming`, with the
 * upgrade request's headers and the credentials of the `connection_init` payload.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, parse, type ExecutionArgs } from 'graphql';
import { CloseCode, makeServer, type Context } from 'graphql-ws';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { originMatcher } from '../config/corsOrigins';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { Gateway } from '../gateway';
import { isStream, type GatewayResult } from '../pipeline/result';
import type { GatewayRequest } from '../plugins/types';

export interface WebSocketOptions {
  path: string;
  /** Largest message a client may send, bytes. */
  maxPayload: number;
  connectionInitWaitTimeoutMs: number;
  /** Ping interval, ms; 0: no pings. */
  keepAliveMs: number;
  /** Operations one connection may have under way at once. */
  maxOperations: number;
  /** `cors.origins`: browser pages from these origins may connect (besides the gateway's own). */
  corsOrigins: readonly string[] | undefined;
  /** `listen.trustProxy`: the proxies whose X-Forwarded-For gives a client's address, as for HTTP requests. */
  trustProxy?: readonly string[] | false;
}

/** What the protocol layer keeps per connection. */
interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** The client's address. */
  readonly address: string | undefined;
  /** The upgrade request's headers with the connection_init payload's credentials: every operation's headers. */
  headers?: Record<string, string | undefined>;
  /** The protocol's state of the connection, once it is initialised: its subscriptions in flight. */
  context?: Context<Record<string, unknown> | undefined, Extra>;
}

/** Where graphql-ws's `subscribe` finds what the gateway answered (it is given a stand-in document). */
interface Answered {
  readonly result: GatewayResult;
}

// graphql-ws picks `subscribe` or `execute` from the document's operation; the gateway already ran
// the real one, so the protocol layer always gets this stand-in and hands back what the gateway made.
const STAND_IN = parse('subscription { __typename }');

/** The WebSocket endpoint; `close()` ends every connection with 1001 (going away). */
export interface WebSocketEndpoint {
  close(): Promise<void>;
}

export function serveWebSockets(app: FastifyInstance, gateway: Gateway, options: WebSocketOptions): WebSocketEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, handleProtocols: (protocols) => handleProtocols(protocols) });
  const allowed = options.corsOrigins ? originMatcher(options.corsOrigins) : undefined;
  const trusted = options.trustProxy ? proxyAddr.compile([...options.trustProxy]) : undefined;
  const protocol = makeServer<Record<string, unknown> | undefined, Extra>({
    connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs,
    onConnect: (ctx) => connect(gateway, ctx),
    onSubscribe: (ctx, _id, payload) => {
      // graphql-ws counts this operation among the connection's before it asks.
      if (Object.keys(ctx.subscriptions).length > options.maxOperations) return [tooManyOperations(options.maxOperations)];
      return subscribe(gateway, ctx, payload as unknown as Record<string, unknown>);
    },
    subscribe: (args) => answerOf(args) as never,
    execute: (args) => answerOf(args) as never,
    // The gateway's payloads are already formatted: sent as they are.
    onNext: (_ctx, _id, _payload, _args, result) => result,
  });
  let closing = false;
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if ((request.url ?? '').split('?')[0] !== options.path) return refuseUpgrade(socket, 404, 'Not Found');
    if (!originAllowed(request, allowed)) return refuseUpgrade(socket, 403, 'Forbidden');
    wss.handleUpgrade(request, socket, head, (ws) => open(ws, request));
  });

  const extras = new WeakMap<WebSocket, Extra>();
  function open(ws: WebSocket, request: IncomingMessage): void {
    // As Fastify's request.ip: the closest address not in listen.trustProxy (anonymous budgets and
    // the per-client subscription limit count by it).
    const extra: Extra = { socket: ws, request, address: trusted ? proxyAddr(request, trusted) : request.socket.remoteAddress };
    extras.set(ws, extra);
    const stopPinging = keepAlive(ws, gateway, options.keepAliveMs);
    const closed = protocol.opened(
      {
        protocol: ws.protocol,
        send: (data) => new Promise<void>((resolve) => (ws.readyState === ws.OPEN ? ws.send(data, () => resolve()) : resolve())),
        close: (code, reason) => ws.close(code, reason),
        onMessage: (receive) =>
          ws.on('message', (data) => {
            receive(String(data)).catch((err: unknown) => {
              gateway.logger.error('WebSocket message failed', { error: String((err as Error)?.stack ?? err) });
              ws.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );
    ws.once('error', () => ws.terminate());
    ws.once('close', (code, reason) => {
      stopPinging();
      void closed(code, String(reason));
    });
  }

  return {
    async close() {
      closing = true;
      await Promise.all([...wss.clients].map((ws) => closeSocket(ws, extras.get(ws), gateway)));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** connection_init: the gateway's onConnection hooks decide; a refusal closes with 4403 and its message. */
async function connect(gateway: Gateway, ctx: Context<Record<string, unknown> | undefined, Extra>): Promise<boolean> {
  const headers = headersOf(ctx.extra.request, ctx.connectionParams);
  ctx.extra.headers = headers;
  ctx.extra.context = ctx;
  const refusal = await gateway.connect(gatewayRequest(ctx.extra, headers, {}));
  if (!refusal) return true;
  const message = refusal.body.errors?.[0]?.message ?? 'Forbidden';
  ctx.extra.socket.close(CloseCode.Forbidden, closeReason(message));
  return false;
}

/** One operation: the gateway's answer, or the errors of a refusal (sent as the protocol's `error` message). */
async function subscribe(gateway: Gateway, ctx: Context<Record<string, unknown> | undefined, Extra>, payload: Record<string, unknown>): Promise<ExecutionArgs | GraphQLError[]> {
  const request = gatewayRequest(ctx.extra, ctx.extra.headers ?? {}, payload);
  const result = await gateway.handleStreaming(request);
  if (isStream(result)) {
    result.onDropped((reason) => dropSlowClient(ctx.extra.socket, reason, gateway));
  } else if (result.status >= 400 && result.body.data === undefined) {
    const errors = result.body.errors ?? [{ message: 'Request refused.' }];
    return errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
  }
  const answered: Answered = { result };
  return { schema: gateway.supergraph!.schema, document: STAND_IN, rootValue: answered };
}

function tooManyOperations(limit: number): GraphQLError {
  const message = `Too many operations under way on this connection: at most ${limit} at once.`;
  return new GraphQLError(message, { extensions: { code: GatewayErrorCode.CONNECTION_OPERATION_LIMIT_EXCEEDED, limit } });
}

function answerOf(args: ExecutionArgs): unknown {
  const { result } = args.rootValue as Answered;
  // graphql-ws sends an iterable's items as `next` messages, then `complete`; a single result as one.
  return isStream(result) ? result.payloads : result.body;
}

function gatewayRequest(extra: Extra, headers: Record<string, string | undefined>, payload: Record<string, unknown>): GatewayRequest {
  const object = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  return {
    method: 'POST',
    headers,
    query: typeof payload.query === 'string' ? payload.query : undefined,
    operationName: typeof payload.operationName === 'string' && payload.operationName !== '' ? payload.operationName : undefined,
    variables: object(payload.variables),
    extensions: object(payload.extensions),
    documentId: typeof payload.documentId === 'string' ? payload.documentId : undefined,
    remoteAddress: extra.address,
  };
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const MAX_PARAMS_HEADERS = 64;

/**
 * The headers every operation on the connection carries: the upgrade request's, then the
 * connection_init payload's (browsers cannot set headers on a WebSocket, so clients put credentials
 * there): its string entries (`authorization`, `x-api-key`, client names), and those of its
 * `headers` object, names lower-cased. A header the payload names replaces the upgrade request's.
 */
export function headersOf(request: IncomingMessage, params: Record<string, unknown> | undefined): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = { ...(request.headers as Record<string, string | undefined>) };
  const nested = params?.headers && typeof params.headers === 'object' && !Array.isArray(params.headers) ? (params.headers as Record<string, unknown>) : {};
  let taken = 0;
  for (const source of [params ?? {}, nested]) {
    for (const [name, value] of Object.entries(source)) {
      const lower = name.toLowerCase();
      if (typeof value !== 'string' || !HEADER_NAME.test(lower) || lower === '__proto__' || taken >= MAX_PARAMS_HEADERS) continue;
      headers[lower] = value;
      taken++;
    }
  }
  return headers;
}

/**
 * A browser page may open a WebSocket to any site, and the protocol has no preflight: a page from an
 * origin CORS does not allow (or any other origin, without CORS) is refused, unless it is the
 * gateway's own. Clients outside browsers send no Origin.
 */
function originAllowed(request: IncomingMessage, allowed: ReturnType<typeof originMatcher> | undefined): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed?.allows(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** Pings every `ms`; a client that has not answered the last ping by the next is gone: terminated. */
function keepAlive(ws: WebSocket, gateway: Gateway, ms: number): () => void {
  if (ms <= 0) return () => {};
  let answered = true;
  ws.on('pong', () => (answered = true));
  const timer = gateway.clock.setInterval(() => {
    if (!answered) return ws.terminate();
    answered = false;
    ws.ping();
  }, ms);
  return () => gateway.clock.clearTimer(timer);
}

/** A client too slow to read its events: closed with the reason, and cut off if it does not read that either. */
function dropSlowClient(ws: WebSocket, reason: string, gateway: Gateway): void {
  // 1008: policy violation, the closest the WebSocket codes have to "you read too slowly".
  ws.close(1008, closeReason(reason));
  gateway.clock.setTimeout(() => ws.terminate(), 1_000);
}

/**
 * Closes with 1001 (going away) once the connection's subscriptions have sent their `complete`
 * (the gateway ended them just before), waiting a moment for the close handshake before cutting it.
 */
async function closeSocket(ws: WebSocket, extra: Extra | undefined, gateway: Gateway): Promise<void> {
  for (let turns = 0; turns < 100 && extra?.context && Object.keys(extra.context.subscriptions).length > 0; turns++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = gateway.clock.setTimeout(() => ws.terminate(), 1_000);
    ws.once('close', () => {
      gateway.clock.clearTimer(timer);
      resolve();
    });
    ws.close(1001, 'Going away');
  });
}

/** A close reason fits in 123 bytes. */
function closeReason(message: string): string {
  return Buffer.byteLength(message) <= 123 ? message : Buffer.from(message).subarray(0, 120).toString().replace(/\uFFFD$/, '') + '...';
}
