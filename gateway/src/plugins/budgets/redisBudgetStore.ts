import { Redis } from 'ioredis';
import type { Logger } from '../../deps';
import { checkPoints, type BucketPolicy, type BudgetStore, type TakeResult } from './budgetStore';

/**
 * Buckets shared by every replica on one Redis: each take, charge or refund is one Lua script, so it
 * is atomic however many gateways draw from the same bucket. A bucket is a hash {tokens, at} that
 * expires once it would be full again anyway.
 *
 * Numbers leave the script as '%.17g' text, which reads back as the very same double: Lua's
 * tostring keeps 14 digits, so each step would round and the bucket drift from what the memory
 * store computes (and a Lua number returned as such is truncated to an integer).
 * The expiry is capped (1e15 ms, some 30,000 years): a slow refill of a large bucket would otherwise
 * ask PEXPIRE for a number it refuses (Redis prints 1e17 and above with an exponent), and the script
 * would fail after its HSET.
 */
const SCRIPT = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local op = ARGV[4]
local amount = tonumber(ARGV[5])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = capacity
if state[1] then
  local elapsed = math.max(0, now - tonumber(state[2])) / 1000
  tokens = math.min(capacity, tonumber(state[1]) + elapsed * rate)
end
local allowed = 1
if op == 'take' then
  if tokens < amount then allowed = 0 else tokens = tokens - amount end
elseif op == 'refund' then
  tokens = math.min(capacity, tokens + amount)
elseif op == 'charge' then
  tokens = math.max(-capacity, tokens - amount)
end
local exact = string.format('%.17g', tokens)
if op ~= 'peek' then
  redis.call('HSET', key, 'tokens', exact, 'at', string.format('%.17g', now))
  redis.call('PEXPIRE', key, math.min(math.ceil((capacity - tokens) / rate * 1000) + 1000, 1e15))
end
return {allowed, exact}
`;

export class RedisBudgetStore implements BudgetStore {
  private readonly client: Redis;

  constructor(url: string, private readonly prefix: string, logger: Logger) {
    // While connecting, commands wait; once Redis is unreachable they fail at the first failed
    // reconnection (or after a second), so the fail-open/closed choice applies at once. ioredis
    // keeps reconnecting in the background.
    this.client = new Redis(url, { maxRetriesPerRequest: 0, commandTimeout: 1000, retryStrategy: (times) => Math.min(times * 100, 1000) });
    this.client.on('error', (err) => logger.warn('budget store connection error', { reason: err.message }));
    this.client.defineCommand('junctionBucket', { numberOfKeys: 1, lua: SCRIPT });
  }

  private async run(key: string, policy: BucketPolicy, nowMs: number, op: 'take' | 'refund' | 'charge' | 'peek', amount: number): Promise<[number, number]> {
    const bucket = (this.client as unknown as { junctionBucket(...args: Array<string | number>): Promise<[number, string]> }).junctionBucket;
    const [allowed, tokens] = await bucket.call(this.client, this.prefix + key, policy.capacity, policy.refillPerSecond, nowMs, op, amount);
    return [allowed, Number(tokens)];
  }

  async take(key: string, cost: number, policy: BucketPolicy, nowMs: number): Promise<TakeResult> {
    checkPoints('take', cost);
    const [allowed, tokens] = await this.run(key, policy, nowMs, 'take', cost);
    return { allowed: allowed === 1, available: tokens };
  }

  async charge(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number> {
    checkPoints('charge', points);
    return (await this.run(key, policy, nowMs, 'charge', points))[1];
  }

  async refund(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number> {
    checkPoints('refund', points);
    return (await this.run(key, policy, nowMs, 'refund', points))[1];
  }

  async peek(key: string, policy: BucketPolicy, nowMs: number): Promise<number> {
    return (await this.run(key, policy, nowMs, 'peek', 0))[1];
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
