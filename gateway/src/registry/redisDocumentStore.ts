import { Redis } from 'ioredis';
import type { Logger } from '../deps';
import { DocumentLimitError, keyParts, manifestKey, parseStoredManifest, type DocumentStore, type StoredManifest } from './documentStore';
import { RegistryStoreUnavailableError } from './types';
import { connectRedisPair } from './redisConnections';

/**
 * Writes a manifest unless the store would then hold more than ARGV[4] documents, in one script
 * (Redis runs it whole, nothing in between): the check and the write cannot be split by another
 * replica's push. KEYS: manifests, counts, revision. ARGV: field, manifest JSON, its document
 * count, the limit, the channel. Returns { 1, revision } or { 0, documents in other manifests }.
 */
const PUT_WITHIN_LIMIT = `
local others = 0
local counts = redis.call('hgetall', KEYS[2])
for i = 1, #counts, 2 do
  if counts[i] ~= ARGV[1] then others = others + tonumber(counts[i + 1]) end
end
if others + tonumber(ARGV[3]) > tonumber(ARGV[4]) then return { 0, others } end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('hset', KEYS[2], ARGV[1], ARGV[3])
local revision = redis.call('incr', KEYS[3])
redis.call('publish', ARGV[5], ARGV[1])
return { 1, revision }`;

/**
 * The shared document store: manifests in one Redis hash (`<prefix>documents`, key of (client,
 * version) -> JSON), their document counts in another (the limit is checked without reading the
 * documents), a revision counter, and a pub/sub channel (`<prefix>documents:changes`) naming each
 * manifest written, so every replica re-reads that one manifest within moments. A replica that
 * missed a message sees the revision move when it reconciles.
 */
export class RedisDocumentStore implements DocumentStore {
  private readonly listeners = new Set<(changed?: { client: string; version: string }) => void>();
  private readonly hashKey: string;
  private readonly countsKey: string;
  private readonly revisionKey: string;
  private readonly channel: string;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.hashKey = `${prefix}documents`;
    this.countsKey = `${prefix}documents:counts`;
    this.revisionKey = `${prefix}documents:revision`;
    this.channel = `${prefix}documents:changes`;
  }

  static async open(url: string, prefix: string, logger: Logger): Promise<RedisDocumentStore> {
    const { client, subscriber } = await connectRedisPair(url, logger, 'trusted documents');
    const store = new RedisDocumentStore(client, subscriber, prefix, logger);
    await subscriber.subscribe(store.channel);
    subscriber.on('message', (channel, message) => {
      if (channel === store.channel) store.notify(keyParts(message));
    });
    return store;
  }

  async list(): Promise<StoredManifest[]> {
    const all = await this.reach(() => this.client.hgetall(this.hashKey));
    const manifests: StoredManifest[] = [];
    for (const [key, json] of Object.entries(all)) {
      const manifest = this.parse(key, json);
      if (manifest) manifests.push(manifest);
    }
    return manifests;
  }

  async get(client: string, version: string): Promise<StoredManifest | undefined> {
    const key = manifestKey(client, version);
    const json = await this.reach(() => this.client.hget(this.hashKey, key));
    return json === null ? undefined : this.parse(key, json);
  }

  async put(manifest: StoredManifest, maxDocuments: number): Promise<void> {
    const key = manifestKey(manifest.client, manifest.version);
    const json = JSON.stringify(manifest);
    const result = (await this.reach(() =>
      this.client.eval(PUT_WITHIN_LIMIT, 3, this.hashKey, this.countsKey, this.revisionKey, key, json, manifest.documents.length, maxDocuments, this.channel),
    )) as [number, number];
    if (Number(result[0]) !== 1) throw new DocumentLimitError(Number(result[1]), maxDocuments);
  }

  async remove(client: string, version: string): Promise<boolean> {
    const key = manifestKey(client, version);
    const result = await this.reach(() => this.client.multi().hdel(this.hashKey, key).hdel(this.countsKey, key).incr(this.revisionKey).publish(this.channel, key).exec());
    return Number(result?.[0]?.[1] ?? 0) > 0;
  }

  async revision(): Promise<string> {
    return (await this.reach(() => this.client.get(this.revisionKey))) ?? '0';
  }

  onChange(listener: (changed?: { client: string; version: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()]);
  }

  /** A stored manifest that is not whole is left in Redis as it is, and not trusted. */
  private parse(key: string, json: string): StoredManifest | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      raw = undefined;
    }
    const manifest = raw === undefined ? 'not JSON' : parseStoredManifest(raw);
    const parts = keyParts(key);
    const problem = typeof manifest === 'string' ? manifest : parts?.client !== manifest.client || parts.version !== manifest.version ? 'it names another client or version' : undefined;
    if (problem === undefined) return manifest as StoredManifest;
    this.logger.warn('stored trusted-document manifest is not whole; not trusted', { key, problem });
    return undefined;
  }

  private async reach<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new RegistryStoreUnavailableError(`the Redis document store cannot be reached: ${(err as Error).message}`);
    }
  }

  private notify(changed: { client: string; version: string } | undefined): void {
    for (const listener of this.listeners) listener(changed);
  }
}
