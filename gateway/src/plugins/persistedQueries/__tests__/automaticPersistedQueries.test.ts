/**
 * Automatic persisted queries in process: the extension as clients send it (POST body, GET
 * parameter), the hash checks, what is stored and when, the memory store's bounds. The queries here
 * need no subgraph (`__typename`), or are never executed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { resolveConfig } from '../../../config';
import { silentLogger, type Logger } from '../../../deps';
import { createGateway, type Gateway } from '../../../gateway';
import { createServer } from '../../../server/createServer';
import type { GatewayPlugin } from '../../types';
import { MemoryPersistedQueryStore, type PersistedQueryStore } from '../persistedQueryStore';
import { persistedQueryOf, sha256Hex, useAutomaticPersistedQueries } from '../useAutomaticPersistedQueries';

const supergraphSdl = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'supergraph.graphql'), 'utf8');
const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', limits: { maxBodyBytes: 8192 } });
const QUERY = '{ __typename }';
const HASH = sha256Hex(QUERY);
const ext = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

interface Harness {
  app: FastifyInstance;
  gateway: Gateway;
  store: MemoryPersistedQueryStore;
  post(body: object): Promise<{ status: number; body: Body; headers: Record<string, unknown> }>;
  get(params: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; body: Body; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}
type Body = { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };

/** A gateway running `before`, the APQ plugin (over `store`, undefined: APQ off), then `after`. */
async function harness(options: { before?: GatewayPlugin[]; after?: GatewayPlugin[]; store?: PersistedQueryStore | null; logger?: Logger } = {}): Promise<Harness> {
  const memory = new MemoryPersistedQueryStore({ maxEntries: 100, maxBytes: 1 << 20 });
  const store = options.store === null ? undefined : (options.store ?? memory);
  const apq = useAutomaticPersistedQueries({ store, logger: options.logger ?? silentLogger });
  const gateway = createGateway(config, { logger: silentLogger, plugins: [...(options.before ?? []), apq, ...(options.after ?? [])] });
  gateway.useSupergraph(supergraphSdl);
  const app = createServer(gateway, { graphiql: true, bodyLimit: config.limits.maxBodyBytes });
  await app.ready();
  const answer = (res: { statusCode: number; body: string; headers: Record<string, unknown> }) => ({ status: res.statusCode, body: JSON.parse(res.body) as Body, headers: res.headers });
  return {
    app,
    gateway,
    store: memory,
    post: async (body) => answer(await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })),
    // GETs carry a preflight header, as csrfPrevention (on by default) asks of them.
    get: async (params, headers = {}) => answer(await app.inject({ method: 'GET', url: `/graphql?${new URLSearchParams(params)}`, headers: { 'apollo-require-preflight': 'true', ...headers } })),
    close: async () => {
      await app.close();
      await gateway.close();
    },
  };
}
const codes = (body: Body) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('reading extensions.persistedQuery', () => {
  it.each([
    ['no extensions', undefined],
    ['other extensions', { other: 1 }],
    ['a null persistedQuery (Apollo Server ignores it too)', { persistedQuery: null }],
    ['persistedQuery only on the prototype', JSON.parse('{"__proto__": {"persistedQuery": {"version": 1, "sha256Hash": "x"}}}')],
  ])('%s: not a persisted query', (_name, extensions) => {
    expect(persistedQueryOf(extensions)).toEqual({ kind: 'none' });
  });

  it.each([
    ['a string', { persistedQuery: HASH }],
    ['an array', { persistedQuery: [1, HASH] }],
    ['no version', { persistedQuery: { sha256Hash: HASH } }],
    ['version "1" (a string)', ext(HASH, '1')],
    ['a version only on the prototype', { persistedQuery: JSON.parse(`{"__proto__": {"version": 1}, "sha256Hash": "${HASH}"}`) }],
    ['no hash', { persistedQuery: { version: 1 } }],
    ['a hash that is a number', ext(12345)],
    ['a hash of 63 digits', ext(HASH.slice(1))],
    ['a hash of 65 digits', ext(HASH + '0')],
    ['a hash with a non-hex letter', ext('g' + HASH.slice(1))],
    ['a hash with a space', ext(' ' + HASH.slice(1))],
    ['a hash with a newline after it', ext(HASH.slice(1) + '\n')],
    ['an empty hash', ext('')],
    ['"constructor" as the hash', ext('constructor')],
    ['"__proto__" as the hash', ext('__proto__')],
    ['a base64 hash', ext(Buffer.from(HASH, 'hex').toString('base64'))],
    ['a 1 MB hash', ext('a'.repeat(1_000_000))],
  ])('%s: refused as invalid', (_name, extensions) => {
    expect(persistedQueryOf(extensions)).toMatchObject({ kind: 'invalid' });
  });

  it.each([2, 0, -1, 1.5, 1e308])('version %p: not supported', (version) => {
    expect(persistedQueryOf(ext(HASH, version))).toEqual({ kind: 'unsupported', version });
  });

  it('takes a hash in either case, and keys it in lower case', () => {
    expect(persistedQueryOf(ext(HASH.toUpperCase()))).toEqual({ kind: 'hash', hash: HASH });
  });
});

describe('the memory store', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = new MemoryPersistedQueryStore({ maxEntries: 3, maxBytes: 1 << 20 });
    for (let i = 0; i < 10; i++) await store.set(`id${i}`, `query${i}`);
    await store.get('id7'); // used: kept over id8
    await store.set('id10', 'query10');
    expect(store.size).toBe(3);
    expect(await Promise.all(['id7', 'id8', 'id9', 'id10'].map((id) => store.get(id)))).toEqual(['query7', undefined, 'query9', 'query10']);
  });

  it('keeps at most maxBytes of text (UTF-8, with the ids), whatever the count', async () => {
    const store = new MemoryPersistedQueryStore({ maxEntries: 1000, maxBytes: 4096 });
    for (let i = 0; i < 100; i++) await store.set(sha256Hex(String(i)), `{ __typename } # ${'x'.repeat(900)} ${i}`);
    expect(store.bytes).toBeLessThanOrEqual(4096);
    expect(store.size).toBe(Math.floor(4096 / (64 + 900 + 20)));
    // A text of multi-byte characters counts its bytes, not its length.
    const wide = new MemoryPersistedQueryStore({ maxEntries: 1000, maxBytes: 4096 });
    await wide.set('w', '€'.repeat(1000));
    expect(wide.bytes).toBe(3001);
  });

  it('does not keep a text larger than maxBytes, and keeps what it had', async () => {
    const store = new MemoryPersistedQueryStore({ maxEntries: 10, maxBytes: 2048 });
    await store.set('small', QUERY);
    await store.set('large', 'x'.repeat(4096));
    expect(await store.get('large')).toBeUndefined();
    expect(await store.get('small')).toBe(QUERY);
  });

  it('treats names like constructor and __proto__ as plain ids', async () => {
    const store = new MemoryPersistedQueryStore({ maxEntries: 10, maxBytes: 2048 });
    await store.set('__proto__', 'a');
    expect(await store.get('__proto__')).toBe('a');
    expect(await store.get('constructor')).toBeUndefined();
    expect(await store.get('toString')).toBeUndefined();
  });
});

describe('over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    // Whatever came before, the gateway still answers a plain query.
    expect((await h.post({ query: QUERY })).body).toEqual({ data: { __typename: 'Query' } });
    await h.close();
  });

  it('POST: an unknown hash is PERSISTED_QUERY_NOT_FOUND (200, not cacheable); hash and query run and register; then the hash alone runs', async () => {
    const miss = await h.post({ extensions: ext(HASH) });
    expect(miss).toMatchObject({ status: 200, body: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] } });
    expect(miss.headers['cache-control']).toBe('private, no-cache, must-revalidate');
    expect(await h.post({ query: QUERY, extensions: ext(HASH) })).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(await h.post({ extensions: ext(HASH) })).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(h.store.size).toBe(1);
  });

  it('GET: the extensions parameter alone names the query, even for a browser that would get GraphiQL', async () => {
    const params = { extensions: JSON.stringify(ext(HASH)) };
    const miss = await h.get(params, { accept: 'text/html,application/json' });
    expect(miss.status).toBe(200);
    expect(codes(miss.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(miss.headers['cache-control']).toBe('private, no-cache, must-revalidate');
    // Registered over GET too, as the protocol allows (Apollo's clients register by POST).
    expect((await h.get({ query: QUERY, ...params })).body).toEqual({ data: { __typename: 'Query' } });
    const hit = await h.get(params, { accept: 'text/html,application/json' });
    expect(hit).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    // A successful GET carries no caching rule of Junction's: the CDN decides.
    expect(hit.headers['cache-control']).toBeUndefined();
    expect(hit.headers['content-type']).toMatch(/json/);
  });

  it('GET: an answer with errors is never cached', async () => {
    const res = await h.get({ query: '{ nope }' });
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('GET: a persisted mutation is refused (405) like a mutation sent as text', async () => {
    const mutation = 'mutation { login(username: "ada") { id } }';
    await h.store.set(sha256Hex(mutation), mutation);
    const res = await h.get({ extensions: JSON.stringify(ext(sha256Hex(mutation))) });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('a query that does not hash to the hash is refused (400 PERSISTED_QUERY_HASH_MISMATCH), neither run nor stored', async () => {
    const res = await h.post({ query: '{ __schema { queryType { name } } }', extensions: ext(HASH) });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(codes(res.body)).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    expect(codes((await h.post({ extensions: ext(HASH) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // Nor is an empty query a hash-only request.
    expect(codes((await h.post({ query: '', extensions: ext(HASH) })).body)).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    expect(h.store.size).toBe(0);
  });

  it.each([
    ['a hash of the wrong length', ext(HASH.slice(2))],
    ['a hash with a non-hex letter', ext(HASH.slice(1) + 'z')],
    ['"constructor" as the hash', ext('constructor')],
    ['"__proto__" as the hash', ext('__proto__')],
    ['a persistedQuery that is a string', { persistedQuery: HASH }],
  ])('%s: 400 BAD_REQUEST, saying what is wrong, over POST and GET', async (_name, extensions) => {
    for (const res of [await h.post({ extensions }), await h.post({ query: QUERY, extensions }), await h.get({ extensions: JSON.stringify(extensions) })]) {
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['BAD_REQUEST']);
      expect(res.body.errors![0].message).toMatch(/extensions\.persistedQuery/);
    }
    expect(h.store.size).toBe(0);
  });

  it('a __proto__ key in extensions is data: the request is a plain query', async () => {
    const body = `{"query": "${QUERY}", "extensions": {"__proto__": {"persistedQuery": {"version": 1, "sha256Hash": "${HASH}"}}}}`;
    const res = await h.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: body });
    expect(JSON.parse(res.body)).toEqual({ data: { __typename: 'Query' } });
    expect(h.store.size).toBe(0);
  });

  it('another protocol version is PERSISTED_QUERY_NOT_SUPPORTED (200), so clients send the text', async () => {
    const res = await h.post({ query: QUERY, extensions: ext(HASH, 2) });
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([{ message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', reason: 'version 2 is not supported; send version 1' } }]);
    expect(res.headers['cache-control']).toBe('private, no-cache, must-revalidate');
  });

  it('a query that does not validate is refused as usual, and not stored', async () => {
    const invalid = '{ nope }';
    expect(codes((await h.post({ query: invalid, extensions: ext(sha256Hex(invalid)) })).body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(h.store.size).toBe(0);
  });
});

it('with apq off: PERSISTED_QUERY_NOT_SUPPORTED for any persisted query, plain queries served', async () => {
  const h = await harness({ store: null });
  try {
    for (const extensions of [ext(HASH), ext('nonsense'), ext(HASH, 7)]) {
      const res = await h.post({ query: QUERY, extensions });
      expect(res.status).toBe(200);
      expect(res.body.errors).toEqual([{ message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', reason: 'automatic persisted queries are off' } }]);
    }
    expect((await h.post({ query: QUERY })).body).toEqual({ data: { __typename: 'Query' } });
  } finally {
    await h.close();
  }
});

it('stores a query only once every plugin before it let it run', async () => {
  const refuseOnPlanned: GatewayPlugin = {
    name: 'refuse',
    onPlanned: ({ request, reject }) => {
      if (request.headers['x-refuse'] === 'yes') reject(new GraphQLError('Refused.', { extensions: { code: 'BUDGET_EXHAUSTED', http: { status: 429 } } }));
    },
  };
  const h = await harness({ before: [refuseOnPlanned] });
  try {
    const refused = await h.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', 'x-refuse': 'yes' }, payload: JSON.stringify({ query: QUERY, extensions: ext(HASH) }) });
    expect(refused.statusCode).toBe(429);
    expect(h.store.size).toBe(0);
    expect((await h.post({ query: QUERY, extensions: ext(HASH) })).status).toBe(200);
    expect(h.store.size).toBe(1);
  } finally {
    await h.close();
  }
});

it('a persisted query goes through the same document and plan caches as its text, and later hooks see its text', async () => {
  const seen: string[] = [];
  const recorder: GatewayPlugin = {
    name: 'recorder',
    onRequest: ({ request }) => void seen.push(`request ${request.query}`),
    onParsed: ({ request }) => void seen.push(`parsed ${request.query}`),
    onPhase: ({ phase }) => (phase === 'parse' || phase === 'plan' ? ({ cached }) => void seen.push(`${phase} cached=${cached}`) : undefined),
    onResult: ({ request }) => void seen.push(`result query=${request.query}`),
  };
  const h = await harness({ after: [recorder] });
  try {
    await h.post({ query: QUERY });
    seen.length = 0;
    await h.post({ extensions: ext(HASH) }); // a miss: nothing parsed
    await h.post({ query: QUERY, extensions: ext(HASH) });
    await h.post({ extensions: ext(HASH) });
    expect(seen).toEqual([
      'result query=undefined',
      `request ${QUERY}`,
      'parse cached=true',
      `parsed ${QUERY}`,
      'plan cached=true',
      `result query=${QUERY}`,
      `request ${QUERY}`,
      'parse cached=true',
      `parsed ${QUERY}`,
      'plan cached=true',
      // onResult sees the request as the client sent it: the hash alone.
      'result query=undefined',
    ]);
  } finally {
    await h.close();
  }
});

it('a store that cannot be reached: hash-only is a miss, the text is run, and both are logged', async () => {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message) => void warnings.push(message) };
  const broken: PersistedQueryStore = {
    get: () => Promise.reject(new Error('connection refused')),
    set: () => Promise.reject(new Error('connection refused')),
    close: async () => {},
  };
  const h = await harness({ store: broken, logger });
  try {
    expect(codes((await h.post({ extensions: ext(HASH) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect((await h.post({ query: QUERY, extensions: ext(HASH) })).body).toEqual({ data: { __typename: 'Query' } });
    expect(warnings).toEqual(['persisted query store unavailable; answered as not found', 'persisted query not stored: the store is unavailable']);
  } finally {
    await h.close();
  }
});
