/**
 * Issue #13, acceptance 6: an operation built to be expensive to plan (a chain of fragments each
 * spreading the next twice, which Hive's planner expands: 2^18 copies) is cut off by
 * `limits.planningTimeoutMs` with QUERY_PLANNING_TIMEOUT, while the gateway goes on serving: a
 * cached operation, /healthz, and other cold operations (planned on a new thread). Sent again, it is
 * refused at once. The default limits refuse such a document before planning (maxSelections counts
 * fragments expanded); they are turned off here so that it reaches the planner.
 */
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const TIMEOUT_MS = 1_000;

function doublingChain(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Product { ...F${i + 1} ...F${i + 1} }`);
  return `query Pathological { topProducts { ...F0 } } ${fragments.join(' ')} fragment F${n} on Product { name reviews { body } }`;
}

let subgraphs: SampleSubgraphs;
let junction: StartedGateway;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  junction = await startJunction(subgraphs.supergraphSdl, {
    config: {
      limits: { planningTimeoutMs: TIMEOUT_MS, maxSelections: 0, maxAliases: 0, maxDepth: 0, maxTokens: 0 },
      cost: { mode: 'off' },
    },
  });
});

afterAll(async () => {
  await junction?.stop();
  await subgraphs?.stop();
});

it('cuts off a pathological plan with its code, serving the others meanwhile, and refuses it at once when sent again', async () => {
  expect(junction.gateway.plannerName).toBe('hive');
  const cached = '{ topProducts(first: 1) { name } }';
  expect((await postGraphQL(junction.url, { query: cached })).status).toBe(200);

  const started = performance.now();
  const pathological = postGraphQL(junction.url, { query: doublingChain(18) }).then((res) => ({ res, ms: performance.now() - started }));
  // While it plans: a cached operation, /healthz, and a cold operation queued behind it on the planning thread.
  await new Promise((r) => setTimeout(r, 50));
  const during = await Promise.all([
    postGraphQL(junction.url, { query: cached }).then((res) => ({ res, ms: performance.now() - started })),
    fetch(new URL('/healthz', junction.url)).then((res) => ({ status: res.status, ms: performance.now() - started })),
    postGraphQL(junction.url, { query: '{ me { id } topProducts(first: 2) { upc inStock } }' }).then((res) => ({ res, ms: performance.now() - started })),
  ]);
  const [cachedAnswer, health, cold] = during;
  const { res, ms } = await pathological;

  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: `The operation could not be planned within ${TIMEOUT_MS} ms.`, extensions: { code: 'QUERY_PLANNING_TIMEOUT', timeoutMs: TIMEOUT_MS } }]);
  // Cut off at the timeout, not when planning would have finished (some three seconds for Hive's here).
  expect(ms).toBeLessThan(TIMEOUT_MS + 600);
  expect(cachedAnswer.res.status).toBe(200);
  expect(cachedAnswer.ms).toBeLessThan(TIMEOUT_MS);
  expect(health.status).toBe(200);
  expect(health.ms).toBeLessThan(TIMEOUT_MS);
  // The cold one waited for the pathological plan, then was planned on the new thread.
  expect(cold.res.status).toBe(200);
  expect(cold.res.body.data).toMatchObject({ topProducts: [{ upc: '1' }, { upc: '2' }] });

  const again = performance.now();
  const second = await postGraphQL(junction.url, { query: doublingChain(18) });
  expect(second.body.errors?.[0]?.extensions?.code).toBe('QUERY_PLANNING_TIMEOUT');
  expect(performance.now() - again).toBeLessThan(100);
  if (process.env.JUNCTION_TEST_REPORT) console.log(`cut off after ${ms.toFixed(0)} ms; cached ${cachedAnswer.ms.toFixed(0)} ms, /healthz ${health.ms.toFixed(0)} ms, cold ${cold.ms.toFixed(0)} ms; again ${(performance.now() - again).toFixed(0)} ms`);
});
