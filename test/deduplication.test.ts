/**
 * Issue #6: identical in-flight subgraph queries share one request (same subgraph, document,
 * variables and headers); mutations never do. Counted at the subgraph, which answers slowly so
 * that concurrent requests overlap.
 */
import { parse, print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { resolveConfig } from '../gateway/src/config';
import { silentLogger, type Fetch } from '../gateway/src/deps';
import { createGateway } from '../gateway/src/gateway';
import type { GatewayPlugin, GatewayRequest } from '../gateway/src/plugins/types';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';
import { FakeClock } from './helpers/fakeClock';

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

describe('a hanging subgraph under identical queries (a transport whose requests time out on cue, a clock that stands still)', () => {
  /** Every request hangs until `timeOutAll`, which fails them as the transport's timeout would. */
  function hangingTransport() {
    const pending: Array<(err: Error) => void> = [];
    let sent = 0;
    const fetch: Fetch = () => {
      sent++;
      return new Promise((_, reject) => pending.push(reject));
    };
    const timeOutAll = () => {
      for (const reject of pending.splice(0)) reject(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }));
    };
    return { fetch, timeOutAll, sent: () => sent };
  }
  const request: GatewayRequest = { method: 'POST', headers: {}, query: '{ slow(ms: 1) }', operationName: undefined, variables: undefined, extensions: undefined };
  const reasons = (responses: Array<{ body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }>) => responses.map((r) => r.body.errors?.[0]?.extensions?.reason);

  it.each([
    ['shared (deduplicated)', true, 1],
    ['not shared', false, 10],
  ])('%s: ten timed-out queries open the circuit (threshold 5), and the next ten fail at once without a fetch', async (_name, deduplicate, fetches) => {
    const transport = hangingTransport();
    let reached = 0;
    const countArrivals: GatewayPlugin = { name: 'count', onSubgraphRequest: () => void reached++ };
    const config = resolveConfig({ supergraph: 'inline', deduplicateSubgraphRequests: deduplicate, resilience: { breakerFailureThreshold: 5, retries: 0 } });
    const gateway = createGateway(config, { fetch: transport.fetch, clock: new FakeClock(0), logger: silentLogger, plugins: [countArrivals] });
    gateway.useSupergraph(supergraphSdl);
    try {
      const first = Promise.all(Array.from({ length: 10 }, () => gateway.handle(request)));
      for (let i = 0; i < 1000 && reached < 10; i++) await new Promise((r) => setImmediate(r));
      expect({ reached, sent: transport.sent() }).toEqual({ reached: 10, sent: fetches });
      transport.timeOutAll();
      expect(reasons(await first)).toEqual(Array(10).fill('timeout'));
      expect(gateway.circuits().map((c) => c.state)).toEqual(['open']);

      const second = await Promise.all(Array.from({ length: 10 }, () => gateway.handle(request)));
      expect(reasons(second)).toEqual(Array(10).fill('circuit open'));
      expect(transport.sent()).toBe(fetches);
    } finally {
      await gateway.close();
    }
  });
});
