/**
 * GraphQL over HTTP and bad input (acceptance #4), in process with Fastify's inject(): none of these
 * requests reaches a subgraph. After every bad request the gateway still answers a good one.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveConfig } from '../gateway/src/config';
import { silentLogger } from '../gateway/src/deps';
import { createGateway, type Gateway } from '../gateway/src/gateway';
import { createServer } from '../gateway/src/server/createServer';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

const supergraphSdl = readFileSync(join(__dirname, '..', 'supergraph.graphql'), 'utf8');
const config = resolveConfig({
  supergraph: 'inline',
  logLevel: 'silent',
  limits: { maxBodyBytes: 8192, maxDepth: 6, maxAliases: 10, maxRootFields: 10, maxDirectives: 10, maxTokens: 500 },
});
let gateway: Gateway;
let app: FastifyInstance;

beforeAll(async () => {
  gateway = createGateway(config, { logger: silentLogger });
  gateway.useSupergraph(supergraphSdl);
  app = createServer(gateway, { graphiql: true, bodyLimit: config.limits.maxBodyBytes });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await gateway.close();
});

const post = (payload: string | object, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
const codes = (body: string) => (JSON.parse(body).errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);

afterEach(async () => {
  // The gateway keeps serving whatever the previous request was.
  const res = await post({ query: '{ __typename }' });
  expect(res.statusCode).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ data: { __typename: 'Query' } });
});

it.each([
  ['malformed JSON', '{"query": "{ me { id } "', 400, 'BAD_REQUEST'],
  ['a JSON array (batch)', '[{"query": "{ __typename }"}]', 400, 'BAD_REQUEST'],
  ['a JSON string', '"{ __typename }"', 400, 'BAD_REQUEST'],
  ['missing query', '{"variables": {}}', 400, 'BAD_REQUEST'],
  ['empty query', '{"query": "   "}', 400, 'BAD_REQUEST'],
  ['query of the wrong type', '{"query": 42}', 400, 'BAD_REQUEST'],
  ['variables that are not an object', '{"query": "{ __typename }", "variables": [1]}', 400, 'BAD_REQUEST'],
  ['syntax error', '{"query": "{ me { id "}', 400, 'GRAPHQL_PARSE_FAILED'],
  ['unknown field', '{"query": "{ me { nope } }"}', 400, 'GRAPHQL_VALIDATION_FAILED'],
  ['unknown operation name', '{"query": "query A { me { id } }", "operationName": "B"}', 400, 'OPERATION_RESOLUTION_FAILURE'],
  ['several operations, no name', '{"query": "query A { me { id } } query B { me { id } }"}', 400, 'OPERATION_RESOLUTION_FAILURE'],
  ['wrong variable type', '{"query": "query($n: Int) { topProducts(first: $n) { upc } }", "variables": {"n": "five"}}', 400, 'BAD_USER_INPUT'],
  ['missing required variable', '{"query": "query($id: ID!) { user(id: $id) { id } }"}', 400, 'BAD_USER_INPUT'],
  ['too deep', '{"query": "{ me { reviews { author { reviews { author { reviews { id } } } } } } }"}', 400, 'DEPTH_LIMIT_EXCEEDED'],
  ['too many aliases', JSON.stringify({ query: `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), 400, 'ALIAS_LIMIT_EXCEEDED'],
  ['too many root fields', JSON.stringify({ query: `{ ${Array.from({ length: 12 }, () => '__typename').join(' ')} }` }), 400, 'ROOT_FIELD_LIMIT_EXCEEDED'],
  ['too many directives', JSON.stringify({ query: `{ __typename ${Array.from({ length: 12 }, () => '@include(if: true)').join(' ')} }` }), 400, 'DIRECTIVE_LIMIT_EXCEEDED'],
  ['too many tokens', JSON.stringify({ query: `{ ${'__typename '.repeat(600)} }` }), 400, 'TOKEN_LIMIT_EXCEEDED'],
  ['subscription (no subscriptions yet)', '{"query": "subscription { reviewAdded { id } }"}', 400, 'OPERATION_NOT_SUPPORTED'],
])('%s -> %s %s', async (_name, payload, status, code) => {
  const res = await post(payload);
  expect(res.statusCode).toBe(status);
  expect(codes(res.body)).toContain(code);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
});

it('reports syntax errors with their location', async () => {
  const res = await post({ query: '{ me { id ' });
  expect(JSON.parse(res.body).errors[0]).toMatchObject({ message: expect.stringMatching(/^Syntax Error/), locations: [{ line: 1, column: 11 }] });
});

it('refuses bodies over the limit with 413', async () => {
  const res = await post({ query: `{ __typename } # ${'x'.repeat(9000)}` });
  expect(res.statusCode).toBe(413);
  expect(JSON.parse(res.body).errors).toEqual([{ message: 'Request body is larger than the limit of 8192 bytes.', extensions: { code: 'BODY_LIMIT_EXCEEDED', limit: 8192 } }]);
});

it.each([
  // text/plain needs CSRF prevention's header to get this far (csrf.test.ts).
  ['text/plain', { 'apollo-require-preflight': 'true' }],
  ['application/xml', {}],
  ['application/graphql', {}],
])('refuses other content types with 415: %s', async (type, headers) => {
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': type, ...headers }, payload: '{ __typename }' });
  expect(res.statusCode).toBe(415);
  expect(codes(res.body)).toEqual(['BAD_REQUEST']);
});

describe('what Fastify would answer itself gets our envelope and a code', () => {
  it.each([
    ['PUT on the GraphQL path', 'PUT', '/graphql', 405, 'BAD_REQUEST', { allow: 'GET, POST' }],
    ['DELETE on the GraphQL path', 'DELETE', '/graphql', 405, 'BAD_REQUEST', { allow: 'GET, POST' }],
    ['OPTIONS on the GraphQL path', 'OPTIONS', '/graphql?query=%7B__typename%7D', 405, 'BAD_REQUEST', { allow: 'GET, POST' }],
    ['PATCH on the GraphQL path', 'PATCH', '/graphql', 405, 'BAD_REQUEST', { allow: 'GET, POST' }],
    ['a path nothing is served at', 'GET', '/graphql/nope', 404, 'BAD_REQUEST', {}],
    ['POST to a path nothing is served at', 'POST', '/constructor', 404, 'BAD_REQUEST', {}],
    ['a path that does not decode', 'GET', '/graphql%zz?query=%7B__typename%7D', 400, 'BAD_REQUEST', {}],
    ['a route parameter over its length', 'GET', `/graphiql-assets/${'a'.repeat(600)}`, 414, 'BAD_REQUEST', {}],
  ] as const)('%s -> %s', async (_name, method, url, status, code, headers) => {
    const res = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : '{"query":"{ __typename }"}' });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ errors: [{ message: expect.any(String), extensions: { code } }] });
    expect(res.headers).toMatchObject(headers);
  });
});

describe('content negotiation', () => {
  it('answers application/graphql-response+json when accepted', async () => {
    const res = await post({ query: '{ __typename }' }, { accept: 'application/graphql-response+json, application/json;q=0.9' });
    expect(res.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
  });
  it('answers application/json without an Accept header', async () => {
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{"query":"{ __typename }"}' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });
  it('uses 400 for request errors under application/graphql-response+json', async () => {
    const res = await post({ query: '{' }, { accept: 'application/graphql-response+json' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/graphql-response\+json/);
  });
  it('406 when neither JSON type is acceptable', async () => {
    const res = await post({ query: '{ __typename }' }, { accept: 'text/xml' });
    expect(res.statusCode).toBe(406);
  });
});

describe('GET', () => {
  // Without it, CSRF prevention refuses a GET (csrf.test.ts).
  const get = (qs: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/graphql?${qs}`, headers: { 'apollo-require-preflight': 'true', ...headers } });
  it('runs queries', async () => {
    const res = await get(`query=${encodeURIComponent('query Q($n: String!) { __type(name: $n) { name } }')}&variables=${encodeURIComponent('{"n":"User"}')}`);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { __type: { name: 'User' } } });
  });
  it('refuses mutations with 405 and Allow: POST', async () => {
    const res = await get(`query=${encodeURIComponent('mutation { login(username: "@ada") { id } }')}`);
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
  it('400 for variables that are not JSON', async () => {
    const res = await get(`query=${encodeURIComponent('{ __typename }')}&variables=%7Bnope`);
    expect(res.statusCode).toBe(400);
    expect(codes(res.body)).toEqual(['BAD_REQUEST']);
  });
});

describe('GraphiQL', () => {
  it('serves the page to browsers, with every asset from the gateway itself', async () => {
    const page = await app.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(4);
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true); // nothing from a CDN: the machine may be offline
      const res = await app.inject({ method: 'GET', url: asset });
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.length).toBeGreaterThan(1000);
    }
  });
});

describe('health', () => {
  it('is 200 once a supergraph is loaded', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
  });
  it('is 503, and GraphQL requests too, before one is loaded', async () => {
    const empty = createGateway(config, { logger: silentLogger });
    const server = createServer(empty, { graphiql: false, bodyLimit: 8192 });
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
    const res = await server.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{"query":"{ __typename }"}' });
    expect(res.statusCode).toBe(503);
    expect(codes(res.body)).toEqual(['SUPERGRAPH_NOT_READY']);
    await server.close();
    await empty.close();
  });
});

it('turns introspection off when told to, keeping __typename', async () => {
  const closed = createGateway(resolveConfig({ supergraph: 'inline', logLevel: 'silent', limits: { introspection: false } }), { logger: silentLogger });
  closed.useSupergraph(supergraphSdl);
  try {
    const schema = await closed.handle({ method: 'POST', headers: {}, query: '{ __schema { queryType { name } } }', operationName: undefined, variables: undefined, extensions: undefined });
    expect(schema.status).toBe(400);
    expect(schema.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTROSPECTION_DISABLED']);
    const typename = await closed.handle({ method: 'POST', headers: {}, query: '{ __typename }', operationName: undefined, variables: undefined, extensions: undefined });
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  } finally {
    await closed.close();
  }
});

it('the default limits serve the benchmark query but refuse depth 50, 1000 aliases and a 5 MB body', async () => {
  const defaults = resolveConfig({ supergraph: 'inline', logLevel: 'silent' });
  const gw = createGateway(defaults, { logger: silentLogger });
  gw.useSupergraph(supergraphSdl);
  const app2 = createServer(gw, { graphiql: false, bodyLimit: defaults.limits.maxBodyBytes });
  const send = (query: string) => app2.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query }) });
  try {
    const { BENCHMARK_QUERY } = await import('./corpus');
    // Validation passes (the subgraphs are not running here: only the limits are under test).
    const bench = await send(BENCHMARK_QUERY);
    expect(codes(bench.body).filter((c: string) => /LIMIT|TOKEN/.test(c))).toEqual([]);
    const deep = `{ me { ${'reviews { author { '.repeat(25)}id${' } }'.repeat(25)} } }`;
    expect(codes((await send(deep)).body)).toContain('DEPTH_LIMIT_EXCEEDED');
    expect(codes((await send(`{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(' ')} }`)).body)).toContain('ALIAS_LIMIT_EXCEEDED');
    const huge = await app2.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query: '{ __typename }', x: 'y'.repeat(5 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
    expect(codes(huge.body)).toEqual(['BODY_LIMIT_EXCEEDED']);
  } finally {
    await app2.close();
    await gw.close();
  }
});

describe('batched requests (a JSON array body)', () => {
  let batchApp: FastifyInstance;
  beforeAll(async () => {
    batchApp = createServer(gateway, { graphiql: false, bodyLimit: config.limits.maxBodyBytes, batching: { enabled: true, maxSize: 3 } });
    await batchApp.ready();
  });
  afterAll(async () => {
    await batchApp.close();
  });
  const postBatch = (payload: unknown) =>
    batchApp.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

  it('answers each operation in order, each with its own errors', async () => {
    const res = await postBatch([
      { query: '{ __typename }' },
      { query: '{ nope }' },
      'not an object',
    ]);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toHaveLength(3);
    expect(body[0]).toEqual({ data: { __typename: 'Query' } });
    expect(body[1].errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(body[2]).toEqual({ errors: [{ message: 'The request body must be a JSON object.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('refuses a batch over batching.maxSize with BATCH_LIMIT_EXCEEDED, and an empty one', async () => {
    const over = await postBatch(Array.from({ length: 4 }, () => ({ query: '{ __typename }' })));
    expect(over.statusCode).toBe(400);
    expect(JSON.parse(over.body).errors).toEqual([{ message: 'Batch of 4 operations exceeds the limit of 3.', extensions: { code: 'BATCH_LIMIT_EXCEEDED', limit: 3 } }]);
    const empty = await postBatch([]);
    expect(empty.statusCode).toBe(400);
    expect(codes(empty.body)).toEqual(['BAD_REQUEST']);
  });

  it("carries the operations' response headers", async () => {
    const marker = createGateway(config, {
      logger: silentLogger,
      plugins: [{ name: 'marker', onResult: ({ request, setHeader }) => setHeader(`x-answered-${request.operationName ?? 'anonymous'}`, 'yes') }],
    });
    marker.useSupergraph(supergraphSdl);
    const markerApp = createServer(marker, { graphiql: false, bodyLimit: config.limits.maxBodyBytes, batching: { enabled: true, maxSize: 3 } });
    try {
      const res = await markerApp.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify([{ query: 'query A { __typename }', operationName: 'A' }, { query: 'query B { __typename }', operationName: 'B' }]),
      });
      expect(res.statusCode).toBe(200);
      expect([res.headers['x-answered-a'], res.headers['x-answered-b']]).toEqual(['yes', 'yes']);
    } finally {
      await markerApp.close();
      await marker.close();
    }
  });

  it('batching.maxSize 0 takes batches of any size', async () => {
    const unlimited = createServer(gateway, { graphiql: false, bodyLimit: config.limits.maxBodyBytes, batching: { enabled: true, maxSize: 0 } });
    try {
      const res = await unlimited.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(Array.from({ length: 50 }, () => ({ query: '{ __typename }' }))) });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toHaveLength(50);
    } finally {
      await unlimited.close();
    }
  });

  it('is off by default', async () => {
    expect(config.batching).toEqual({ enabled: false, maxSize: 10 });
    const res = await post([{ query: '{ __typename }' }]);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).errors[0].message).toMatch(/Batched requests are not accepted/);
  });
});

describe('slow clients and broken HTTP, over real sockets (limits.requestTimeoutMs, limits.headersTimeoutMs)', () => {
  let junction: StartedGateway;
  // How each request the plugins saw ended: a refused one too.
  const ended: Array<{ status?: number; codes: unknown[] }> = [];
  beforeAll(async () => {
    junction = await startJunction(supergraphSdl, {
      config: { limits: { requestTimeoutMs: 400, headersTimeoutMs: 300, sendTimeoutMs: 300 } },
      plugins: [
        // A slow answer: receiving the request is what is timed, and sending the answer, not computing it.
        { name: 'slow', onRequest: async ({ request }) => void (request.headers['x-slow'] && (await new Promise((r) => setTimeout(r, 1200)))) },
        { name: 'record', onPhase: ({ phase }) => (phase === 'request' ? ({ status, result }) => void ended.push({ status, codes: (result?.errors ?? []).map((e) => e.extensions?.code) }) : undefined) },
      ],
    });
  });
  afterAll(async () => {
    await junction?.stop();
  });

  /** Opens a socket, writes `sent`, then stalls; resolves with what came back once the gateway closes it, or 'still open' after 10 s. */
  function stall(sent: string): { closed: Promise<string> } {
    const socket = connect(junction.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => {});
    socket.write(sent);
    const closed = new Promise<string>((resolve) => {
      const giveUp = setTimeout(() => {
        socket.destroy();
        resolve('still open');
      }, 10_000);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(received || 'closed without an answer');
      });
    });
    return { closed };
  }
  /** Status, lower-cased headers and JSON body of one raw HTTP/1.1 response. */
  function parseResponse(raw: string): { status: number; headers: Record<string, string>; body: unknown } {
    const [head, ...rest] = raw.split('\r\n\r\n');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const text = rest.join('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]), headers, body: text ? JSON.parse(text) : undefined };
  }
  const envelope = (code: string) => ({ errors: [{ message: expect.any(String), extensions: { code } }] });
  const head = (length: number) => `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  const body = JSON.stringify({ query: '{ __typename }' });

  it.each([
    ['a body that stalls half-sent', head(body.length) + body.slice(0, body.length / 2)],
    ['a body shorter than its Content-Length', head(body.length + 10) + body],
    ['a body that never starts', head(body.length)],
    ['headers that stall half-sent (slowloris)', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Ty'],
    ['a connection that sends nothing', ''],
  ])('%s: the gateway answers 408 REQUEST_TIMEOUT and closes the socket, and serves others meanwhile', async (_what, sent) => {
    const stalled = Array.from({ length: 20 }, () => stall(sent));
    const served = await postGraphQL(junction.url, { query: '{ __typename }' });
    expect(served.body).toEqual({ data: { __typename: 'Query' } });
    for (const s of stalled) {
      const res = parseResponse(await s.closed);
      expect(res).toEqual({ status: 408, headers: expect.objectContaining({ connection: 'close', 'content-type': 'application/json; charset=utf-8' }), body: envelope('REQUEST_TIMEOUT') });
    }
  });

  it('a request whose body timed out ends, for plugins, as the 408 the client got', async () => {
    ended.length = 0;
    await stall(head(body.length) + body.slice(0, 5)).closed;
    for (let i = 0; i < 100 && ended.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ended).toEqual([{ status: 408, codes: ['REQUEST_TIMEOUT'] }]);
  });

  it.each([
    ['headers over 16 KiB', 431, 'BAD_REQUEST', `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['a URL over 16 KiB', 431, 'BAD_REQUEST', `GET /graphql?query=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['bytes that are not HTTP', 400, 'BAD_REQUEST', 'GARBAGE\r\n\r\n'],
    ['a Content-Length that is not a number', 400, 'BAD_REQUEST', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['two Content-Lengths', 400, 'BAD_REQUEST', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: 3\r\n\r\n${body}`],
    ['a broken chunked body', 400, 'BAD_REQUEST', 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['an Expect other than 100-continue', 417, 'BAD_REQUEST', `POST /graphql HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
  ])('%s: %d %s in our envelope, connection closed', async (_what, status, code, sent) => {
    const res = parseResponse(await stall(sent).closed);
    expect(res).toEqual({ status, headers: expect.objectContaining({ connection: 'close', 'content-type': 'application/json; charset=utf-8' }), body: envelope(code) });
    expect((await postGraphQL(junction.url, { query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('a request received in time may take longer than the request and send timeouts to answer', async () => {
    const res = await postGraphQL(junction.url, { query: '{ __typename }' }, { 'x-slow': '1' });
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('on a keep-alive connection, the send timeout of one answer does not cut the slow answer to the next request', async () => {
    const request = (slow: boolean) => `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${slow ? 'x-slow: 1\r\n' : ''}Content-Length: ${body.length}\r\n\r\n${body}`;
    const socket = connect(junction.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => {});
    const answers = () => received.match(/HTTP\/1\.1 \d{3} /g) ?? [];
    socket.write(request(false));
    for (let i = 0; i < 200 && answers().length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    socket.write(request(true));
    for (let i = 0; i < 500 && answers().length < 2 && !socket.destroyed; i++) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    expect(answers()).toEqual(['HTTP/1.1 200 ', 'HTTP/1.1 200 ']);
  });
});
