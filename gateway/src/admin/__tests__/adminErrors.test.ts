/**
 * The admin API's failures: the envelope `{ errors: [{ code, message, subgraphs? }] }` the CLI reads,
 * with a code from the catalogue and its status (the README's admin table; adminErrors.ts holds both).
 * In-process (`inject`); the registry is a real one on a file store, its transport refusing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveConfig } from '../../config';
import { silentLogger, type Fetch } from '../../deps';
import { createGateway, type Gateway } from '../../gateway';
import { FileRegistryStore } from '../../registry/fileRegistryStore';
import { SubgraphRegistry } from '../../registry/subgraphRegistry';
import { createServer } from '../../server/createServer';
import { supergraphTargetOf } from '../../server/startGateway';

const TOKEN = 'a-long-enough-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const refused: Fetch = async () => {
  throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
};

let gateway: Gateway;
let store: FileRegistryStore;
let registry: SubgraphRegistry;
let withRegistry: FastifyInstance;
let withoutRegistry: FastifyInstance;

beforeAll(async () => {
  const config = resolveConfig({ supergraph: 'inline' });
  gateway = createGateway(config, { logger: silentLogger, fetch: refused });
  store = await FileRegistryStore.open(join(mkdtempSync(join(tmpdir(), 'junction-admin-')), 'registry.json'), silentLogger);
  registry = new SubgraphRegistry({ store, gateway: supergraphTargetOf(gateway), fetch: refused, logger: silentLogger, config: config.registry });
  withRegistry = createServer(gateway, { graphiql: false, bodyLimit: 1024, admin: { token: TOKEN, registry } });
  withoutRegistry = createServer(gateway, { graphiql: false, bodyLimit: 1024, admin: { token: TOKEN }, operations: { token: 'an-operations-token' } });
});

afterAll(async () => {
  await withRegistry.close();
  await withoutRegistry.close();
  await registry.stop();
  await store.close();
  await gateway.close();
});

type Case = [string, number, string, () => FastifyInstance, { method: 'GET' | 'POST' | 'DELETE'; url: string; headers?: Record<string, string>; payload?: unknown }, string[]?];

it.each<Case>([
  ['no token', 401, 'UNAUTHENTICATED', () => withRegistry, { method: 'GET', url: '/admin/subgraphs', headers: {} }],
  ['a wrong token', 401, 'UNAUTHENTICATED', () => withRegistry, { method: 'GET', url: '/admin/subgraphs', headers: { authorization: 'Bearer nope' } }],
  ['no operations token', 401, 'UNAUTHENTICATED', () => withoutRegistry, { method: 'GET', url: '/metrics', headers: {} }],
  ['a body that is not an object', 400, 'BAD_REQUEST', () => withRegistry, { method: 'POST', url: '/admin/subgraphs', payload: '[1]' }],
  ['a name like constructor.x', 400, 'INVALID_SUBGRAPH_NAME', () => withRegistry, { method: 'POST', url: '/admin/subgraphs', payload: { name: 'constructor.x', url: 'http://localhost:1/graphql' } }],
  ['a URL with credentials', 400, 'INVALID_SUBGRAPH_URL', () => withRegistry, { method: 'POST', url: '/admin/subgraphs', payload: { name: 'a', url: 'http://u:p@localhost/graphql' } }],
  ['a host not allowed', 400, 'URL_NOT_ALLOWED', () => withRegistry, { method: 'POST', url: '/admin/subgraphs', payload: { name: 'a', url: 'http://example.com/graphql' } }],
  ['a subgraph that refuses', 502, 'SUBGRAPH_UNREACHABLE', () => withRegistry, { method: 'POST', url: '/admin/subgraphs', payload: { name: 'a', url: 'http://localhost:1/graphql' } }, ['a']],
  ['removing a name not registered', 404, 'SUBGRAPH_NOT_FOUND', () => withRegistry, { method: 'DELETE', url: '/admin/subgraphs/toString' }],
  ['subgraphs without a registry', 404, 'NO_REGISTRY', () => withoutRegistry, { method: 'GET', url: '/admin/subgraphs' }],
  ['budgets while they are off', 404, 'BUDGETS_OFF', () => withoutRegistry, { method: 'GET', url: '/admin/budgets/x' }],
  ['the supergraph before one is loaded', 503, 'SUPERGRAPH_NOT_READY', () => withoutRegistry, { method: 'GET', url: '/admin/supergraph' }],
])('%s: %s %s', async (...[, status, code, app, request, subgraphs]: Case) => {
  const { payload, headers, ...rest } = request;
  const res = await app().inject({
    ...rest,
    headers: { ...(headers ?? AUTH), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: typeof payload === 'string' || payload === undefined ? payload : JSON.stringify(payload),
  });
  expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({ status, type: 'application/json; charset=utf-8' });
  const body = res.json();
  expect(body).toEqual({ errors: [subgraphs ? { code, message: expect.any(String), subgraphs } : { code, message: expect.any(String) }] });
});
