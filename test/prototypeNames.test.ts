/**
 * Issue #10, defect 7: names from outside (subgraph names, chosen by whoever holds the admin token)
 * that are also Object.prototype members: `constructor`, `toString`, `valueOf`, `hasOwnProperty`.
 * The sample subgraphs are registered under those names and queried end to end, with routing and
 * header forwarding configured by name. And a fetch that fails unexpectedly is logged.
 */
import { resolveConfig } from '../gateway/src/config';
import { silentLogger, type Logger } from '../gateway/src/deps';
import { createGateway } from '../gateway/src/gateway';
import { createServer } from '../gateway/src/server/createServer';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { startGateway, type StartedGateway } from '../gateway/src/server/startGateway';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { accounts } from '../subgraphs/accounts';
import { shippingSubgraph } from '../subgraphs/extras/shipping';
import { ADMIN_TOKEN, admin, tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { createSigningKey, signToken, TEST_AUDIENCE, TEST_ISSUER, type SigningKey } from './helpers/tokens';

const NAMES: Record<string, string> = { accounts: 'constructor', inventory: 'toString', products: 'valueOf', reviews: 'hasOwnProperty' };

let subgraphs: SampleSubgraphs;
let accountsByRouting: RunningSubgraph;
let shipping: RunningSubgraph;
let key: SigningKey;
const routed: Array<Record<string, string>> = [];

beforeAll(async () => {
  [subgraphs, accountsByRouting, shipping, key] = await Promise.all([
    startSampleSubgraphs(),
    startSubgraph(accounts, { onRequest: (r) => routed.push(r.headers) }),
    startSubgraph(shippingSubgraph('v1')),
    createSigningKey('names'),
  ]);
});
afterAll(async () => {
  await Promise.all([subgraphs?.stop(), accountsByRouting?.stop(), shipping?.stop()]);
});

describe('sample subgraphs registered as constructor, toString, valueOf and hasOwnProperty', () => {
  let junction: StartedGateway;
  beforeAll(async () => {
    const config = resolveConfig({
      logLevel: 'silent',
      listen: { host: '127.0.0.1', port: 0 },
      subgraphs: subgraphs.subgraphs.map((s) => ({ name: NAMES[s.name], url: s.url })),
      registry: { pollIntervalMs: 0, reconcileIntervalMs: 0 },
      admin: { token: ADMIN_TOKEN },
      auth: {
        jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key.publicPem }] },
        forwarding: { subgraphs: { constructor: { headersFromClaims: { 'x-user-id': 'sub' } } } },
      },
      routing: { constructor: { urls: [accountsByRouting.url] }, toString: { timeoutMs: 5_000 } },
    });
    junction = await startGateway({ config, registryPath: `${tempDir('junction-names-')}/registry.json` });
  });
  afterAll(async () => {
    await junction?.stop();
  });

  it('serves a query across all four, routes `constructor` by its routing rule and forwards its claims', async () => {
    routed.length = 0;
    const token = await signToken(key, { sub: '2' });
    const res = await postGraphQL(junction.url, { query: '{ me { name } topProducts(first: 2) { name inStock reviews { body } } }' }, { authorization: `Bearer ${token}` });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      me: { name: 'Alan Turing' },
      topProducts: [
        { name: 'Table 1', inStock: true, reviews: expect.any(Array) },
        { name: 'Couch 1', inStock: true, reviews: expect.any(Array) },
      ],
    });
    // `routing.constructor.urls` sent the accounts fetch to its URL, with `x-user-id` from `forwarding.subgraphs.constructor`...
    expect(routed.map((h) => h['x-user-id'])).toEqual(['2']);
    // ...and the subgraphs without a forwarding rule of their own got the default: nothing.
    const others = subgraphs.requests.filter((r) => r.subgraph !== 'accounts');
    expect(others.length).toBeGreaterThan(0);
    expect(others.map((r) => r.headers['x-user-id'])).toEqual(others.map(() => undefined));
  });

  it('registers, serves and removes one more named propertyIsEnumerable through the admin API', async () => {
    expect((await admin(junction.url, 'POST', '/subgraphs', { name: 'propertyIsEnumerable', url: shipping.url })).status).toBe(201);
    const res = await postGraphQL(junction.url, { query: '{ shippingZones topProducts(first: 1) { name carbonFootprint } }' });
    expect(res.body).toEqual({ data: { shippingZones: ['EU', 'US', 'APAC'], topProducts: [{ name: 'Table 1', carbonFootprint: expect.any(Number) }] } });
    expect((await admin(junction.url, 'DELETE', '/subgraphs/propertyIsEnumerable')).status).toBe(200);
  });

  it('refuses __proto__ as a subgraph name, and keeps serving', async () => {
    const res = await admin(junction.url, 'POST', '/subgraphs', { name: '__proto__', url: shipping.url });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name } }' })).body).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  });
});

it('a fetch that fails unexpectedly is logged with the request id, and the client gets that id', async () => {
  const logged: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => logged.push({ message, fields }) };
  const broken: GatewayPlugin = {
    name: 'broken',
    onSubgraphRequest({ subgraph }) {
      if (subgraph === 'inventory') throw new TypeError('a plugin bug');
    },
  };
  const config = resolveConfig({ supergraph: 'inline', listen: { host: '127.0.0.1', port: 0 } });
  const junction = await startGateway({ config, supergraphSdl: subgraphs.supergraphSdl, plugins: [broken], logger });
  try {
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name inStock } }' }, { 'x-request-id': 'bug-1' });
    expect(res.body).toEqual({
      data: { topProducts: [{ name: 'Table 1', inStock: null }] },
      errors: [{ message: 'Fetch from "inventory" failed.', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'inventory', requestId: 'bug-1' } }],
    });
    expect(logged).toEqual([{ message: 'subgraph fetch failed unexpectedly', fields: expect.objectContaining({ requestId: 'bug-1', subgraph: 'inventory', error: expect.stringContaining('TypeError: a plugin bug') }) }]);
  } finally {
    await junction.stop();
  }
});

it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('GET /graphiql-assets/%s is a 404', async (name) => {
  const gateway = createGateway(resolveConfig({ supergraph: 'inline' }), { logger: silentLogger });
  const app = createServer(gateway, { graphiql: true, bodyLimit: 1024 });
  try {
    const res = await app.inject({ method: 'GET', url: `/graphiql-assets/${name}` });
    expect(res.statusCode).toBe(404);
  } finally {
    await app.close();
    await gateway.close();
  }
});
