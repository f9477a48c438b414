import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { Gateway } from '../gateway';
import { isStream, type GatewayResponse } from '../pipeline/result';
import type { GatewayRequest } from '../plugins/types';
import { csrfRefusal } from './csrf';
import { graphiqlPage } from './graphiql';
import { GRAPHQL_RESPONSE_JSON, JSON_TYPE, negotiateMediaType, type ResponseMediaType } from './negotiate';
import { formatFor, sendSingleAsSse, sendStream, streamAcceptOf, type OpenStreams, type StreamAccept } from './streams';

/** Answers a request the HTTP layer refuses, through `Gateway.refuse` (plugins see it end). */
export type Refuse = (request: FastifyRequest, reply: FastifyReply, status: number, errors: GraphQLFormattedError[], mediaType: ResponseMediaType) => Promise<unknown>;

export interface GraphQLRouteOptions {
  path: string;
  /** Where GraphiQL's assets are served, when GraphiQL is on. */
  graphiqlAssets: string | undefined;
  batching: { enabled: boolean; maxSize: number } | undefined;
  /** CSRF prevention's headers (see csrf.ts); undefined when it is off. */
  csrfPreventionHeaders: readonly string[] | undefined;
  /** Where subscriptions' SSE and multipart responses are kept track of, for shutdown. */
  openStreams: OpenStreams;
}

/** POST and GET on the GraphQL path, as the GraphQL over HTTP spec has them. */
export function registerGraphQLRoutes(app: FastifyInstance, gateway: Gateway, options: GraphQLRouteOptions, refuse: Refuse): void {
  const preventCsrf = csrfGuard(options, refuse);
  app.post(options.path, { onRequest: preventCsrf }, async (request, reply) => {
    const streams = streamAcceptOf(request.headers.accept);
    const mediaType = negotiateMediaType(request.headers.accept) ?? (streams ? JSON_TYPE : undefined);
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
    if (Array.isArray(params)) return answerBatch(gateway, options.batching, params, request, reply, mediaType, refuse);
    const problem = paramsProblem(params);
    if (problem) return refuse(request, reply, 400, [badRequest(problem)], mediaType);
    const gatewayRequest = toGatewayRequest(request, 'POST', params as Record<string, unknown>);
    if (streams) return answerStreaming(gateway, gatewayRequest, reply, { streams, mediaType, open: options.openStreams });
    return respond(reply, mediaType, await gateway.handle(gatewayRequest));
  });

  app.get(options.path, { onRequest: preventCsrf }, async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    if (options.graphiqlAssets !== undefined && servesGraphiql(options, request)) {
      return reply.type('text/html; charset=utf-8').send(graphiqlPage(options.path, options.graphiqlAssets));
    }
    const streams = streamAcceptOf(request.headers.accept);
    const mediaType = negotiateMediaType(request.headers.accept) ?? (streams ? JSON_TYPE : undefined);
    if (!mediaType) return refuse(request, reply, 406, [NOT_ACCEPTABLE], 'application/json');
    if ([q.query, q.operationName, q.variables, q.extensions, q.documentId].some(Array.isArray)) {
      return refuse(request, reply, 400, [badRequest('Each query parameter may be given once.')], mediaType);
    }
    const params: Record<string, unknown> = { query: q.query, documentId: q.documentId, operationName: q.operationName || undefined };
    for (const key of ['variables', 'extensions'] as const) {
      const text = q[key] as string | undefined;
      if (text === undefined || text === '') continue;
      try {
        params[key] = JSON.parse(text);
      } catch {
        return refuse(request, reply, 400, [badRequest(`The "${key}" query parameter is not valid JSON.`)], mediaType);
      }
    }
    const problem = checkParams(params.query, params.operationName, params.variables, params.extensions, params.documentId);
    if (problem) return refuse(request, reply, 400, [badRequest(problem)], mediaType);
    if (streams) return answerStreaming(gateway, toGatewayRequest(request, 'GET', params), reply, { streams, mediaType, open: options.openStreams });
    return respond(reply, mediaType, uncachedUnlessSuccessful(await gateway.handle(toGatewayRequest(request, 'GET', params))));
  });
}

/**
 * A request whose Accept allows a stream (SSE or multipart; Apollo Client sends such an Accept with
 * every query): a subscription's events, or an incremental (`@defer`) response's parts, in a format
 * it allows. Anything else gets one answer: over SSE as one `next` event (what an SSE client
 * reads), or, refused, as JSON with its status; otherwise as JSON, exactly as without the stream
 * types in Accept (a GET answer cacheable as any).
 */
async function answerStreaming(gateway: Gateway, request: GatewayRequest, reply: FastifyReply, how: { streams: StreamAccept; mediaType: ResponseMediaType; open: OpenStreams }) {
  const { streams, mediaType } = how;
  const result = await gateway.handleStreaming(request, { streaming: streams.subscriptions, incremental: streams.incremental });
  if (isStream(result)) {
    return sendStream(reply, result, formatFor(streams, result.kind), { heartbeatMs: gateway.config.subscriptions.heartbeatMs, clock: gateway.clock, open: how.open });
  }
  if (streams.sse && result.status < 400) return sendSingleAsSse(reply, result.status, result.body, result.headers);
  return respond(reply, mediaType, request.method === 'GET' ? uncachedUnlessSuccessful(result) : result);
}

/**
 * Refuses a request a browser could have sent cross-site without a preflight (csrf.ts) before its
 * body is read and before it becomes a GraphQL request: no plugin's onRequest runs and no subgraph
 * is called. Like the HTTP layer's other refusals, it is still counted and logged. GraphiQL's page is
 * not a GraphQL request: it is served to a GET without a query, whatever its headers.
 */
function csrfGuard(options: GraphQLRouteOptions, refuse: Refuse) {
  const headers = options.csrfPreventionHeaders;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!headers) return;
    if (request.method === 'GET' && servesGraphiql(options, request)) return;
    const error = csrfRefusal(request.headers, headers);
    if (error) return refuse(request, reply, 400, [error], negotiateMediaType(request.headers.accept) ?? 'application/json');
  };
}

function servesGraphiql(options: GraphQLRouteOptions, request: FastifyRequest): boolean {
  const q = request.query as Record<string, unknown>;
  // A request with neither query, documentId nor extensions is a browser opening the endpoint; one
  // with only extensions or a documentId names a persisted document, and is answered whatever its
  // Accept says.
  return options.graphiqlAssets !== undefined && q.query === undefined && q.documentId === undefined && q.extensions === undefined && prefersHtml(request.headers.accept);
}

/**
 * A JSON array of operations, when batching is on. Each operation is a request of its own (plugins,
 * budgets, logs); they run side by side, and the batch answers 200 with their results in order,
 * each with its own errors.
 */
async function answerBatch(
  gateway: Gateway,
  batching: GraphQLRouteOptions['batching'],
  params: unknown[],
  request: FastifyRequest,
  reply: FastifyReply,
  mediaType: ResponseMediaType,
  refuse: Refuse,
) {
  if (!batching?.enabled) return refuse(request, reply, 400, [badRequest('Batched requests are not accepted: send one operation per request.')], mediaType);
  if (params.length === 0) return refuse(request, reply, 400, [badRequest('A batch must contain at least one operation.')], mediaType);
  if (batching.maxSize > 0 && params.length > batching.maxSize) {
    const message = `Batch of ${params.length} operations exceeds the limit of ${batching.maxSize}.`;
    return refuse(request, reply, 400, [{ message, extensions: { code: GatewayErrorCode.BATCH_LIMIT_EXCEEDED, limit: batching.maxSize } }], mediaType);
  }
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

/**
 * A GET answer may be cached by a browser or a CDN (a persisted query's GET is a short, stable URL:
 * that is what it is for). Junction sets no freshness for a successful answer: whether and for how
 * long to cache it is the CDN's rule. An answer with errors (partial data, a subgraph down, a
 * refusal) is marked `no-store`, so no cache serves a passing failure to others; a header a plugin
 * set (a persisted query miss has its own) is kept.
 */
function uncachedUnlessSuccessful(response: GatewayResponse): GatewayResponse {
  if (response.headers?.['cache-control'] !== undefined) return response;
  if (response.status === 200 && !(response.body.errors && response.body.errors.length > 0)) return response;
  return { ...response, headers: { ...response.headers, 'cache-control': 'no-store' } };
}

/** What the catch-all content-type parser gives the route: a body type we do not read. */
export const UNSUPPORTED = Symbol('unsupported content type');

export function badRequest(message: string): GraphQLFormattedError {
  return { message, extensions: { code: GatewayErrorCode.BAD_REQUEST } };
}

/** What is wrong with a POSTed request object, if anything. */
function paramsProblem(params: unknown): string | undefined {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return 'The request body must be a JSON object.';
  const p = params as Record<string, unknown>;
  return checkParams(p.query, p.operationName, p.variables, p.extensions, p.documentId);
}

function checkParams(query: unknown, operationName: unknown, variables: unknown, extensions: unknown, documentId: unknown): string | undefined {
  if (query !== undefined && query !== null && typeof query !== 'string') return 'The "query" parameter must be a string.';
  if (documentId !== undefined && documentId !== null && typeof documentId !== 'string') return 'The "documentId" parameter must be a string.';
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return 'The "operationName" parameter must be a string.';
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return 'The "variables" parameter must be an object.';
  if (extensions !== undefined && extensions !== null && (typeof extensions !== 'object' || Array.isArray(extensions))) return 'The "extensions" parameter must be an object.';
  return undefined;
}

export function toGatewayRequest(request: FastifyRequest, method: 'GET' | 'POST', p: Record<string, unknown>): GatewayRequest {
  return {
    method,
    headers: request.headers as Record<string, string | undefined>,
    query: (p.query as string | null | undefined) ?? undefined,
    // Some clients send "" for "no operation name".
    operationName: (p.operationName as string | null | undefined) || undefined,
    variables: (p.variables as Record<string, unknown> | null | undefined) ?? undefined,
    extensions: (p.extensions as Record<string, unknown> | null | undefined) ?? undefined,
    documentId: (p.documentId as string | null | undefined) ?? undefined,
    remoteAddress: request.ip,
  };
}

export function respond(reply: FastifyReply, mediaType: ResponseMediaType, response: GatewayResponse) {
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
