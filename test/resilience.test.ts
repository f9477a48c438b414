/**
 * Issue #6, acceptance 2: sick subgraphs. Real subgraph servers are stopped and restarted under
 * load; the circuit breakers and the failover between URLs are watched from outside.
 */
import { print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { SAMPLE_SUBGRAPHS, startSubgraph, type RunningSubgraph } from '../subgraphs';
import { inventory } from '../subgraphs/inventory';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

const QUERY = '{ topProducts(first: 2) { name inStock } }';
const FULL = { data: { topProducts: [{ name: 'Table 1', inStock: true }, { name: 'Couch 1', inStock: true }] } };

let others: RunningSubgraph[];
beforeAll(async () => {
  others = await Promise.all(SAMPLE_SUBGRAPHS.filter((s) => s.definition.name !== 'inventory').map((s) => startSubgraph(s.definition)));
});
afterAll(async () => {
  await Promise.all(others.map((s) => s.stop()));
});

function supergraphWith(inventoryUrl: string): string {
  const outcome = composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition }) => ({
      name: definition.name,
      url: definition.name === 'inventory' ? inventoryUrl : others.find((o) => o.name === definition.name)!.url,
      sdl: print(definition.typeDefs),
    })),
  );
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.supergraphSdl;
}

it('a subgraph with two URLs, one killed: no failed request, and the dead URL\'s circuit opens', async () => {
  const [a, b] = await Promise.all([startSubgraph(inventory), startSubgraph(inventory)]);
  const junction = await startJunction(supergraphWith(a.url), {
    config: { routing: { inventory: { urls: [a.url, b.url] } }, resilience: { breakerFailureThreshold: 3, breakerOpenMs: 60_000 } },
  });
  try {
    for (let i = 0; i < 10; i++) expect((await postGraphQL(junction.url, { query: QUERY })).body).toEqual(FULL);
    await a.stop();
    // One after another: identical concurrent requests would share a fetch (in-flight dedup).
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await postGraphQL(junction.url, { query: QUERY }));
    expect(results.filter((r) => JSON.stringify(r.body) !== JSON.stringify(FULL))).toEqual([]);
    expect(junction.gateway.circuits().find((c) => c.url === a.url)?.state).toBe('open');
    expect(junction.gateway.circuits().find((c) => c.url === b.url)?.state).toBe('closed');
  } finally {
    await junction.stop();
    await b.stop();
  }
});

describe('a subgraph killed mid-load, then restarted', () => {
  let junction: StartedGateway;
  let sub: RunningSubgraph;
  beforeAll(async () => {
    sub = await startSubgraph(inventory);
    junction = await startJunction(supergraphWith(sub.url), { config: { resilience: { breakerFailureThreshold: 3, breakerOpenMs: 400, retryBackoffMs: 1 } } });
  });
  afterAll(async () => {
    await junction?.stop();
    await sub?.stop();
  });

  it('serves partial data while it is down, fails fast once the circuit opens, and recovers', async () => {
    expect((await postGraphQL(junction.url, { query: QUERY })).body).toEqual(FULL);
    const port = sub.port;
    await sub.stop();

    const down = await postGraphQL(junction.url, { query: QUERY });
    expect(down.status).toBe(200);
    expect(down.body.data).toEqual({ topProducts: [{ name: 'Table 1', inStock: null }, { name: 'Couch 1', inStock: null }] });
    expect(down.body.errors?.[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory' });
    expect(junction.gateway.circuits().find((c) => c.subgraph === 'inventory')?.state).toBe('open');

    // Open: refused at once, without trying the dead URL.
    const started = performance.now();
    const fast = await postGraphQL(junction.url, { query: QUERY });
    expect(fast.body.errors?.[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'circuit open' });
    expect(performance.now() - started).toBeLessThan(100);

    sub = await startSubgraph(inventory, { port });
    await new Promise((r) => setTimeout(r, 450)); // past breakerOpenMs: the next request probes
    expect((await postGraphQL(junction.url, { query: QUERY })).body).toEqual(FULL);
    expect(junction.gateway.circuits().find((c) => c.subgraph === 'inventory')?.state).toBe('closed');
  });
});
