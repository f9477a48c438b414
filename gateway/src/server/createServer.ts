import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import { registerAdminRoutes, type AdminOptions } from '../admin/adminRoutes';
import { registerHealthRoute, registerOperationsRoutes, type OperationsOptions } from '../admin/operationsRoutes';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { Gateway, GatewayResponse } from '../gateway';
import type { GatewayRequest } from '../plugins/types';
import { createGraphiqlAssets, graphiqlPage } from './graphiql';
import { GRAPHQL_RESPONSE_JSON, negotiateMediaType, type ResponseMediaType } from './negotiate';
import { dropStalledReaders, limitConnections } from './greedyClients';
import { handleSocketError, type SocketErrorAnswer } from './socketErrors';

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

/**
 * The HTTP adapter: GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) on top of
 * `Gateway.handle`, plus GraphiQL and health. No GraphQL logic lives here.
 */
export function createServer(gateway: Gateway, options: ServerOptions): FastifyInstance {
  const path = options.path ?? '/graphql';
  // Fastify's trustProxy (proxy-addr): request.ip walks X-Forwarded-For back only through trusted hops.
  const timeouts = timeoutOptions(options.timeouts);
  // Sockets Node's parser gave up on (408, 431, 400), answered before Fastify could: a request whose
  // body timed out is still being read by Fastify, and its refusal is recorded with that status.
  const answeredOnSocket = new WeakMap<Socket, SocketErrorAnswer>();
  const common = {
    bodyLimit: options.bodyLimit,
    logger: false,
    // A request that arrives while the server closes (on a connection open at that moment) gets our
    // 503 below, not Fastify's body.
    return503OnClosing: false,
    trustProxy: options.trustProxy ? [...options.trustProxy] : false,
    ...timeouts.fastify,
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => handleSocketError(err, socket, (s, answer) => answeredOnSocket.set(s, answer)),
    // A URL that does not decode, a route parameter too long: Fastify would answer with its own body.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void onError(error, request, reply),
  } as const;
  const app = (options.tls
    ? Fastify({ ...common, https: { cert: options.tls.cert, key: options.tls.key, ...timeouts.http, ...timeouts.tls } })
    : Fastify({ ...common, http: timeouts.http })) as unknown as FastifyInstance;
  const assets = createGraphiqlAssets();
  dropStalledReaders(app, options.timeouts?.sendMs ?? 0);
  limitConnections(app, gateway, options.maxConnections ?? 0);
  // `Expect` other than 100-continue: Node answers 417 itself, with no body.
  app.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({ errors: [badRequest('Unsupported Expect header: only 100-continue is supported.')] });
    res.writeHead(417, { connection: 'close', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });

  // Bodies are parsed in the route so that bad JSON gets a GraphQL error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/graphql-response+json'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, UNSUPPORTED));

  // Requests refused here never become GraphQL requests, but plugins still see them end: they are
  // counted, logged and traced like the others.
  const refuse = async (request: FastifyRequest, reply: FastifyReply, status: number, errors: GraphQLFormattedError[], mediaType: ResponseMediaType) =>
    respond(reply, mediaType, await gateway.refuse(toGatewayRequest(request, request.method === 'GET' ? 'GET' : 'POST', {}), status, errors));

  // Every failure Fastify reports (body too large, bad content length, a URL that does not decode)
  // becomes our error envelope with a code from the catalogue.
  function onError(error: { statusCode?: number; code?: string; message: string }, request: FastifyRequest, reply: FastifyReply) {
    const answered = answeredOnSocket.get(request.raw.socket);
    if (answered !== undefined) {
      // The socket was answered and closed (the body stalled past the request timeout): nothing can
      // be sent any more, but plugins record the refusal as the client saw it.
      return refuse(request, reply, answered.status, [answered.error], 'application/json');
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status === 413) {
      const message = `Request body is larger than the limit of ${options.bodyLimit} bytes.`;
      return refuse(request, reply, 413, [{ message, extensions: { code: GatewayErrorCode.BODY_LIMIT_EXCEEDED, limit: options.bodyLimit } }], 'application/json');
    }
    // A bug or a transport failure: the details go to the log, never to the client.
    if (status >= 500) gateway.logger.error('request failed in the HTTP layer', { url: request.url, error: String((error as Error).stack ?? error.message) });
    let message = 'Unexpected error.';
    if (status === 415) message = 'Unsupported content type: send application/json.';
    else if (error.code === 'FST_ERR_BAD_URL') message = 'The request URL is not valid.';
    else if (status === 414) message = 'The request URL is too long.';
    else if (status < 500) message = 'Bad request.';
    return refuse(request, reply, status, [{ message, extensions: { code: status >= 500 ? GatewayErrorCode.INTERNAL_SERVER_ERROR : GatewayErrorCode.BAD_REQUEST } }], 'application/json');
  }
  app.setErrorHandler(onError);

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

  // Another method on the GraphQL path (PUT, DELETE, OPTIONS…) is 405 with Allow, as the GraphQL over
  // HTTP spec asks; any other path is 404. Both in our envelope, not Fastify's.

  app.setNotFoundHandler((request, reply) => {
    if (request.url.split('?')[0] === path) {
      reply.header('allow', 'GET, POST');
      return refuse(request, reply, 405, [badRequest('Method not allowed: use GET or POST.')], 'application/json');
    }
    return refuse(request, reply, 404, [badRequest(`Not found: GraphQL is served at ${path}.`)], 'application/json');
  });

  app.post(path, async (request, reply) => {
    const mediaType = negotiateMediaType(request.headers.accept);
    if (!mediaType) return refuse(request, reply, 406, [NOT_ACCEPTABLE], 'application/json');
    if (request.body === UNSUPPORTED || request.body === undefined) {
      return refuse(request, reply, 415, [badRequest('Unsupported content type: send application/json.')], mediaType);
    }
    let params: unknown;
    try {
      params = JSON.parse(request.body as string);
    } catch {
      return refuse(request, reply, 400, [badRequest('The request body is not valid JSON.')], mediaType);
    }
    if (Array.isArray(params)) {
      const batching = options.batching;
      if (!batching?.enabled) {
        return refuse(request, reply, 400, [badRequest('Batched requests are not accepted: send one operation per request.')], mediaType);
      }
      if (params.length === 0) return refuse(request, reply, 400, [badRequest('A batch must contain at least one operation.')], mediaType);
      if (batching.maxSize > 0 && params.length > batching.maxSize) {
        const message = `Batch of ${params.length} operations exceeds the limit of ${batching.maxSize}.`;
        return refuse(request, reply, 400, [{ message, extensions: { code: GatewayErrorCode.BATCH_LIMIT_EXCEEDED, limit: batching.maxSize } }], mediaType);
      }
      // Each operation is a request of its own (plugins, budgets, logs); they run side by side, and
      // the batch answers 200 with their results in order, each with its own errors.
      const responses = await Promise.all(
        params.map((item) => {
          const problem = paramsProblem(item);
          return problem
            ? gateway.refuse(toGatewayRequest(request, 'POST', {}), 400, [badRequest(problem)])
            : gateway.handle(toGatewayRequest(request, 'POST', item as Record<string, unknown>));
        }),
      );
      // One HTTP response carries them all: the operations' headers (rate limits, Retry-After,
      // WWW-Authenticate) are merged, a later operation's value winning, as Apollo Server does.
      for (const response of responses) if (response.headers) reply.headers(response.headers);
      return reply.code(200).type(contentType(mediaType)).send(JSON.stringify(responses.map((r) => r.body)));
    }
    const problem = paramsProblem(params);
    if (problem) return refuse(request, reply, 400, [badRequest(problem)], mediaType);
    return respond(reply, mediaType, await gateway.handle(toGatewayRequest(request, 'POST', params as Record<string, unknown>)));
  });

  app.get(path, async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    if (options.graphiql && q.query === undefined && prefersHtml(request.headers.accept)) {
      return reply.type('text/html; charset=utf-8').send(graphiqlPage(path, ASSET_BASE));
    }
    const mediaType = negotiateMediaType(request.headers.accept);
    if (!mediaType) return refuse(request, reply, 406, [NOT_ACCEPTABLE], 'application/json');
    if ([q.query, q.operationName, q.variables, q.extensions].some(Array.isArray)) {
      return refuse(request, reply, 400, [badRequest('Each query parameter may be given once.')], mediaType);
    }
    const params: Record<string, unknown> = { query: q.query, operationName: q.operationName || undefined };
    for (const key of ['variables', 'extensions'] as const) {
      const text = q[key] as string | undefined;
      if (text === undefined || text === '') continue;
      try {
        params[key] = JSON.parse(text);
      } catch {
        return refuse(request, reply, 400, [badRequest(`The "${key}" query parameter is not valid JSON.`)], mediaType);
      }
    }
    const problem = checkParams(params.query, params.operationName, params.variables, params.extensions);
    if (problem) return refuse(request, reply, 400, [badRequest(problem)], mediaType);
    return respond(reply, mediaType, await gateway.handle(toGatewayRequest(request, 'GET', params)));
  });

  if (options.graphiql) {
    app.get(`${ASSET_BASE}/:name`, async (request, reply) => {
      const asset = assets((request.params as { name: string }).name);
      if (!asset) return reply.code(404).type('text/plain').send('not found');
      return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body);
    });
  }

  if (options.admin) registerAdminRoutes(app, gateway, options.admin);

  registerHealthRoute(app, gateway);
  if (options.operations) registerOperationsRoutes(app, gateway, options.operations);

  return app;
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

const UNSUPPORTED = Symbol('unsupported content type');

function badRequest(message: string): GraphQLFormattedError {
  return { message, extensions: { code: GatewayErrorCode.BAD_REQUEST } };
}

/** What is wrong with a POSTed request object, if anything. */
function paramsProblem(params: unknown): string | undefined {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return 'The request body must be a JSON object.';
  const p = params as Record<string, unknown>;
  return checkParams(p.query, p.operationName, p.variables, p.extensions);
}

function checkParams(query: unknown, operationName: unknown, variables: unknown, extensions: unknown): string | undefined {
  if (query !== undefined && query !== null && typeof query !== 'string') return 'The "query" parameter must be a string.';
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return 'The "operationName" parameter must be a string.';
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return 'The "variables" parameter must be an object.';
  if (extensions !== undefined && extensions !== null && (typeof extensions !== 'object' || Array.isArray(extensions))) return 'The "extensions" parameter must be an object.';
  return undefined;
}

function toGatewayRequest(request: FastifyRequest, method: 'GET' | 'POST', p: Record<string, unknown>): GatewayRequest {
  return {
    method,
    headers: request.headers as Record<string, string | undefined>,
    query: (p.query as string | null | undefined) ?? undefined,
    // Some clients send "" for "no operation name".
    operationName: (p.operationName as string | null | undefined) || undefined,
    variables: (p.variables as Record<string, unknown> | null | undefined) ?? undefined,
    extensions: (p.extensions as Record<string, unknown> | null | undefined) ?? undefined,
    remoteAddress: request.ip,
  };
}

function respond(reply: FastifyReply, mediaType: ResponseMediaType, response: GatewayResponse) {
  if (response.headers) reply.headers(response.headers);
  // With plain application/json, the spec asks for 200 whenever the response is a GraphQL response
  // with data; errors before execution keep their 4xx (as Apollo Server does) so caches and proxies see them.
  return reply.code(response.status).type(contentType(mediaType)).send(JSON.stringify(response.body));
}

const NOT_ACCEPTABLE = badRequest('Not acceptable: accept application/graphql-response+json or application/json.');

function contentType(mediaType: ResponseMediaType): string {
  return mediaType === GRAPHQL_RESPONSE_JSON ? `${GRAPHQL_RESPONSE_JSON}; charset=utf-8` : 'application/json; charset=utf-8';
}

function prefersHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}
