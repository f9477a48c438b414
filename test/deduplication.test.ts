/**
 * Issue #6: identical in-flight subgraph queries share one request (same subgraph, document,
 * variables and headers); mutations never do. Counted at the subgraph, which answers slowly so
 * that concurrent requests overlap.
 */
import { parse, print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

const slow = {
  name: 'slow',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Query { slow(ms: Int!): Int }
    type Mutation { bump(ms: Int!): Int }
  `),
  resolvers: {
    Query: { slow: (_: unknown, { ms }: { ms: number }) => new Promise((r) => setTimeout(() => r(ms), ms)) },
    Mutation: { bump: (_: unknown, { ms }: { ms: number }) => new Promise((r) => setTimeout(() => r(ms), ms)) },
  },
};

/** Copies the client's `x-tenant` header to subgraph requests, as header forwarding does. */
const forwardTenant: GatewayPlugin = {
  name: 'forward-tenant',
  onSubgraphRequest({ request, headers }) {
    const tenant = request.headers['x-tenant'];
    if (tenant) headers['x-tenant'] = tenant;
  },
};

let subgraph: RunningSubgraph;
const received: Array<{ query?: string; variables?: Record<string, unknown>; tenant?: string }> = [];
let supergraphSdl: string;
beforeAll(async () => {
  subgraph = await startSubgraph(slow, { onRequest: (r) => received.push({ query: r.query, variables: r.variables, tenant: r.headers['x-tenant'] }) });
  const outcome = composeSupergraph([{ name: 'slow', url: subgraph.url, sdl: print(slow.typeDefs) }]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  supergraphSdl = outcome.supergraphSdl;
});
afterAll(async () => {
  await subgraph?.stop();
});
beforeEach(() => {
  received.length = 0;
});

async function concurrently(n: number, request: (i: number) => Promise<unknown>): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => request(i)));
}

it('ten identical concurrent queries make one subgraph request, and each client gets the answer', async () => {
  const junction = await startJunction(supergraphSdl, { config: { operations: { listen: { host: '127.0.0.1', port: 0 } } } });
  try {
    const results = await concurrently(10, () => postGraphQL(junction.url, { query: '{ slow(ms: 300) }' }).then((r) => r.body));
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ data: { slow: 300 } })));
    expect(received).toHaveLength(1);
    const metrics = await (await fetch(`${junction.operationsUrl}/metrics`)).text();
    expect(metrics).toContain('junction_subgraph_fetches_shared_total{subgraph="slow"} 9\n');
  } finally {
    await junction.stop();
  }
});

it('queries that differ in variables or forwarded headers are not shared', async () => {
  const junction = await startJunction(supergraphSdl, { plugins: [forwardTenant] });
  try {
    const query = 'query Slow($ms: Int!) { slow(ms: $ms) }';
    await concurrently(6, (i) => postGraphQL(junction.url, { query, variables: { ms: 300 + (i % 2) } }));
    expect(received).toHaveLength(2);
    received.length = 0;
    await concurrently(6, (i) => postGraphQL(junction.url, { query, variables: { ms: 300 } }, { 'x-tenant': `t${i % 3}` }));
    expect(received.map((r) => r.tenant).sort()).toEqual(['t0', 't1', 't2']);
  } finally {
    await junction.stop();
  }
});

it('mutations are never shared: five identical concurrent mutations make five subgraph requests', async () => {
  const junction = await startJunction(supergraphSdl);
  try {
    const results = await concurrently(5, () => postGraphQL(junction.url, { query: 'mutation { bump(ms: 300) }' }).then((r) => r.body));
    expect(results).toEqual(Array.from({ length: 5 }, () => ({ data: { bump: 300 } })));
    expect(received).toHaveLength(5);
  } finally {
    await junction.stop();
  }
});

it('deduplicateSubgraphRequests: false sends every query', async () => {
  const junction = await startJunction(supergraphSdl, { config: { deduplicateSubgraphRequests: false } });
  try {
    await concurrently(10, () => postGraphQL(junction.url, { query: '{ slow(ms: 300) }' }));
    expect(received).toHaveLength(10);
  } finally {
    await junction.stop();
  }
});
