/**
 * CSRF prevention (Apollo Server 4's rule), in process with inject() over the real sample subgraphs:
 * a request a browser could send cross-site without a preflight (no content type, or text/plain,
 * form-urlencoded, multipart) is refused with 400 CSRF_PREVENTED unless it carries a non-empty
 * header of `csrfPrevention.requestHeaders`, before any plugin hook that could act on it and before
 * any subgraph is called.
 */
import type { FastifyInstance } from 'fastify';
import { resolveConfig, type GatewayConfigInput } from '../gateway/src/config';
import { silentLogger } from '../gateway/src/deps';
import { createGateway, type Gateway } from '../gateway/src/gateway';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { createServer, type ServerOptions } from '../gateway/src/server/createServer';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const QUERY = '{ topProducts(first: 1) { name } }';
const GET_URL = `/graphql?query=${encodeURIComponent(QUERY)}`;
const ANSWER = { data: { topProducts: [{ name: 'Table 1' }] } };

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(() => subgraphs.stop());

interface Served {
  app: FastifyInstance;
  gateway: Gateway;
  /** The hooks plugins saw run, in order. */
  hooks: string[];
  close(): Promise<void>;
}

async function serve(config: GatewayConfigInput = {}, server: Partial<ServerOptions> = {}): Promise<Served> {
  const hooks: string[] = [];
  const recorder: GatewayPlugin = {
    name: 'recorder',
    onRequest: () => void hooks.push('onRequest'),
    onResult: ({ status }) => void hooks.push(`onResult ${status}`),
  };
  const gateway = createGateway(resolveConfig({ supergraph: 'inline', logLevel: 'silent', ...config }), { logger: silentLogger, plugins: [recorder] });
  gateway.useSupergraph(subgraphs.supergraphSdl);
  const app = createServer(gateway, { graphiql: true, bodyLimit: 65_536, ...server });
  await app.ready();
  return { app, gateway, hooks, close: async () => (await app.close(), await gateway.close()) };
}

const codes = (body: string) => (JSON.parse(body).errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);

describe('on by default: what a browser could send cross-site without a preflight is refused', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(() => served.close());
  beforeEach(() => {
    subgraphs.requests.length = 0;
    served.hooks.length = 0;
  });

  it.each<[string, 'GET' | 'POST', Record<string, string>, number, string | undefined]>([
    // A GET: a link, an <img>, a form with method=get.
    ['a GET with no header', 'GET', {}, 400, 'CSRF_PREVENTED'],
    ['a GET with an empty apollo-require-preflight', 'GET', { 'apollo-require-preflight': '' }, 400, 'CSRF_PREVENTED'],
    ['a GET with a header of another name', 'GET', { 'x-requested-with': 'XMLHttpRequest' }, 400, 'CSRF_PREVENTED'],
    ['a GET with a header named constructor', 'GET', { constructor: 'x' }, 400, 'CSRF_PREVENTED'],
    ['a GET with content-type text/plain', 'GET', { 'content-type': 'text/plain' }, 400, 'CSRF_PREVENTED'],
    ['a GET with apollo-require-preflight', 'GET', { 'apollo-require-preflight': 'true' }, 200, undefined],
    ['a GET with x-apollo-operation-name (Apollo iOS, Kotlin)', 'GET', { 'x-apollo-operation-name': 'Q' }, 200, undefined],
    ['a GET with graphql-require-preflight', 'GET', { 'graphql-require-preflight': '1' }, 200, undefined],
    // A browser preflights a content type outside the three (Apollo Client sends one with GETs).
    ['a GET with content-type application/json', 'GET', { 'content-type': 'application/json' }, 200, undefined],
    // A form POST, or fetch(..., { mode: 'no-cors' }).
    ['a text/plain POST', 'POST', { 'content-type': 'text/plain' }, 400, 'CSRF_PREVENTED'],
    ['a text/plain POST with a charset, upper case', 'POST', { 'content-type': 'TEXT/Plain ; charset=UTF-8' }, 400, 'CSRF_PREVENTED'],
    ['a form-urlencoded POST', 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'CSRF_PREVENTED'],
    ['a multipart POST', 'POST', { 'content-type': 'multipart/form-data; boundary=x' }, 400, 'CSRF_PREVENTED'],
    ['a text/plain POST with an empty header', 'POST', { 'content-type': 'text/plain', 'apollo-require-preflight': '' }, 400, 'CSRF_PREVENTED'],
    // Past CSRF prevention, text/plain is still a content type the gateway does not read.
    ['a text/plain POST with the header', 'POST', { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' }, 415, 'BAD_REQUEST'],
    // A content type a browser cannot parse is one it preflights: not CSRF's business.
    ['a POST with an unparsable content type', 'POST', { 'content-type': 'text' }, 415, 'BAD_REQUEST'],
    ['a JSON POST', 'POST', { 'content-type': 'application/json' }, 200, undefined],
    ['a JSON POST with a charset', 'POST', { 'content-type': 'application/json; charset=utf-8' }, 200, undefined],
    ['a graphql-response+json POST', 'POST', { 'content-type': 'application/graphql-response+json' }, 200, undefined],
  ])('%s -> %s %s', async (_name, method, headers, status, code) => {
    const res = await served.app.inject(
      method === 'GET' ? { method, url: GET_URL, headers } : { method, url: '/graphql', headers, payload: JSON.stringify({ query: QUERY }) },
    );
    expect(res.statusCode).toBe(status);
    if (code) {
      expect(codes(res.body)).toEqual([code]);
      // Refused before it became a GraphQL request: no subgraph called, no plugin's onRequest run.
      expect(subgraphs.requests).toEqual([]);
      expect(served.hooks).not.toContain('onRequest');
    } else {
      expect(JSON.parse(res.body)).toEqual(ANSWER);
    }
  });

  it('a POST without a content type is refused before its body is read', async () => {
    const res = await served.app.inject({ method: 'POST', url: '/graphql', payload: JSON.stringify({ query: QUERY }) });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.statusCode).toBe(400);
    expect(codes(res.body)).toEqual(['CSRF_PREVENTED']);
    expect(subgraphs.requests).toEqual([]);
  });

  it('says how to get through, and is counted and logged as a refusal like the HTTP layer\'s others', async () => {
    const res = await served.app.inject({ method: 'GET', url: GET_URL });
    expect(JSON.parse(res.body)).toEqual({
      errors: [
        {
          message: expect.stringContaining('cross-site request forgery (CSRF)'),
          extensions: { code: 'CSRF_PREVENTED', requiredHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight'] },
        },
      ],
    });
    expect(served.hooks).toEqual(['onResult 400']);
  });

  it('refuses a whole batch', async () => {
    const batch = await serve({}, { batching: { enabled: true, maxSize: 3 } });
    try {
      const res = await batch.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'text/plain' }, payload: JSON.stringify([{ query: QUERY }, { query: QUERY }]) });
      expect(res.statusCode).toBe(400);
      expect(codes(res.body)).toEqual(['CSRF_PREVENTED']);
      expect(subgraphs.requests).toEqual([]);
    } finally {
      await batch.close();
    }
  });

  it('GraphiQL keeps working: its page is not a GraphQL request, and its own requests are JSON POSTs', async () => {
    const page = await served.app.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // What GraphiQL's fetcher sends.
    const res = await served.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { accept: 'application/json, multipart/mixed', 'content-type': 'application/json' },
      payload: JSON.stringify({ query: QUERY, operationName: null }),
    });
    expect(JSON.parse(res.body)).toEqual(ANSWER);
  });

  it('a link to a query (GET with text/html) is not the page: it is refused', async () => {
    const res = await served.app.inject({ method: 'GET', url: GET_URL, headers: { accept: 'text/html,*/*' } });
    expect(res.statusCode).toBe(400);
    expect(codes(res.body)).toEqual(['CSRF_PREVENTED']);
  });
});

describe('configured', () => {
  it.each<[string, GatewayConfigInput['csrfPrevention'], Record<string, string>, number]>([
    ['turned off: a GET with no header runs', { enabled: false }, {}, 200],
    ['its own header list: the listed header passes', { requestHeaders: ['X-My-Client'] }, { 'x-my-client': 'web' }, 200],
    ['its own header list: a default header no longer does', { requestHeaders: ['x-my-client'] }, { 'apollo-require-preflight': 'true' }, 400],
  ])('%s', async (_name, csrfPrevention, headers, status) => {
    const config = resolveConfig({ supergraph: 'inline', csrfPrevention });
    const served = await serve(
      { csrfPrevention },
      { csrfPrevention: config.csrfPrevention.enabled ? { requestHeaders: config.csrfPrevention.requestHeaders } : false },
    );
    try {
      const res = await served.app.inject({ method: 'GET', url: GET_URL, headers });
      expect(res.statusCode).toBe(status);
    } finally {
      await served.close();
    }
  });
});
