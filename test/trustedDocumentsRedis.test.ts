/**
 * Issue #12, acceptance 3 (its store's part): a manifest pushed through one replica is in a second
 * replica's index, sharing the same Redis, within 2 s; a removal too. Two pushes racing past the
 * document limit cannot both be stored: the check and the write are one step in Redis.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { resolveConfig } from '../gateway/src/config';
import { silentLogger } from '../gateway/src/deps';
import { TrustedDocumentIndex } from '../gateway/src/plugins/trustedDocuments/documentIndex';
import { RedisDocumentStore } from '../gateway/src/registry/redisDocumentStore';
import { DocumentsError, TrustedDocumentRegistry } from '../gateway/src/registry/trustedDocumentRegistry';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';

const describeWithRedis = redisAvailable() ? describe : describe.skip;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const manifest = (bodies: string[]) => JSON.stringify(Object.fromEntries(bodies.map((b) => [sha(b), b])));
const operations = (n: number, name = 'Q') => Array.from({ length: n }, (_, i) => `query ${name}${i} { me { id } }`);

async function within(ms: number, check: () => boolean): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within ${ms} ms`);
}

describeWithRedis('trusted documents on a Redis shared by two replicas', () => {
  let redis: RunningRedis;
  const replicas: Array<{ store: RedisDocumentStore; registry: TrustedDocumentRegistry; index: TrustedDocumentIndex }> = [];
  const config = resolveConfig({ supergraph: 'x', trustedDocuments: { enabled: true, maxDocuments: 12 } }).trustedDocuments;

  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const store = await RedisDocumentStore.open(redis.url, 'junction:', silentLogger);
      const index = new TrustedDocumentIndex();
      const registry = new TrustedDocumentRegistry({ store, index, files: [], config, maxTokens: 15_000, reconcileIntervalMs: 1_000, logger: silentLogger });
      await registry.start();
      replicas.push({ store, registry, index });
    }
  });

  afterAll(async () => {
    for (const r of replicas) {
      await r.registry.stop();
      await r.store.close();
    }
    await redis?.stop();
  });

  it('a push through A is in B’s index within 2 s, and so is its removal', async () => {
    const [a, b] = replicas;
    await a.registry.push('constructor', '1.0', manifest(operations(3)));
    expect(a.index.isTrusted('query Q0 { me { id } }', 'constructor', '1.0')).toBe(true);
    const ms = await within(2_000, () => b.index.lookup('constructor', '1.0', `sha256:${sha('query Q2 { me { id } }')}`) !== undefined);
    expect(ms).toBeLessThan(2_000);
    expect(b.registry.list().manifests).toEqual([{ client: 'constructor', version: '1.0', documents: 3, updatedAt: expect.any(String) }]);

    await a.registry.remove('constructor', '1.0');
    await within(2_000, () => !b.index.isTrusted('query Q0 { me { id } }', 'constructor', '1.0'));
  });

  it('B catches up by the revision when it missed the notification', async () => {
    const [a, b] = replicas;
    // Written as the store writes, without the publish: only reconciling can find it.
    const raw = new Redis(redis.url);
    try {
      const body = 'query Missed { me { id } }';
      const stored = { client: 'ios', version: '9', format: 'id-to-text', documents: [{ id: 'm', body, sha256: sha(body) }], updatedAt: new Date().toISOString() };
      const key = JSON.stringify(['ios', '9']);
      await raw.multi().hset('junction:documents', key, JSON.stringify(stored)).hset('junction:documents:counts', key, '1').incr('junction:documents:revision').exec();
      await within(2_500, () => b.index.lookup('ios', '9', 'm')?.body === body && a.index.lookup('ios', '9', 'm')?.body === body);
    } finally {
      await raw.multi().del('junction:documents', 'junction:documents:counts').incr('junction:documents:revision').exec();
      raw.disconnect();
    }
  });

  it('two pushes through both replicas at once cannot together pass maxDocuments', async () => {
    const [a, b] = replicas;
    await within(2_500, () => b.registry.list().manifests.length === 0);
    const results = await Promise.allSettled([a.registry.push('web', '1', manifest(operations(7, 'A'))), b.registry.push('web', '2', manifest(operations(7, 'B')))]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(((refused[0] as PromiseRejectedResult).reason as DocumentsError).code).toBe('TOO_MANY_DOCUMENTS');
    expect((await a.store.list()).map((m) => m.documents.length)).toEqual([7]);
  });
});
