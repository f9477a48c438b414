/** Issue #6: /metrics with the named series and sensible values; /readyz. */
import { join } from 'node:path';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { admin, startRegistryJunction, tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

// /metrics and /readyz on an operations listener of their own (where production serves them).
const OPS = { operations: { listen: { host: '127.0.0.1', port: 0 } } };
const ops = (junction: StartedGateway, path: string, headers: Record<string, string> = {}) => fetch(`${junction.operationsUrl}${path}`, { headers });

/** `name{labels} value` lines of a Prometheus text exposition, as a map. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

it('GET /metrics: requests, latency, subgraph fetches, plan cache, cost, auth failures, compositions', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { ...OPS, cost: { mode: 'measure' } } });
  try {
    const top = 'query Top { topProducts(first: 2) { name inStock } }';
    await postGraphQL(junction.url, { query: top });
    await postGraphQL(junction.url, { query: top });
    await postGraphQL(junction.url, { query: '{ nope }' });
    await postGraphQL(junction.url, { query: top }, { authorization: 'Bearer not-a-token' });
    const res = await ops(junction, '/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = series(await res.text());
    expect(m.get('junction_requests_total{operation="Top",outcome="success"}')).toBe(2);
    expect(m.get('junction_requests_total{operation="(invalid)",outcome="rejected"}')).toBe(2);
    expect(m.get('junction_request_duration_seconds_count{operation="Top",outcome="success"}')).toBe(2);
    expect(m.get('junction_subgraph_fetch_duration_seconds_count{subgraph="products"}')).toBe(2);
    expect(m.get('junction_subgraph_fetch_duration_seconds_count{subgraph="inventory"}')).toBe(2);
    expect(m.get('junction_plan_cache_total{result="miss"}')).toBe(1);
    expect(m.get('junction_plan_cache_total{result="hit"}')).toBe(1);
    expect(m.get('junction_operation_cost_count')).toBe(2);
    expect(m.get('junction_operation_cost_sum')).toBeGreaterThan(0);
    expect(m.get('junction_auth_failures_total')).toBe(1);
    expect(m.get('junction_compositions_total{result="success"}')).toBe(1);
    expect(m.get('junction_subgraph_errors_total')).toBeUndefined();
  } finally {
    await junction.stop();
  }
});

it('counts requests by client application and version, refused ones included', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl, { config: OPS });
  try {
    const web = { 'apollographql-client-name': 'web-shop', 'apollographql-client-version': '3.1.0' };
    await postGraphQL(junction.url, { query: '{ __typename }' }, web);
    await postGraphQL(junction.url, { query: '{ nope }' }, { 'graphql-client-name': 'ios', 'graphql-client-version': '17' });
    await postGraphQL(junction.url, { query: '{ __typename }' });
    await postGraphQL(junction.url, { query: '{ __typename }' }, { 'apollographql-client-name': 'say "hi"\n' });
    // Refused before it is a GraphQL request (CSRF prevention), still counted under its client.
    await fetch(`${junction.url}?query=%7B__typename%7D`, { headers: web });
    const m = series(await (await ops(junction, '/metrics')).text());
    expect(m.get('junction_client_requests_total{client_name="web-shop",client_version="3.1.0",outcome="success"}')).toBe(1);
    expect(m.get('junction_client_requests_total{client_name="web-shop",client_version="3.1.0",outcome="rejected"}')).toBe(1);
    expect(m.get('junction_client_requests_total{client_name="ios",client_version="17",outcome="rejected"}')).toBe(1);
    expect(m.get('junction_client_requests_total{client_name="(none)",client_version="(none)",outcome="success"}')).toBe(1);
    expect(m.get('junction_client_requests_total{client_name="(other)",client_version="(other)",outcome="success"}')).toBe(1);
  } finally {
    await junction.stop();
  }
});

it('caps operation-name labels: random names cannot grow the series without limit', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl);
  try {
    junction.gateway.metrics.operationLabel('x'); // warm one name
    for (let i = 0; i < 600; i++) junction.gateway.metrics.operationLabel(`Op${i}`);
    expect(junction.gateway.metrics.operationLabel('Unseen')).toBe('(other)');
    expect(junction.gateway.metrics.operationLabel('x')).toBe('x');
  } finally {
    await junction.stop();
  }
});

it('counts requests refused before they are GraphQL requests: bad JSON, wrong content type, too large, CSRF', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { ...OPS, limits: { maxBodyBytes: 4096 } } });
  try {
    const post = (body: string, contentType = 'application/json') => fetch(junction.url, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect((await post('{"query": ')).status).toBe(400);
    expect((await post('query=x', 'application/xml')).status).toBe(415);
    expect((await post(JSON.stringify({ query: `{ ${'x'.repeat(5000)} }` }))).status).toBe(413);
    expect((await fetch(junction.url, { headers: { accept: 'text/csv', 'apollo-require-preflight': 'true' } })).status).toBe(406);
    expect((await post('query=x', 'text/plain')).status).toBe(400);
    const m = series(await (await ops(junction, '/metrics')).text());
    expect(m.get('junction_requests_total{operation="(invalid)",outcome="rejected"}')).toBe(5);
  } finally {
    await junction.stop();
  }
});

describe('GET /readyz', () => {
  let junction: StartedGateway;
  afterAll(async () => {
    await junction?.stop();
  });

  it('is ready while every subgraph answers, not ready when one does not', async () => {
    junction = await startRegistryJunction(subgraphs, { registryFile: join(tempDir('junction-ready-'), 'registry.json'), config: OPS });
    const readyz = () => ops(junction, '/readyz');
    expect((await readyz()).status).toBe(200);
    // A subgraph registered, then gone: the next poll marks it unhealthy.
    const { startSubgraph } = await import('../subgraphs');
    const { shippingSubgraph } = await import('../subgraphs/extras/shipping');
    const shipping = await startSubgraph(shippingSubgraph('v1'));
    expect((await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url })).status).toBe(201);
    // A subgraph that does not compose with the sample (Query.me is accounts' User) is refused and counted.
    const { parse } = await import('graphql');
    const clash = await startSubgraph({
      name: 'clash',
      typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { me: String }'),
      resolvers: { Query: { me: () => 'x' } },
    });
    try {
      expect((await admin(junction.url, 'POST', '/subgraphs', { name: 'clash', url: clash.url })).status).toBe(422);
    } finally {
      await clash.stop();
    }
    const compositions = series(await (await ops(junction, '/metrics')).text());
    expect(compositions.get('junction_compositions_total{result="failure"}')).toBe(1);
    await shipping.stop();
    await junction.registry!.poll();
    const res = await readyz();
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy subgraphs', subgraphs: ['shipping'] });
    expect((await fetch(junction.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });

  it('is not ready while every URL of a subgraph has its circuit open; one live URL is enough', async () => {
    const dead = ['http://127.0.0.1:9/graphql', 'http://127.0.0.1:10/graphql'];
    const resilience = { retries: 1, retryBackoffMs: 0, breakerFailureThreshold: 1, breakerOpenMs: 60_000 };
    const query = { query: '{ topProducts(first: 1) { upc inStock } }' };
    const down = await startJunction(subgraphs.supergraphSdl, { config: { ...OPS, resilience, routing: { inventory: { urls: dead } } } });
    try {
      const readyz = () => ops(down, '/readyz');
      expect((await readyz()).status).toBe(200); // nothing called yet
      expect((await postGraphQL(down.url, query)).body.errors?.[0].extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
      const res = await readyz();
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unhealthy subgraphs', subgraphs: ['inventory'] });
      const m = series(await (await ops(down, '/metrics')).text());
      for (const url of dead) expect(m.get(`junction_subgraph_circuit_open{subgraph="inventory",url="${url}"}`)).toBe(1);
      expect(m.get(`junction_subgraph_circuit_open{subgraph="products",url="${subgraphs.url('products')}"}`)).toBe(0);
    } finally {
      await down.stop();
    }
    const half = await startJunction(subgraphs.supergraphSdl, { config: { ...OPS, resilience, routing: { inventory: { urls: [dead[0], subgraphs.url('inventory')] } } } });
    try {
      for (let i = 0; i < 3; i++) expect((await postGraphQL(half.url, query)).body.errors).toBeUndefined();
      expect(half.gateway.circuits().find((c) => c.url === dead[0])?.state).toBe('open');
      expect((await ops(half, '/readyz')).status).toBe(200);
    } finally {
      await half.stop();
    }
  });
});

describe('where /metrics, /readyz and /healthz are served (operations.listen, operations.token)', () => {
  const TOKEN = 'operations-token-0123456789';
  const right = { authorization: `Bearer ${TOKEN}` };
  const wrong = { authorization: 'Bearer operations-token-9876543210' };
  type Where = 'client' | 'operations';
  // Each case: the operations config, then [listener, path, headers, expected status].
  it.each<[string, object | undefined, Array<[Where, string, Record<string, string>, number]>]>([
    [
      'by default: only /healthz, on the client port',
      undefined,
      [['client', '/healthz', {}, 200], ['client', '/metrics', {}, 404], ['client', '/readyz', {}, 404], ['client', '/metrics', right, 404]],
    ],
    [
      'operations.listen: all three there, only /healthz on the client port',
      { listen: { host: '127.0.0.1', port: 0 } },
      [
        ['operations', '/metrics', {}, 200], ['operations', '/readyz', {}, 200], ['operations', '/healthz', {}, 200],
        ['client', '/metrics', {}, 404], ['client', '/readyz', {}, 404], ['client', '/healthz', {}, 200],
      ],
    ],
    [
      'operations.token: on the client port behind the token; /healthz stays public',
      { token: TOKEN },
      [
        ['client', '/metrics', {}, 401], ['client', '/metrics', wrong, 401], ['client', '/metrics', { authorization: TOKEN }, 401], ['client', '/metrics', right, 200],
        ['client', '/readyz', {}, 401], ['client', '/readyz', wrong, 401], ['client', '/readyz', right, 200],
        ['client', '/healthz', {}, 200],
      ],
    ],
    [
      'both: on the operations listener behind the token, not on the client port',
      { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN },
      [
        ['operations', '/metrics', {}, 401], ['operations', '/metrics', right, 200], ['operations', '/readyz', {}, 401], ['operations', '/readyz', right, 200],
        ['operations', '/healthz', {}, 200], ['client', '/metrics', right, 404], ['client', '/readyz', right, 404],
      ],
    ],
  ])('%s', async (_what, operations, requests) => {
    const junction = await startJunction(subgraphs.supergraphSdl, { config: { operations } });
    try {
      expect(junction.operationsUrl === undefined).toBe(!(operations && 'listen' in operations));
      const origin = { client: junction.url.replace(/\/graphql$/, ''), operations: junction.operationsUrl };
      const statuses = [];
      for (const [where, path, headers] of requests) statuses.push((await fetch(`${origin[where]}${path}`, { headers })).status);
      expect(statuses).toEqual(requests.map(([, , , status]) => status));
      if (operations && 'token' in operations) {
        const refused = await fetch(`${origin[junction.operationsUrl ? 'operations' : 'client']}/metrics`);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="junction-operations"');
        expect(await refused.text()).not.toContain('junction_');
      }
    } finally {
      await junction.stop();
    }
  });

  it('refuses an operations port equal to the client port, and reads the token from JUNCTION_OPERATIONS_TOKEN', async () => {
    const { applyEnvOverrides, resolveConfig } = await import('../gateway/src/config');
    expect(() => resolveConfig({ supergraph: 'x', listen: { port: 4000 }, operations: { listen: { port: 4000 } } })).toThrow(/operations\.listen\.port/);
    expect(resolveConfig(applyEnvOverrides({ supergraph: 'x' }, { JUNCTION_OPERATIONS_TOKEN: TOKEN })).operations.token).toBe(TOKEN);
  });
});
