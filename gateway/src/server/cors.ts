import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config';
import { originMatcher } from '../config/corsOrigins';

/** CORS on the GraphQL path, as `cors` in the config says (see `corsOptionsFrom`). */
export interface CorsOptions {
  /** Entries as `cors.origins` has them (checked by the config). */
  readonly origins: readonly string[];
  readonly credentials: boolean;
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  /** Seconds. */
  readonly maxAge: number;
}

/** The request headers Junction reads, which a page must be allowed to send: `cors.allowedHeaders`' default. */
export function defaultCorsRequestHeaders(config: GatewayConfig): string[] {
  const headers = [
    'content-type',
    'authorization',
    config.auth.apiKeys.header,
    'x-request-id',
    'traceparent',
    'tracestate',
    'apollographql-client-name',
    'apollographql-client-version',
    'graphql-client-name',
    'graphql-client-version',
    ...config.csrfPrevention.requestHeaders,
  ];
  return [...new Set(headers.map((h) => h.toLowerCase()))];
}

/** The server's CORS options from the config; undefined when `cors` is not configured (CORS off). */
export function corsOptionsFrom(config: GatewayConfig): CorsOptions | undefined {
  if (!config.cors) return undefined;
  return {
    origins: config.cors.origins,
    credentials: config.cors.credentials,
    allowedHeaders: config.cors.allowedHeaders ?? defaultCorsRequestHeaders(config),
    exposedHeaders: config.cors.exposedHeaders,
    maxAge: config.cors.maxAge,
  };
}

/** Whether a request is a CORS preflight (https://fetch.spec.whatwg.org/#cors-preflight-request). */
export function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}

/**
 * CORS with @fastify/cors, on the GraphQL path only (not the admin API, health or GraphiQL's assets),
 * decided per request:
 * - an allowed origin gets `Access-Control-Allow-Origin` (its own origin, or `*` when any is allowed
 *   without credentials), on every answer, errors (400, 413, 429…) included, so that the page can
 *   read the error and its `RateLimit`; a preflight from it is answered 204 here, in the first
 *   `onRequest` hook, before any route, plugin or count;
 * - any other origin, and a request without `Origin`, gets no CORS header at all (a preflight from
 *   it falls through to the not-found handler, which answers it bare: see createServer);
 * - `Vary: Origin` on every answer, as the answer depends on the `Origin`.
 * Register it before any other hook, so that every answer carries the headers.
 */
export function registerCors(app: FastifyInstance, path: string, options: CorsOptions): void {
  const matcher = originMatcher(options.origins);
  const base: FastifyCorsOptions = {
    methods: ['GET', 'POST'],
    credentials: options.credentials,
    allowedHeaders: [...options.allowedHeaders],
    exposedHeaders: [...options.exposedHeaders],
    maxAge: options.maxAge,
    // Preflights are told apart in `optionsFor`; a plain OPTIONS is not answered as one.
    strictPreflight: false,
  };
  const optionsFor = (request: FastifyRequest): FastifyCorsOptions => {
    const origin = request.headers.origin;
    if (origin === undefined || request.url.split('?')[0] !== path || !matcher.allows(origin)) return { origin: false };
    // An OPTIONS that is not a preflight gets the CORS headers on its 405, not a preflight's answer.
    return { ...base, origin: matcher.any ? '*' : origin, preflight: isPreflight(request) };
  };
  void app.register(fastifyCors, { delegator: (request, callback) => callback(null, optionsFor(request)) });
}
