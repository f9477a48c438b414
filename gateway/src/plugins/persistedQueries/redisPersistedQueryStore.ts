import { Redis } from 'ioredis';
import type { Logger } from '../../deps';
import type { PersistedQueryStore } from './persistedQueryStore';

/**
 * Query texts shared by every replica on one Redis: one string key per text (`<prefix><id>`), set
 * with an expiry so that what clients stopped sending goes away by itself. Redis, not this process,
 * bounds the memory (its `maxmemory`); ids are checked by the caller (64 hex digits for APQ), so a
 * key never holds anything a client chose but the text.
 */
export class RedisPersistedQueryStore implements PersistedQueryStore {
  private readonly client: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
    /** Seconds a text is kept; 0: no expiry. */
    private readonly ttlSeconds: number,
    logger: Logger,
  ) {
    // As the budget store: while connecting, commands wait; once Redis is unreachable they fail at
    // the first failed reconnection (or after a second), so a request falls back to the query text
    // at once instead of waiting on Redis. ioredis keeps reconnecting in the background.
    this.client = new Redis(url, { maxRetriesPerRequest: 0, commandTimeout: 1000, retryStrategy: (times) => Math.min(times * 100, 1000) });
    this.client.on('error', (err) => logger.warn('persisted query store connection error', { reason: err.message }));
  }

  async get(id: string): Promise<string | undefined> {
    return (await this.client.get(this.prefix + id)) ?? undefined;
  }

  async set(id: string, text: string): Promise<void> {
    if (this.ttlSeconds > 0) await this.client.set(this.prefix + id, text, 'EX', this.ttlSeconds);
    else await this.client.set(this.prefix + id, text);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
