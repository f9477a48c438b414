/**
 * Issue #3, acceptance 5: two gateway processes on one real Redis share the registry; a change made
 * through either is served by both within 2 s. Changes made through both at once are checked one
 * after the other, and a Redis outage refuses changes (503) without stopping the serving.
 */
import { writeFileSync } from 'node:fs';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { shippingSubgraph } from '../subgraphs/extras/shipping';
import { startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { ADMIN_TOKEN, admin, deadUrl, startRegistryJunction, tempDir } from './helpers/registryEnvironment';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const describeWithRedis = redisAvailable() ? describe : describe.skip;

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${ms} ms`);
}

function editionSubgraph(name: string, type: 'String' | 'Int') {
  return {
    name,
    typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { edition: ${type} }`),
    resolvers: { Query: { edition: () => (type === 'Int' ? 2 : 'second') } },
  };
}

describeWithRedis('two replicas sharing a Redis registry', () => {
  let redis: RunningRedis;
  let subgraphs: SampleSubgraphs;
  let shipping: RunningSubgraph;
  let a: GatewayProcess;
  let b: GatewayProcess;
  // Each composes with the sample; together they do not (one root field, two types).
  let left: RunningSubgraph;
  let right: RunningSubgraph;

  beforeAll(async () => {
    [redis, subgraphs, shipping, left, right] = await Promise.all([
      startRedis(),
      startSampleSubgraphs(),
      startSubgraph(shippingSubgraph('v1')),
      startSubgraph(editionSubgraph('left', 'String')),
      startSubgraph(editionSubgraph('right', 'Int')),
    ]);
    const configFile = join(tempDir('junction-redis-'), 'junction.yaml');
    writeFileSync(
      configFile,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'subgraphs:',
        ...subgraphs.subgraphs.map((s) => `  - { name: ${s.name}, url: "${s.url}" }`),
        'registry:',
        '  store: redis',
        `  redisUrl: "${redis.url}"`,
        '  pollIntervalMs: 0',
        '  reconcileIntervalMs: 1000',
      ].join('\n'),
    );
    a = await startGatewayProcess(['--config', configFile], { JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN });
    b = await startGatewayProcess(['--config', configFile], { JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN });
  }, 30_000);

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([subgraphs?.stop(), shipping?.stop(), left?.stop(), right?.stop(), redis?.stop()]);
    expect(codes).toEqual([0, 0]);
  });

  const shippingServed = async (url: string) => !(await postGraphQL(url, { query: '{ topProducts(first: 1) { carbonFootprint } }' })).body.errors;

  it('serves on B what was registered through A, within 2 s', async () => {
    expect(await shippingServed(b.url)).toBe(false);
    const res = await admin(a.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url });
    expect(res.status).toBe(201);
    const elapsed = await within(2000, () => shippingServed(b.url));
    expect(elapsed).toBeLessThan(2000);
    expect((await postGraphQL(b.url, { query: '{ user(id: "1") { loyaltyPoints } }' })).body).toEqual({ data: { user: { loyaltyPoints: 250 } } });
    expect((await admin(b.url, 'GET', '/subgraphs')).body.subgraphs.map((s: { name: string }) => s.name)).toContain('shipping');
  });

  it('removes from both what was removed through B, within 2 s', async () => {
    expect((await admin(b.url, 'DELETE', '/subgraphs/shipping')).status).toBe(200);
    expect(await shippingServed(b.url)).toBe(false);
    await within(2000, async () => !(await shippingServed(a.url)));
    expect((await admin(a.url, 'GET', '/subgraphs')).body.subgraphs).toHaveLength(4);
  });

  it('checks changes made through both at once one after the other: of two that conflict, one is refused', async () => {
    const names = (body: { subgraphs: Array<{ name: string }> }) => body.subgraphs.map((s) => s.name).filter((n) => n === 'left' || n === 'right');
    for (let round = 0; round < 3; round++) {
      const [viaA, viaB] = await Promise.all([
        admin(a.url, 'POST', '/subgraphs', { name: 'left', url: left.url }),
        admin(b.url, 'POST', '/subgraphs', { name: 'right', url: right.url }),
      ]);
      expect([viaA.status, viaB.status].sort()).toEqual([201, 422]);
      const winner = viaA.status === 201 ? 'left' : 'right';
      expect(names((await admin(a.url, 'GET', '/subgraphs')).body)).toEqual([winner]);
      expect(names((await admin(b.url, 'GET', '/subgraphs')).body)).toEqual([winner]);
      await within(2000, async () => (await postGraphQL(b.url, { query: '{ edition }' })).body.data?.edition !== undefined);
      expect((await admin(a.url, 'DELETE', `/subgraphs/${winner}`)).status).toBe(200);
      await within(2000, async () => (await postGraphQL(b.url, { query: '{ edition }' })).status === 400);
    }
  });

  it('diffs a change against the store, not against a replica that has not heard of the last change', async () => {
    const config = { registry: { store: 'redis' as const, redisUrl: redis.url, redisPrefix: 'junction-lag:' } };
    const first = await startRegistryJunction(subgraphs, { registryFile: join(tempDir('junction-lag-'), 'registry.json'), config });
    const second = await startRegistryJunction(subgraphs, { registryFile: join(tempDir('junction-lag-'), 'registry.json'), config });
    try {
      expect((await admin(first.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url })).status).toBe(201);
      await within(2000, () => shippingServed(second.url));
      // The second replica stops listening: it will not hear of the next change by itself.
      await second.registry!.stop();
      expect((await admin(first.url, 'DELETE', '/subgraphs/shipping')).status).toBe(200);
      expect(await shippingServed(second.url)).toBe(true);
      // Registering an unchanged subgraph through it changes nothing in the API: shipping's removal
      // is not this change's, and is not a breaking change of it.
      const res = await admin(second.url, 'POST', '/subgraphs', { name: 'inventory', url: subgraphs.url('inventory') });
      expect([res.status, res.body.changes]).toEqual([200, { breaking: [], dangerous: [], safe: [] }]);
      expect(await shippingServed(second.url)).toBe(false);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('completes a record without its SDL from its URL at startup; refuses to start when it cannot, keeping it', async () => {
    const config = { registry: { store: 'redis' as const, redisUrl: redis.url, redisPrefix: 'junction-incomplete:' } };
    const start = () => startRegistryJunction(subgraphs, { registryFile: join(tempDir('junction-incomplete-'), 'registry.json'), config });
    await (await start()).stop();
    const client = new Redis(redis.url);
    try {
      const reviews = JSON.parse((await client.hget('junction-incomplete:subgraphs', 'reviews'))!);
      await client.hset('junction-incomplete:subgraphs', 'reviews', JSON.stringify({ name: 'reviews', url: reviews.url }));
      const completed = await start();
      try {
        expect(JSON.parse((await client.hget('junction-incomplete:subgraphs', 'reviews'))!)).toMatchObject({ name: 'reviews', sdl: reviews.sdl, sdlHash: reviews.sdlHash });
        expect((await postGraphQL(completed.url, { query: '{ topProducts(first: 1) { reviews { id } } }' })).body.errors).toBeUndefined();
      } finally {
        await completed.stop();
      }

      const gone = JSON.stringify({ name: 'gone', url: await deadUrl() });
      await client.hset('junction-incomplete:subgraphs', 'gone', gone);
      await expect(start()).rejects.toThrow(/Registry record "gone" is incomplete \(no sdl, sdlHash, updatedAt, fetchedAt\)/);
      expect(await client.hget('junction-incomplete:subgraphs', 'gone')).toBe(gone);
    } finally {
      client.disconnect();
    }
  });

  it('with Redis down, changes get 503 REGISTRY_UNAVAILABLE and queries are still served', async () => {
    const port = Number(new URL(redis.url).port);
    await redis.stop();
    try {
      const refused = await admin(a.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url });
      expect(refused).toEqual({ status: 503, body: { errors: [{ code: 'REGISTRY_UNAVAILABLE', message: 'The registry store cannot be reached; nothing was changed.' }] } });
      expect((await admin(b.url, 'GET', '/subgraphs')).status).toBe(503);
      expect((await postGraphQL(a.url, { query: '{ topProducts(first: 1) { upc } }' })).body).toEqual({ data: { topProducts: [{ upc: '1' }] } });
    } finally {
      redis = await startRedis({ port });
    }
  });
});
