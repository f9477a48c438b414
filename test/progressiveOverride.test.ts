/**
 * Issue #13, acceptance 4: progressive override. `Product.price` moves from subgraph "old" to "new"
 * with `@override(from: "old", label: "percent(25)")`: over 2,000 requests it is served by "new"
 * for 25% ± 5% of them, by "old" otherwise, and each request is served as its own draw says (a
 * plan cached for one set of active labels is never used for another). `Product.beta` moves with a
 * custom label, active for the requests a plugin marks. With each planner; real subgraph servers.
 */
import { parse } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { resolveConfig } from '../gateway/src/config';
import { silentLogger } from '../gateway/src/deps';
import { createGateway, type Gateway } from '../gateway/src/gateway';
import type { PlannerName } from '../gateway/src/planning/planner';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { startSubgraph, type RunningSubgraph } from '../subgraphs/subgraph';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])';
const OLD_SDL = `${FEDERATION}
  type Query { product(id: ID!): Product }
  type Product @key(fields: "id") { id: ID! price: String beta: String }
`;
const NEW_SDL = `${FEDERATION}
  type Product @key(fields: "id") {
    id: ID!
    price: String @override(from: "old", label: "percent(25)")
    beta: String @override(from: "old", label: "beta")
  }
`;
const OLD = {
  name: 'old',
  sdl: OLD_SDL,
  typeDefs: parse(OLD_SDL),
  resolvers: { Query: { product: (_: unknown, { id }: { id: string }) => ({ id }) }, Product: { price: () => 'old', beta: () => 'old' } },
};
const NEW = {
  name: 'new',
  sdl: NEW_SDL,
  typeDefs: parse(NEW_SDL),
  resolvers: { Product: { __resolveReference: (ref: { id: string }) => ref, price: () => 'new', beta: () => 'new' } },
};

/** A seeded generator (mulberry32): the run is the same every time, and each draw is known. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Marks the requests with an `x-beta` header as having the custom label `beta` active. */
const betaTesters: GatewayPlugin = {
  name: 'beta-testers',
  onRequest({ request, context }) {
    if (request.headers['x-beta']) context.overrideLabels = new Set(['beta']);
  },
};

const running: RunningSubgraph[] = [];
let supergraphSdl: string;

beforeAll(async () => {
  for (const definition of [OLD, NEW]) running.push(await startSubgraph(definition, { port: 0 }));
  const composed = composeSupergraph([OLD, NEW].map((d, i) => ({ name: d.name, url: running[i].url, sdl: d.sdl })));
  if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
  supergraphSdl = composed.supergraphSdl;
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

describe.each<PlannerName>(['hive', 'apollo'])('planned by %s', (planner) => {
  let gateway: Gateway;
  const draws: number[] = [];

  beforeAll(async () => {
    const random = seeded(20261126);
    gateway = createGateway(resolveConfig({ supergraph: 'inline', logLevel: 'silent', planner }), {
      logger: silentLogger,
      plugins: [betaTesters],
      random: () => {
        const value = random();
        draws.push(value);
        return value;
      },
    });
    gateway.useLoadedSupergraph(await gateway.load(supergraphSdl));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const ask = (query: string, headers: Record<string, string> = {}) => gateway.handle({ method: 'POST', headers, query, operationName: undefined, variables: undefined, extensions: undefined });

  it('serves percent(25) from the new subgraph for 25% ± 5% of 2,000 requests, each as its own draw says', async () => {
    expect(gateway.supergraph!.overrideLabels).toEqual(['beta', 'percent(25)']);
    const misses = async () => (await gateway.metrics.planCache.get()).values.find((v) => v.labels.result === 'miss')?.value ?? 0;
    const missesBefore = await misses();
    draws.length = 0;
    let served = { old: 0, new: 0 };
    for (let i = 0; i < 2_000; i++) {
      const response = await ask('{ product(id: "1") { id price } }');
      const price = (response.body.data as { product: { price: string } }).product.price;
      // The draw of this request (the one the pipeline made for it) decides its subgraph.
      expect({ request: i, price }).toEqual({ request: i, price: draws[i] * 100 < 25 ? 'new' : 'old' });
      served = { ...served, [price]: served[price as 'old' | 'new'] + 1 };
    }
    expect(draws).toHaveLength(2_000);
    expect(served.new / 2_000).toBeGreaterThanOrEqual(0.2);
    expect(served.new / 2_000).toBeLessThanOrEqual(0.3);
    // One plan per set of active labels: two, made once each.
    expect((await misses()) - missesBefore).toBe(2);
    if (process.env.JUNCTION_TEST_REPORT) console.log(`${planner}: price served by new for ${served.new} of 2000 requests`);
  });

  it('serves a custom label’s field from the new subgraph only for the requests a plugin marks', async () => {
    const beta = async (headers: Record<string, string>) => ((await ask('{ product(id: "2") { beta } }', headers)).body.data as { product: { beta: string } }).product.beta;
    for (let i = 0; i < 5; i++) {
      expect(await beta({ 'x-beta': '1' })).toBe('new');
      expect(await beta({})).toBe('old');
    }
  });
});
