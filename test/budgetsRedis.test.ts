/**
 * Issue #5 with the Redis budget store: two gateway processes share one client's budget, and the
 * gateway keeps serving per budgets.failMode while Redis is down, recovering when it is back.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { costly } from './fixtures/costSubgraph';
import { startGatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

const describeWithRedis = redisAvailable() ? describe : describe.skip;
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const COST_30 = '{ scalarWithCost }';

describeWithRedis('budgets in Redis', () => {
  let redis: RunningRedis & { port: number };
  let subgraph: RunningSubgraph;
  let supergraphSdl: string;
  const dir = tempDir('junction-budgets-');

  const budgets = (failMode: 'open' | 'closed') => ({
    enabled: true,
    store: 'redis' as const,
    redisUrl: redis.url,
    failMode,
    tiers: { default: { capacity: 100, refillPerSecond: 10 } },
  });
  const auth = { apiKeys: { keys: [{ sha256: sha('key-a'), clientId: 'a' }] } };
  const cost = { mode: 'enforce' as const, maxCost: 10_000 };

  beforeAll(async () => {
    [redis, subgraph] = await Promise.all([startRedis(), startSubgraph(costly)]);
    const outcome = composeSupergraph([{ name: 'costly', url: subgraph.url, sdl: print(costly.typeDefs) }]);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    supergraphSdl = outcome.supergraphSdl;
  });
  afterAll(async () => {
    await Promise.all([subgraph?.stop(), redis?.stop()]);
  });

  it('two gateway processes together admit what one bucket allows, under concurrent load', async () => {
    const supergraphFile = join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, supergraphSdl);
    const configFile = join(dir, 'junction.json');
    writeFileSync(
      configFile,
      JSON.stringify({ supergraph: supergraphFile, listen: { host: '127.0.0.1', port: 0 }, cost, auth, budgets: { ...budgets('closed'), redisPrefix: 'shared:' } }),
    );
    const gateways = await Promise.all([startGatewayProcess(['--config', configFile]), startGatewayProcess(['--config', configFile])]);
    try {
      let admitted = 0;
      let refused = 0;
      let other = 0;
      const end = performance.now() + 3000;
      // Four concurrent clients, two on each gateway, all spending client a's budget.
      await Promise.all(
        [0, 1, 0, 1].map(async (g) => {
          while (performance.now() < end) {
            const res = await postGraphQL(gateways[g].url, { query: COST_30 }, { 'x-api-key': 'key-a' });
            if (res.status === 200) admitted++;
            else if (res.status === 429) refused++;
            else other++;
          }
        }),
      );
      // 100 points, then 10/s for 3 s: 130 points, 4 queries of 30, give or take one.
      expect(admitted).toBeGreaterThanOrEqual(3);
      expect(admitted).toBeLessThanOrEqual(5);
      expect(refused).toBeGreaterThan(10);
      expect(other).toBe(0);
    } finally {
      await Promise.all(gateways.map((g) => g.stop()));
    }
  }, 20_000);

  it.each([
    ['open', 200],
    ['closed', 503],
  ] as const)('Redis down, failMode %s: answers %i, and enforces budgets again once Redis is back', async (failMode, statusWhileDown) => {
    const junction = await startJunction(supergraphSdl, { config: { cost, auth, budgets: { ...budgets(failMode), redisPrefix: `${failMode}:` } } });
    try {
      expect((await postGraphQL(junction.url, { query: COST_30 }, { 'x-api-key': 'key-a' })).status).toBe(200);
      await redis.stop();
      const down = await postGraphQL(junction.url, { query: COST_30 }, { 'x-api-key': 'key-a' });
      expect(down.status).toBe(statusWhileDown);
      if (failMode === 'closed') expect(down.body.errors?.[0].extensions?.code).toBe('BUDGET_STORE_UNAVAILABLE');
      else expect(down.body.data).toEqual({ scalarWithCost: 4 });

      redis = await startRedis({ port: redis.port });
      // Recovered: the (new, empty) store enforces the budget again: 100 points pay 3 queries.
      // The gateway reconnects within a second or two; until then it keeps answering per failMode.
      const statuses: number[] = [];
      const until = performance.now() + 8000;
      while (performance.now() < until && statuses[statuses.length - 1] !== 429) {
        statuses.push((await postGraphQL(junction.url, { query: COST_30 }, { 'x-api-key': 'key-a' })).status);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statuses[statuses.length - 1]).toBe(429);
      expect(statuses.every((s) => s === 200 || s === 429 || s === statusWhileDown)).toBe(true);
    } finally {
      await junction.stop();
    }
  }, 20_000);
});
