import { Redis } from 'ioredis';
import type { Logger } from '../deps';
import { parseRecord } from './parseRecord';
import type { RegistryStore, SubgraphRecord } from './types';

/**
 * The shared store: records in one Redis hash (`<prefix>subgraphs`, name -> JSON), and a pub/sub
 * channel (`<prefix>changes`) on which every write is announced, so that every replica recomposes
 * within moments. Replicas also reconcile periodically (see SubgraphRegistry) in case a message is
 * missed while a connection is down.
 */
export class RedisRegistryStore implements RegistryStore {
  private readonly listeners = new Set<() => void>();
  private readonly hashKey: string;
  private readonly channel: string;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.hashKey = `${prefix}subgraphs`;
    this.channel = `${prefix}changes`;
  }

  static async open(url: string, prefix: string, logger: Logger): Promise<RedisRegistryStore> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false } as const;
    const client = new Redis(url, options);
    const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null });
    for (const c of [client, subscriber]) c.on('error', (err) => logger.warn('redis connection error', { reason: err.message }));
    try {
      await client.connect();
      await subscriber.connect();
    } catch (err) {
      client.disconnect();
      subscriber.disconnect();
      throw new Error(`cannot connect to Redis for the registry: ${(err as Error).message}`);
    }
    const store = new RedisRegistryStore(client, subscriber, prefix, logger);
    await subscriber.subscribe(store.channel);
    subscriber.on('message', (channel) => {
      if (channel === store.channel) store.notify();
    });
    return store;
  }

  async list(): Promise<SubgraphRecord[]> {
    const all = await this.client.hgetall(this.hashKey);
    const records: SubgraphRecord[] = [];
    for (const [name, json] of Object.entries(all)) {
      let record: SubgraphRecord | undefined;
      try {
        record = parseRecord(JSON.parse(json));
      } catch {
        record = undefined;
      }
      if (record && record.name === name) records.push(record);
      else this.logger.warn('skipping a malformed registry record', { name });
    }
    return records;
  }

  async put(record: SubgraphRecord): Promise<void> {
    await this.client.multi().hset(this.hashKey, record.name, JSON.stringify(record)).publish(this.channel, record.name).exec();
  }

  async remove(name: string): Promise<boolean> {
    const result = await this.client.multi().hdel(this.hashKey, name).publish(this.channel, name).exec();
    return Number(result?.[0]?.[1] ?? 0) > 0;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()]);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
