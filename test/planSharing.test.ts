/**
 * Plans are made off the gateway's thread, so identical operations can miss the plan cache at once:
 * they share one plan, a failed plan is not kept, and a supergraph loaded on the planning thread
 * answers as one loaded here does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../gateway/src/config';
import { silentLogger, type Fetch } from '../gateway/src/deps';
import { createGateway, type Gateway } from '../gateway/src/gateway';
import { loadSupergraph, type LoadedSupergraph } from '../gateway/src/planning/loadSupergraph';

const sdl = readFileSync(join(__dirname, '..', 'supergraph.graphql'), 'utf8');

/** Answers every subgraph fetch with `topProducts: [{ upc: "1", name: "Table" }]`. */
const fetch: Fetch = async () => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  text: async () => JSON.stringify({ data: { topProducts: [{ __typename: 'Product', upc: '1', name: 'Table' }] } }),
});

function gatewayWith(loaded: LoadedSupergraph): Gateway {
  const gateway = createGateway(resolveConfig({ supergraph: 'x', logLevel: 'silent' }), { logger: silentLogger, fetch });
  gateway.useLoadedSupergraph(loaded);
  return gateway;
}

/** The supergraph, planning through `plan` (which may fail or wait), counting its calls. */
function counting(plan: (inner: LoadedSupergraph['plan'], operation: Parameters<LoadedSupergraph['plan']>[0]) => ReturnType<LoadedSupergraph['plan']>) {
  const loaded = loadSupergraph(sdl);
  const counter = { calls: 0 };
  const wrapped: LoadedSupergraph = { ...loaded, plan: (operation) => (counter.calls++, plan(loaded.plan, operation)) };
  return { loaded: wrapped, counter };
}

const post = (gateway: Gateway, query: string) => gateway.handle({ method: 'POST', headers: {}, query, operationName: undefined, variables: undefined, extensions: undefined });

it('plans identical operations that miss the cache together once', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { loaded, counter } = counting(async (inner, operation) => {
    await gate;
    return inner(operation);
  });
  const gateway = gatewayWith(loaded);
  const answers = Array.from({ length: 20 }, () => post(gateway, '{ topProducts { upc name } }'));
  // Let every request reach planning before the first plan is done.
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  release();
  const bodies = (await Promise.all(answers)).map((r) => r.body);
  expect(counter.calls).toBe(1);
  expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  expect(bodies[0]).toMatchObject({ data: { topProducts: [{ upc: '1', name: 'Table' }] } });
  // Then from the cache.
  await post(gateway, '{ topProducts { upc name } }');
  expect(counter.calls).toBe(1);
});

it('does not keep a plan that failed: the next request plans again', async () => {
  let fail = true;
  const { loaded, counter } = counting(async (inner, operation) => {
    if (fail) throw new Error('the planning thread died');
    return inner(operation);
  });
  const gateway = gatewayWith(loaded);
  const first = await post(gateway, '{ topProducts { upc } }');
  expect(first.status).toBe(500);
  expect(first.body.errors?.[0]?.extensions?.code).toBe('QUERY_PLANNING_FAILED');
  fail = false;
  const second = await post(gateway, '{ topProducts { upc } }');
  expect(second.status).toBe(200);
  expect(counter.calls).toBe(2);
});

it('answers the same from a supergraph loaded on the planning thread', async () => {
  const here = gatewayWith(loadSupergraph(sdl));
  const onThread = createGateway(resolveConfig({ supergraph: 'x', logLevel: 'silent' }), { logger: silentLogger, fetch });
  try {
    onThread.useLoadedSupergraph(await onThread.load(sdl));
    for (const query of ['{ topProducts { upc name } }', '{ __schema { queryType { name } } }', '{ topProducts { nope } }', 'query A { topProducts { upc } } query B { me { id } }']) {
      expect(await post(onThread, query)).toEqual(await post(here, query));
    }
  } finally {
    await onThread.close();
  }
});
