import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerAdminRoutes, type AdminOptions } from '../admin/adminRoutes';
import { registerHealthRoute, registerOperationsRoutes, type OperationsOptions } from '../admin/operationsRoutes';
import { DEFAULT_CSRF_PREVENTION_HEADERS } from '../config';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { Gateway } from '../gateway';
import { isPreflight, registerCors, type CorsOptions } from './cors';
import { createGraphiqlAssets } from './graphiql';
import { UNSUPPORTED, badRequest, registerGraphQLRoutes, respond, toGatewayRequest, type Refuse } from './graphqlRoutes';
import { dropStalledReaders, limitConnections } from './greedyClients';
import { handleSocketError, type SocketErrorAnswer } from './socketErrors';
import { OpenStreams } from './streams';
import { serveWebSockets, type WebSocketOptions } from './webSocket';

export interface ServerOptions {
  /** Serve GraphiQL to browsers at GET /graphql. */
  graphiql: boolean;
  /** Largest request body, bytes. */
  bodyLimit: number;
  /** Path of the GraphQL endpoint. Default `/graphql`. */
  path?: string;
  /** The admin API; not served when absent. */
  admin?: AdminOptions;
  /** Serve /metrics and /readyz here too (behind `token` when given); not served when absent. /healthz always is. */
  operations?: OperationsOptions;
  /** HTTPS: certificate and key, PEM. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Accept JSON arrays of operations, at most `maxSize`. Default: off. */
  batching?: { enabled: boolean; maxSize: number };
  /** Proxies (addresses, CIDRs) whose X-Forwarded-For is believed for `request.ip`. Default: none. */
  trustProxy?: readonly string[] | false;
  /** Slow clients: time to receive a whole request, its headers, idle keep-alive time, and time an answer may stall unread, ms (0: off). Default: Node's. */
  timeouts?: ClientTimeouts;
  /** Most connections open at once; 0 or absent: no limit. */
  maxConnections?: number;
  /** CORS on the GraphQL path (`corsOptionsFrom(config)`). Default: none, no CORS headers. */
  cors?: CorsOptions;
  /**
   * CSRF prevention on the GraphQL path: the headers that let a request a browser could send
   * without a preflight through, or `false` to turn it off. Default: on, with `csrfPrevention.requestHeaders`' default.
   */
  csrfPrevention?: { requestHeaders: readonly string[] } | false;
  /** GraphQL over WebSocket (graphql-transport-ws) on the GraphQL path. Default: not served. */
  webSocket?: Omit<WebSocketOptions, 'path'>;
  /**
   * At shutdown, how long streamed responses (SSE, multipart) may take to end, ms: a subscription's
   * ends at once, an incremental (`@defer`) response's when its last part is sent. Default 1 000.
   */
  streamEndMs?: number;
}

export interface ClientTimeouts {
  requestMs: number;
  headersMs: number;
  keepAliveMs: number;
  sendMs: number;
}

/**
 * Fastify and Node options for slow clients. Node checks the request and headers timeouts only every
 * `connectionsCheckingInterval` (30 s by default), which would let a stalled request outlive its
 * timeout by that much: check a few times per (shortest) timeout instead, at most once a second.
 * Over TLS, Node starts those clocks only once the handshake is done, and gives a handshake 120 s:
 * it gets the headers timeout too, or a client that never finishes one is a slowloris Node never times.
 * @internal
 */
export function timeoutOptions(t: ClientTimeouts | undefined) {
  if (!t) return {};
  const shortest = Math.min(...[t.requestMs, t.headersMs].filter((ms) => ms > 0));
  const connectionsCheckingInterval = Number.isFinite(shortest) ? Math.min(1000, Math.max(25, Math.floor(shortest / 4))) : undefined;
  const http = { connectionsCheckingInterval, ...(t.headersMs > 0 ? { headersTimeout: t.headersMs } : {}) };
  const tls = t.headersMs > 0 ? { handshakeTimeout: t.headersMs } : {};
  return { fastify: { requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs }, http, tls };
}

const ASSET_BASE = '/graphiql-assets';
/** At shutdown, how long streamed responses may take to end before their connections are closed anyway: the default of `ServerOptions.streamEndMs`. */
const STREAM_END_MS = 1_000;

/**
 * The HTTP adapter: GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) on top of
 * `Gateway.handle`, plus GraphiQL and health. No GraphQL logic lives here.
 */
export function createServer(gateway: Gateway, options: ServerOptions): FastifyInstance {
  const path = options.path ?? '/graphql';
  const refusals = refusalsFor(gateway, options.bodyLimit);
  const app = fastifyFor(options, refusals);
  // First: its onRequest hook then runs before any other, so every answer carries the headers.
  if (options.cors) registerCors(app, path, options.cors);
  dropStalledReaders(app, options.timeouts?.sendMs ?? 0);
  limitConnections(app, gateway, options.maxConnections ?? 0);
  // `Expect` other than 100-continue: Node answers 417 itself, with no body.
  app.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({ errors: [badRequest('Unsupported Expect header: only 100-continue is supported.')] });
    res.writeHead(417, { connection: 'close', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  app.setErrorHandler(refusals.onError);
  refuseWhileClosing(app, refusals.refuse);
  refuseOtherRoutes(app, path, refusals.refuse);
  const csrfPrevention = options.csrfPrevention === undefined ? { requestHeaders: DEFAULT_CSRF_PREVENTION_HEADERS } : options.csrfPrevention;
  const openStreams = new OpenStreams();
  registerGraphQLRoutes(
    app,
    gateway,
    {
      path,
      graphiqlAssets: options.graphiql ? ASSET_BASE : undefined,
      batching: options.batching,
      csrfPreventionHeaders: csrfPrevention ? csrfPrevention.requestHeaders : undefined,
      openStreams,
    },
    refusals.refuse,
  );

  if (options.graphiql) {
    const assets = createGraphiqlAssets();
    app.get(`${ASSET_BASE}/:name`, async (request, reply) => {
      const asset = assets((request.params as { name: string }).name);
      if (!asset) return reply.code(404).type('text/plain').send('not found');
      return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body);
    });
  }
  const webSockets = options.webSocket ? serveWebSockets(app, gateway, { ...options.webSocket, path }) : undefined;
  // Subscriptions do not end by themselves: when the server closes, every client gets `complete`
  // (SSE and multipart streams end, WebSocket subscriptions send it), then WebSockets close (1001).
  const endStreams = async () => {
    gateway.subscriptions?.endAll();
    await Promise.all([webSockets?.close(), openStreams.ended(options.streamEndMs ?? STREAM_END_MS, gateway.clock)]);
  };
  streamEnders.set(app, endStreams);
  app.addHook('preClose', endStreams);
  if (options.admin) registerAdminRoutes(app, gateway, options.admin);
  registerHealthRoute(app, gateway);
  if (options.operations) registerOperationsRoutes(app, gateway, options.operations);
  return app;
}

const streamEnders = new WeakMap<FastifyInstance, () => Promise<void>>();

/**
 * Ends every subscription a server created by `createServer` serves, and resolves once their ends
 * were sent (`complete`, the last SSE event or multipart boundary, WebSocket close frames) and the
 * incremental responses under way have sent their last parts, at most `streamEndMs` later.
 * Shutdown calls it before closing connections; closing the server calls it too.
 */
export function endStreams(app: FastifyInstance): Promise<void> {
  return streamEnders.get(app)?.() ?? Promise.resolve();
}

/** The Fastify instance, HTTP or HTTPS, with the body limit, proxies and timeouts of `options`. */
function fastifyFor(options: ServerOptions, refusals: Refusals): FastifyInstance {
  const timeouts = timeoutOptions(options.timeouts);
  const common = {
    bodyLimit: options.bodyLimit,
    logger: false,
    // A request that arrives while the server closes (on a connection open at that moment) gets our
    // 503 (refuseWhileClosing), not Fastify's body.
    return503OnClosing: false,
    // Route parameters are names (admin: client names and versions up to 128 characters, each
    // perhaps percent-encoded to three): Fastify's 100 would answer 414 before the route checks them.
    routerOptions: { maxParamLength: 512 },
    // Fastify's trustProxy (proxy-addr): request.ip walks X-Forwarded-For back only through trusted hops.
    trustProxy: options.trustProxy ? [...options.trustProxy] : false,
    ...timeouts.fastify,
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => handleSocketError(err, socket, (s, answer) => refusals.answeredOnSocket.set(s, answer)),
    // A URL that does not decode, a route parameter too long: Fastify would answer with its own body.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void refusals.onError(error, request, reply),
  } as const;
  const app = (options.tls
    ? Fastify({ ...common, https: { cert: options.tls.cert, key: options.tls.key, ...timeouts.http, ...timeouts.tls } })
    : Fastify({ ...common, http: timeouts.http })) as unknown as FastifyInstance;
  // Bodies are parsed in the route so that bad JSON gets a GraphQL error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/graphql-response+json'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, UNSUPPORTED));
  return app;
}

interface Refusals {
  /** Sockets Node's parser gave up on (408, 431, 400), answered before Fastify could. */
  answeredOnSocket: WeakMap<Socket, SocketErrorAnswer>;
  refuse: Refuse;
  onError(error: { statusCode?: number; code?: string; message: string }, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/**
 * Requests refused by the HTTP layer never become GraphQL requests, but plugins still see them end:
 * they are counted, logged and traced like the others. Every failure Fastify reports (body too
 * large, bad content length, a URL that does not decode) becomes our envelope with a catalogue code.
 */
function refusalsFor(gateway: Gateway, bodyLimit: number): Refusals {
  const answeredOnSocket = new WeakMap<Socket, SocketErrorAnswer>();
  const refuse: Refuse = async (request, reply, status, errors, mediaType) =>
    respond(reply, mediaType, await gateway.refuse(toGatewayRequest(request, request.method === 'GET' ? 'GET' : 'POST', {}), status, errors));
  const onError: Refusals['onError'] = (error, request, reply) => {
    const answered = answeredOnSocket.get(request.raw.socket);
    if (answered !== undefined) {
      // The socket was answered and closed (the body stalled past the request timeout): nothing can
      // be sent any more, but plugins record the refusal as the client saw it.
      return refuse(request, reply, answered.status, [answered.error], 'application/json');
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status === 413) {
      const message = `Request body is larger than the limit of ${bodyLimit} bytes.`;
      return refuse(request, reply, 413, [{ message, extensions: { code: GatewayErrorCode.BODY_LIMIT_EXCEEDED, limit: bodyLimit } }], 'application/json');
    }
    // A bug or a transport failure: the details go to the log, never to the client.
    if (status >= 500) gateway.logger.error('request failed in the HTTP layer', { url: request.url, error: String((error as Error).stack ?? error.message) });
    let message = 'Unexpected error.';
    if (status === 415) message = 'Unsupported content type: send application/json.';
    else if (error.code === 'FST_ERR_BAD_URL') message = 'The request URL is not valid.';
    else if (status === 414) message = 'The request URL is too long.';
    else if (status < 500) message = 'Bad request.';
    return refuse(request, reply, status, [{ message, extensions: { code: status >= 500 ? GatewayErrorCode.INTERNAL_SERVER_ERROR : GatewayErrorCode.BAD_REQUEST } }], 'application/json');
  };
  return { answeredOnSocket, refuse, onError };
}

/** Once the server closes, a request on a connection still open gets 503 and the connection closes. */
function refuseWhileClosing(app: FastifyInstance, refuse: Refuse): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    const error = { message: 'The gateway is shutting down: retry on another instance.', extensions: { code: GatewayErrorCode.SHUTTING_DOWN } };
    void refuse(request, reply, 503, [error], 'application/json');
  });
}

/**
 * Another method on the GraphQL path (PUT, DELETE, OPTIONS…) is 405 with Allow, as the GraphQL over
 * HTTP spec asks; any other path is 404. Both in our envelope, not Fastify's. A CORS preflight on the
 * GraphQL path that CORS did not answer (an origin it does not allow, or CORS off) is answered 204
 * with no CORS header, which the browser takes as a refusal: it is not a GraphQL request, so no
 * plugin sees it and nothing counts or logs it (any site can send them).
 */
function refuseOtherRoutes(app: FastifyInstance, path: string, refuse: Refuse): void {
  app.setNotFoundHandler((request, reply) => {
    if (request.url.split('?')[0] === path) {
      if (isPreflight(request)) return reply.code(204).header('content-length', '0').send();
      reply.header('allow', 'GET, POST');
      return refuse(request, reply, 405, [badRequest('Method not allowed: use GET or POST.')], 'application/json');
    }
    return refuse(request, reply, 404, [badRequest(`Not found: GraphQL is served at ${path}.`)], 'application/json');
  });
}

/**
 * The operations listener: /healthz, /readyz and /metrics apart from client traffic (plain HTTP,
 * meant for a private interface), with the client listener's timeouts.
 */
export function createOperationsServer(gateway: Gateway, options: OperationsOptions & { timeouts?: ClientTimeouts }): FastifyInstance {
  const timeouts = timeoutOptions(options.timeouts);
  // Only GETs are served: no body is worth more than a few bytes.
  const app = Fastify({ bodyLimit: 1024, logger: false, return503OnClosing: true, ...timeouts.fastify, http: timeouts.http }) as unknown as FastifyInstance;
  dropStalledReaders(app, options.timeouts?.sendMs ?? 0);
  registerHealthRoute(app, gateway);
  registerOperationsRoutes(app, gateway, options);
  return app;
}

