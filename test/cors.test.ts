/**
 * CORS (`cors` config) through the whole stack startGateway wires, driven with inject(): which origin
 * gets which headers, preflights answered before any plugin, errors carrying the headers, and what an
 * attacker might try. The browser itself is in browser.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { GatewayConfigInput } from '../gateway/src/config';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startJunction } from './helpers/sampleEnvironment';

const supergraphSdl = readFileSync(join(__dirname, '..', 'supergraph.graphql'), 'utf8');
const APP = 'http://localhost:3000';

interface Served {
  junction: StartedGateway;
  /** Every plugin hook that ran, by name. */
  hooks: string[];
}

async function serve(config: Omit<GatewayConfigInput, 'supergraph' | 'subgraphs'>): Promise<Served> {
  const hooks: string[] = [];
  const recorder: GatewayPlugin = {
    name: 'recorder',
    onRequest: () => void hooks.push('onRequest'),
    onResult: () => void hooks.push('onResult'),
    onPhase: ({ phase }) => void hooks.push(`phase ${phase}`),
  };
  // inject()'s sockets have no setTimeout: the send timeout is for real ones.
  const limits = { ...config.limits, sendTimeoutMs: 0 };
  return { junction: await startJunction(supergraphSdl, { config: { ...config, limits }, plugins: [recorder] }), hooks };
}

/** The CORS headers of an answer (and nothing else), to compare whole. */
function corsHeaders(res: LightMyRequestResponse): Record<string, unknown> {
  return Object.fromEntries(Object.entries(res.headers).filter(([name]) => name.startsWith('access-control-')));
}

const post = (served: Served, headers: Record<string, string>, payload = JSON.stringify({ query: '{ __typename }' })) =>
  served.junction.server.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers }, payload });
const preflight = (served: Served, origin: string, headers: Record<string, string> = {}, url = '/graphql') =>
  served.junction.server.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization', ...headers },
  });

const EXPOSED = 'ratelimit, ratelimit-policy, retry-after, x-request-id';

describe('origins: exact, pattern (one or more labels), nothing else', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ cors: { origins: [APP, 'https://*.example.com', 'http://[::1]:8080'] } });
  });
  afterAll(() => served.junction.stop());

  it.each([
    ['the listed origin', APP, true],
    ['an IPv6 origin listed', 'http://[::1]:8080', true],
    ['one label in place of *', 'https://app.example.com', true],
    ['two labels in place of *', 'https://a.b.example.com', true],
    ['the domain itself', 'https://example.com', false],
    ['the pattern with a path that ends like it', 'https://evil.com/.example.com', false],
    ['the pattern inside a longer host', 'https://x.example.com.evil.com', false],
    ['the pattern after a fragment', 'https://evil.com#.example.com', false],
    ['the pattern after userinfo', 'https://evil.com@x.example.com', false],
    ['an empty label', 'https://.example.com', false],
    ['two dots', 'https://a..example.com', false],
    ['another scheme', 'http://app.example.com', false],
    ['another port', 'https://app.example.com:8443', false],
    ['the default port spelt out (no browser sends it)', 'https://app.example.com:443', false],
    ['upper case (no browser sends it)', 'HTTPS://APP.EXAMPLE.COM', false],
    ['the listed origin with a path', `${APP}/`, false],
    ['the listed origin on another port', 'http://localhost:3001', false],
    ['the listed origin as https', 'https://localhost:3000', false],
    ['two origins in one header', `${APP}, https://evil.com`, false],
    ['null (sandboxed iframe, file://)', 'null', false],
    ['constructor', 'constructor', false],
    ['__proto__', '__proto__', false],
  ])('%s (%s): allowed %s', async (_name, origin, allowed) => {
    const res = await post(served, { origin });
    expect(res.statusCode).toBe(200);
    // Never a reflected origin that is not allowed; no other CORS header either.
    expect(corsHeaders(res)).toEqual(allowed ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED } : {});
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('a request without Origin (curl, a server) gets no CORS headers, and Vary: Origin', async () => {
    const res = await post(served, {});
    expect(corsHeaders(res)).toEqual({});
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('only the GraphQL path: not the admin API, health or GraphiQL', async () => {
    for (const url of ['/healthz', '/graphiql-assets/react.js', '/admin/subgraphs', '/nope']) {
      const res = await served.junction.server.inject({ method: 'GET', url, headers: { origin: APP } });
      expect({ url, cors: corsHeaders(res) }).toEqual({ url, cors: {} });
    }
  });
});

describe('preflights', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ cors: { origins: [APP] }, auth: { apiKeys: { header: 'X-Key' } } });
  });
  afterAll(() => served.junction.stop());
  beforeEach(() => void (served.hooks.length = 0));

  it('from an allowed origin: 204 with the methods, the headers Junction reads and Max-Age, before any plugin', async () => {
    const res = await preflight(served, APP);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers':
        'content-type, authorization, x-key, x-request-id, traceparent, tracestate, apollographql-client-name, apollographql-client-version, graphql-client-name, graphql-client-version, x-apollo-operation-name, apollo-require-preflight, graphql-require-preflight',
      'access-control-expose-headers': EXPOSED,
      'access-control-max-age': '600',
    });
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
    // Not a GraphQL request: no plugin sees it (so nothing counts or logs it).
    expect(served.hooks).toEqual([]);
  });

  it.each([
    ['from an origin not allowed', 'https://evil.com', {}],
    ['from null', 'null', {}],
    ['asking for a header not allowed', APP, { 'access-control-request-headers': 'x-evil' }],
    ['asking for a method not allowed', APP, { 'access-control-request-method': 'DELETE' }],
    ['asking for a header named constructor', APP, { 'access-control-request-headers': 'constructor,__proto__' }],
    ['asking for 2,000 headers', APP, { 'access-control-request-headers': Array.from({ length: 2000 }, (_, i) => `x-h${i}`).join(',') }],
  ])('%s: never granted, never reflected', async (_name, origin, headers) => {
    const res = await preflight(served, origin, headers);
    expect(res.statusCode).toBe(204);
    const cors = corsHeaders(res);
    if (origin !== APP) expect(cors).toEqual({});
    // What was asked is never echoed: the lists are the configured ones.
    expect(cors['access-control-allow-methods'] ?? 'GET, POST').toBe('GET, POST');
    expect(String(cors['access-control-allow-headers'] ?? '')).not.toMatch(/x-evil|constructor|__proto__|x-h1/);
    expect(served.hooks).toEqual([]);
  });

  it('to a path nothing is served at: 404, no CORS headers', async () => {
    const res = await preflight(served, APP, {}, '/nope');
    expect(res.statusCode).toBe(404);
    expect(corsHeaders(res)).toEqual({});
  });

  it('an OPTIONS that is not a preflight (no Access-Control-Request-Method) is 405, with the CORS headers a page needs to read it', async () => {
    const res = await served.junction.server.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: APP } });
    expect(res.statusCode).toBe(405);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('error answers carry the CORS headers, so the page can read the error and its budget', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({
      cors: { origins: [APP] },
      cost: { mode: 'measure' },
      budgets: { enabled: true, tiers: { default: { capacity: 5, refillPerSecond: 1 } } },
      limits: { maxBodyBytes: 2048 },
    });
  });
  afterAll(() => served.junction.stop());

  const origin = { origin: APP };
  it.each<[string, () => Promise<LightMyRequestResponse>, number, string]>([
    ['a syntax error', () => post(served, origin, JSON.stringify({ query: '{' })), 400, 'GRAPHQL_PARSE_FAILED'],
    ['bad JSON', () => post(served, origin, '{'), 400, 'BAD_REQUEST'],
    ['a body over the limit', () => post(served, origin, JSON.stringify({ query: `{ __typename } #${'x'.repeat(4000)}` })), 413, 'BODY_LIMIT_EXCEEDED'],
    ['a content type not read', () => post(served, { ...origin, 'content-type': 'application/xml' }), 415, 'BAD_REQUEST'],
    ['a budget that cannot pay', () => post(served, origin, JSON.stringify({ query: '{ topProducts(first: 10) { name reviews { body } } }' })), 429, 'BUDGET_EXHAUSTED'],
    ['a GET without a CSRF header', () => served.junction.server.inject({ method: 'GET', url: '/graphql?query=%7B__typename%7D', headers: origin }), 400, 'CSRF_PREVENTED'],
    ['a mutation over GET', () => served.junction.server.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('mutation { login(username: "a") { id } }')}`, headers: { ...origin, 'apollo-require-preflight': '1' } }), 405, 'BAD_REQUEST'],
  ])('%s: %s %s', async (_name, send, status, code) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe(code);
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': APP, 'access-control-expose-headers': EXPOSED });
  });

  it('a success carries RateLimit, which the page is allowed to read', async () => {
    const res = await post(served, origin);
    expect(res.statusCode).toBe(200);
    expect(res.headers.ratelimit).toMatch(/^"default";r=\d+;t=\d+$/);
    expect(String(res.headers['access-control-expose-headers']).split(', ')).toEqual(expect.arrayContaining(['ratelimit', 'ratelimit-policy', 'retry-after']));
  });
});

describe('any origin, credentials, and the options', () => {
  it.each<[string, NonNullable<GatewayConfigInput['cors']>, string, Record<string, string> | 'none']>([
    ['"*": any origin gets *', { origins: ['*'] }, 'https://anyone.example', { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED }],
    ['"*": null too (it is any origin, without credentials)', { origins: ['*'] }, 'null', { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED }],
    [
      'credentials: the origin itself, and Allow-Credentials',
      { origins: [APP], credentials: true },
      APP,
      { 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': EXPOSED },
    ],
    ['credentials: another origin gets nothing, not even Allow-Credentials', { origins: [APP], credentials: true }, 'https://evil.com', 'none'],
    [
      'its own exposed headers',
      { origins: [APP], exposedHeaders: ['X-Trace', 'RateLimit'] },
      APP,
      { 'access-control-allow-origin': APP, 'access-control-expose-headers': 'x-trace, ratelimit' },
    ],
  ])('%s', async (_name, cors, origin, expected) => {
    const served = await serve({ cors });
    try {
      expect(corsHeaders(await post(served, { origin }))).toEqual(expected === 'none' ? {} : expected);
    } finally {
      await served.junction.stop();
    }
  });

  it('its own allowed headers and max age, in the preflight', async () => {
    const served = await serve({ cors: { origins: [APP], allowedHeaders: ['Content-Type', 'X-Mine'], maxAge: 0 } });
    try {
      const res = await preflight(served, APP);
      expect(res.headers['access-control-allow-headers']).toBe('content-type, x-mine');
      expect(res.headers['access-control-max-age']).toBe('0');
    } finally {
      await served.junction.stop();
    }
  });

  it('off unless configured: no CORS headers, a preflight gets a bare 204', async () => {
    const served = await serve({});
    try {
      expect(corsHeaders(await post(served, { origin: APP }))).toEqual({});
      served.hooks.length = 0;
      const res = await preflight(served, APP);
      expect(res.statusCode).toBe(204);
      expect(corsHeaders(res)).toEqual({});
      expect(served.hooks).toEqual([]);
    } finally {
      await served.junction.stop();
    }
  });
});
