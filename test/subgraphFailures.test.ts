/**
 * Acceptance #4, subgraph side: a subgraph that is down or answers garbage gives partial data where
 * the schema allows it and an error naming the subgraph, never its URL or a stack trace; the gateway
 * keeps serving.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postGraphQL, startApolloGateway, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import type { StartedGateway } from '../gateway/src/server/startGateway';

let subgraphs: SampleSubgraphs;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

function expectNoInternals(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/127\.0\.0\.1|localhost|http:\/\/|ECONNREFUSED|\bat \S+ \(|stacktrace/i);
}

describe('a subgraph that is down', () => {
  let junction: StartedGateway;
  let oracle: { url: string; stop(): Promise<void> };
  let inventoryUrl: string;

  beforeAll(async () => {
    // A supergraph whose inventory URL points at a port nobody listens on.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    inventoryUrl = `http://127.0.0.1:${deadPort}/graphql`;
    const sdl = subgraphs.supergraphSdl.replace(subgraphs.url('inventory'), inventoryUrl);
    junction = await startJunction(sdl);
    oracle = await startApolloGateway(sdl);
  });
  afterAll(async () => {
    await junction?.stop();
    await oracle?.stop();
  });

  it('returns the data of the other subgraphs and a SUBGRAPH_UNAVAILABLE error naming it', async () => {
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 2) { upc name inStock } }' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ topProducts: [{ upc: '1', name: 'Table 1', inStock: null }, { upc: '2', name: 'Couch 1', inStock: null }] });
    expect(res.body.errors).toEqual([
      { message: 'Subgraph "inventory" is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory', reason: 'connection refused' } },
    ]);
    expectNoInternals(res.body);
  });

  it('nulls up to the nearest nullable parent when a non-null field is missing', async () => {
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 2) { upc warehouseCode } }' });
    expect(res.body.data).toEqual({ topProducts: [null, null] });
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  it('differs from @apollo/gateway on purpose: the oracle leaks the subgraph URL', async () => {
    const query = '{ topProducts(first: 2) { upc name inStock } }';
    const [ours, theirs] = await Promise.all([postGraphQL(junction.url, { query }), postGraphQL(oracle.url, { query })]);
    // Same data...
    expect(ours.body.data).toEqual(theirs.body.data);
    // ...but @apollo/gateway's message carries the internal address, which an internet-facing gateway must not reveal.
    expect(JSON.stringify(theirs.body.errors)).toContain(inventoryUrl);
    expect(JSON.stringify(ours.body.errors)).not.toContain(inventoryUrl);
  });

  it('keeps serving the subgraphs that are up', async () => {
    const res = await postGraphQL(junction.url, { query: '{ user(id: "1") { name } }' });
    expect(res.body).toEqual({ data: { user: { name: 'Ada Lovelace' } } });
  });
});

describe('a subgraph that answers something other than GraphQL', () => {
  let junction: StartedGateway;
  let broken: Server;

  beforeAll(async () => {
    broken = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway from upstream proxy at 10.0.0.7</body></html>');
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/graphql`;
    junction = await startJunction(subgraphs.supergraphSdl.replace(subgraphs.url('reviews'), url));
  });
  afterAll(async () => {
    await junction?.stop();
    await new Promise((r) => broken.close(r));
  });

  it('reports SUBGRAPH_INVALID_RESPONSE with the status, not the body', async () => {
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { upc reviews { body } } }' });
    expect(res.body.data).toEqual({ topProducts: [{ upc: '1', reviews: null }] });
    expect(res.body.errors).toEqual([
      { message: 'Subgraph "reviews" sent an invalid response.', extensions: { code: 'SUBGRAPH_INVALID_RESPONSE', serviceName: 'reviews', reason: 'HTTP 502', status: 502 } },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
  });
});

describe('a subgraph that hangs', () => {
  let junction: StartedGateway;
  let perSubgraph: StartedGateway;
  let hanging: Server;

  beforeAll(async () => {
    hanging = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql`;
    junction = await startJunction(subgraphs.supergraphSdl.replace(subgraphs.url('inventory'), url), {
      config: { limits: { subgraphTimeoutMs: 300 } },
    });
    perSubgraph = await startJunction(subgraphs.supergraphSdl.replace(subgraphs.url('inventory'), url), {
      config: { limits: { subgraphTimeoutMs: 10_000 }, routing: { inventory: { timeoutMs: 300 } } },
    });
  });
  afterAll(async () => {
    await junction?.stop();
    await perSubgraph?.stop();
    hanging.closeAllConnections();
    await new Promise((r) => hanging.close(r));
  });

  it.each([
    ['limits.subgraphTimeoutMs', () => junction],
    ['routing.<subgraph>.timeoutMs, over a longer limits.subgraphTimeoutMs', () => perSubgraph],
  ])('times out after %s with partial data', async (_name, gateway) => {
    const junction = gateway();
    await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name } }' }); // warm: plan cached, pools connected
    const started = performance.now();
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name inStock } }' });
    const elapsed = performance.now() - started;
    expect(res.body.data).toEqual({ topProducts: [{ name: 'Table 1', inStock: null }] });
    expect(res.body.errors).toEqual([
      { message: 'Subgraph "inventory" is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory', reason: 'timeout' } },
    ]);
    // Within the timeout + 10% (plus the request's own few milliseconds).
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(330 + 40);
  });
});
