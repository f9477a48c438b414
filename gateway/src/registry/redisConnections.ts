import { Redis } from 'ioredis';
import type { Logger } from '../deps';

/**
 * A command connection and a subscriber connection to one Redis (a subscribed connection can run no
 * other command), both connected, or neither: on failure both are dropped and the error names `what`.
 */
export async function connectRedisPair(url: string, logger: Logger, what: string): Promise<{ client: Redis; subscriber: Redis }> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false } as const;
  const client = new Redis(url, options);
  // Subscribed: it waits for messages, so a command never times out on it.
  const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null });
  for (const c of [client, subscriber]) c.on('error', (err) => logger.warn('redis connection error', { reason: err.message }));
  try {
    await client.connect();
    await subscriber.connect();
  } catch (err) {
    client.disconnect();
    subscriber.disconnect();
    throw new Error(`cannot connect to Redis for ${what}: ${(err as Error).message}`);
  }
  return { client, subscriber };
}
