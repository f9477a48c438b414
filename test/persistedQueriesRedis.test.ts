/**
 * Automatic persisted queries in Redis: the store itself (keys, expiry), two gateways sharing one
 * Redis (a query registered through one runs by its hash through the other), and a Redis that goes
 * away and comes back (clients are served with their text meanwhile).
 */
import { Redis } from 'ioredis';
import { silentLogger } from '../gateway/src/deps';
import { RedisPersistedQueryStore } from '../gateway/src/plugins/persistedQueries/redisPersistedQueryStore';
import { sha256Hex } from '../gateway/src/plugins/persistedQueries/useAutomaticPersistedQueries';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { freePort, redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const describeWithRedis = redisAvailable() ? describe : describe.skip;
const QUERY = '{ topProducts(first: 1) { name inStock } }';
const HASH = sha256Hex(QUERY);
const ANSWER = { data: { topProducts: [{ name: 'Table 1', inStock: true }] } };
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codes = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (body.errors ?? []).map((e) => e.extensions?.code);

describeWithRedis('automatic persisted queries in Redis', () => {
  let redis: RunningRedis & { port: number };
  let subgraphs: SampleSubgraphs;
  let client: Redis;

  beforeAll(async () => {
    [redis, subgraphs] = await Promise.all([startRedis(), startSampleSubgraphs()]);
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    await client?.quit();
    await Promise.all([subgraphs?.stop(), redis?.stop()]);
  });

  const junction = (prefix: string, redisUrl = redis.url, redisTtlSeconds = 60) =>
    startJunction(subgraphs.supergraphSdl, { config: { apq: { store: 'redis', redisUrl, redisPrefix: prefix, redisTtlSeconds } } });

  it('keeps each text under prefix + id, with the configured expiry (or none)', async () => {
    const expiring = new RedisPersistedQueryStore(redis.url, 'store-test:', 120, silentLogger);
    const lasting = new RedisPersistedQueryStore(redis.url, 'store-test-lasting:', 0, silentLogger);
    const elsewhere = new RedisPersistedQueryStore(redis.url, 'elsewhere:', 60, silentLogger);
    try {
      await expiring.set(HASH, QUERY);
      await lasting.set(HASH, QUERY);
      expect(await client.get(`store-test:${HASH}`)).toBe(QUERY);
      const ttl = await client.ttl(`store-test:${HASH}`);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      expect(await client.ttl(`store-test-lasting:${HASH}`)).toBe(-1);
      expect(await expiring.get(HASH)).toBe(QUERY);
      // A prefix is a namespace: another one finds nothing there.
      expect(await elsewhere.get(HASH)).toBeUndefined();
      expect(await expiring.get('0'.repeat(64))).toBeUndefined();
    } finally {
      await Promise.all([expiring.close(), lasting.close(), elsewhere.close()]);
    }
  });

  it('two gateways on one Redis: registered through A, run by its hash alone through B', async () => {
    const [a, b] = await Promise.all([junction('shared:'), junction('shared:')]);
    try {
      expect(codes((await postGraphQL(b.url, { extensions: persisted(HASH) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect((await postGraphQL(a.url, { query: QUERY, extensions: persisted(HASH) })).body).toEqual(ANSWER);
      // B has never seen the text.
      expect((await postGraphQL(b.url, { extensions: persisted(HASH) })).body).toEqual(ANSWER);
      const get = await fetch(`${b.url}?extensions=${encodeURIComponent(JSON.stringify(persisted(HASH)))}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(await get.json()).toEqual(ANSWER);
      expect(await client.get(`shared:${HASH}`)).toBe(QUERY);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('with Redis unreachable, a hash is a miss and the text is served; once Redis is back, registering works again', async () => {
    const port = await freePort();
    let gateway: StartedGateway | undefined;
    let restarted: (RunningRedis & { port: number }) | undefined;
    try {
      gateway = await junction('outage:', `redis://127.0.0.1:${port}`);
      const started = performance.now();
      expect(codes((await postGraphQL(gateway.url, { extensions: persisted(HASH) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect((await postGraphQL(gateway.url, { query: QUERY, extensions: persisted(HASH) })).body).toEqual(ANSWER);
      // Neither waited on Redis longer than its command timeout.
      expect(performance.now() - started).toBeLessThan(5_000);
      restarted = await startRedis({ port });
      // ioredis reconnects in the background, at most a second apart.
      let registered = false;
      for (let i = 0; i < 50 && !registered; i++) {
        await postGraphQL(gateway.url, { query: QUERY, extensions: persisted(HASH) });
        registered = (await postGraphQL(gateway.url, { extensions: persisted(HASH) })).body.data !== undefined;
        if (!registered) await new Promise((r) => setTimeout(r, 100));
      }
      expect(registered).toBe(true);
    } finally {
      await gateway?.stop();
      await restarted?.stop();
    }
  }, 20_000);
});
