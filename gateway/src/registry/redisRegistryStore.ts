import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sleep, systemClock, type Clock, type Logger } from '../deps';
import { parseRecord } from './parseRecord';
import { RegistryBusyError, RegistryStoreUnavailableError, type IncompleteRecord, type RegistryStore, type SubgraphRecord } from './types';
import { connectRedisPair } from './redisConnections';

/**
 * The lock is one key set with NX and an expiry, released only by its holder (the pattern of the
 * Redis SET documentation): one Redis serves the registry, so Redlock's several-master quorum is
 * not needed, and a crashed holder's lock lapses by itself.
 */
const LOCK_TTL_MS = 30_000;
/** How long a change waits for another replica's before giving up (503 REGISTRY_BUSY). */
const LOCK_WAIT_MS = 10_000;
const LOCK_RETRY_MS = 25;
const RELEASE_IF_HOLDER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

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
  private readonly lockKey: string;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.hashKey = `${prefix}subgraphs`;
    this.channel = `${prefix}changes`;
    this.lockKey = `${prefix}lock`;
  }

  static async open(url: string, prefix: string, logger: Logger, clock: Clock = systemClock): Promise<RedisRegistryStore> {
    const { client, subscriber } = await connectRedisPair(url, logger, 'the registry');
    const store = new RedisRegistryStore(client, subscriber, prefix, logger, clock);
    await subscriber.subscribe(store.channel);
    subscriber.on('message', (channel) => {
      if (channel === store.channel) store.notify();
    });
    return store;
  }

  async list(): Promise<SubgraphRecord[]> {
    const { records, incomplete } = await this.read();
    // Left in Redis as they are: the registry fetches their SDL again when a gateway starts.
    for (const r of incomplete) this.logger.warn('incomplete registry record; not composed', { subgraph: r.name, problem: r.problem });
    return records;
  }

  async incomplete(): Promise<IncompleteRecord[]> {
    return (await this.read()).incomplete;
  }

  private async read(): Promise<{ records: SubgraphRecord[]; incomplete: IncompleteRecord[] }> {
    const all = await this.reach(() => this.client.hgetall(this.hashKey));
    const records: SubgraphRecord[] = [];
    const incomplete: IncompleteRecord[] = [];
    for (const [name, json] of Object.entries(all)) {
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch {
        incomplete.push({ name, url: undefined, problem: 'not JSON' });
        continue;
      }
      const parsed = parseRecord(raw);
      if ('incomplete' in parsed) incomplete.push({ ...parsed.incomplete, name });
      else if (parsed.record.name !== name) incomplete.push({ name, url: parsed.record.url, problem: `it names itself "${parsed.record.name}"` });
      else records.push(parsed.record);
    }
    return { records, incomplete };
  }

  async put(record: SubgraphRecord): Promise<void> {
    await this.reach(() => this.client.multi().hset(this.hashKey, record.name, JSON.stringify(record)).publish(this.channel, record.name).exec());
  }

  async remove(name: string): Promise<boolean> {
    const result = await this.reach(() => this.client.multi().hdel(this.hashKey, name).publish(this.channel, name).exec());
    return Number(result?.[0]?.[1] ?? 0) > 0;
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const deadline = this.clock.now() + LOCK_WAIT_MS;
    while ((await this.reach(() => this.client.set(this.lockKey, token, 'PX', LOCK_TTL_MS, 'NX'))) !== 'OK') {
      if (this.clock.now() > deadline) throw new RegistryBusyError('another registry change has held the lock for too long');
      await sleep(this.clock, LOCK_RETRY_MS);
    }
    try {
      return await fn();
    } finally {
      await this.client.eval(RELEASE_IF_HOLDER, 1, this.lockKey, token).catch((err: Error) => {
        // It lapses after LOCK_TTL_MS anyway.
        this.logger.warn('could not release the registry lock', { reason: err.message });
      });
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.subscriber.quit(), this.client.quit()]);
  }

  /** A Redis command, its failure turned into the store's own error. */
  private async reach<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new RegistryStoreUnavailableError(`the Redis registry store cannot be reached: ${(err as Error).message}`);
    }
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
