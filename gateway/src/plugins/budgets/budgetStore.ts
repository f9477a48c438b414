/**
 * Token buckets of cost points. A bucket holds up to `capacity` points and refills at
 * `refillPerSecond`; an operation takes its estimated cost before it runs and gets back what it
 * did not use. State is `{ tokens, at }` (points at a time); the refill is computed on access, so
 * idle buckets cost nothing.
 */
export interface BucketPolicy {
  capacity: number;
  refillPerSecond: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Points left after the take (or, refused, points there are). */
  available: number;
}

/**
 * The points a store takes, charges or refunds are a number >= 0; `Infinity` is one (a take refuses it,
 * a charge goes to -capacity, a refund to capacity). Both stores refuse anything else with this
 * RangeError before touching the bucket: NaN would poison it (a NaN bucket admits everything in
 * memory, and Lua's math.min/max turn it into a full bucket or full debt), and a negative amount
 * would turn a take or a charge into a gift above capacity.
 */
export function checkPoints(op: 'take' | 'charge' | 'refund', points: number): void {
  if (typeof points !== 'number' || !(points >= 0)) throw new RangeError(`budget ${op}: points must be a number >= 0, got ${String(points)}`);
}

/** Every method with points throws checkPoints' RangeError, and changes nothing, for points that are not a number >= 0. */
export interface BudgetStore {
  /** Takes `cost` points if the bucket has them. */
  take(key: string, cost: number, policy: BucketPolicy, nowMs: number): Promise<TakeResult>;
  /**
   * Takes `points` whether or not the bucket has them (an operation that cost more than estimated),
   * down to at most `-capacity`: the client is in debt until the refill pays it back. Returns the
   * points now available.
   */
  charge(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number>;
  /** Gives `points` back (up to capacity); returns the points now available. */
  refund(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number>;
  /** The points available now, without changing anything. */
  peek(key: string, policy: BucketPolicy, nowMs: number): Promise<number>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function refilled(bucket: Bucket | undefined, policy: BucketPolicy, nowMs: number): number {
  if (!bucket) return policy.capacity;
  const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
  return Math.min(policy.capacity, bucket.tokens + elapsed * policy.refillPerSecond);
}

/** One process's buckets, in memory; the least recently used are dropped past `maxBuckets` (they come back full). */
export class MemoryBudgetStore implements BudgetStore {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets = 100_000) {}

  async take(key: string, cost: number, policy: BucketPolicy, nowMs: number): Promise<TakeResult> {
    checkPoints('take', cost);
    const tokens = refilled(this.buckets.get(key), policy, nowMs);
    if (tokens < cost) {
      this.set(key, { tokens, at: nowMs });
      return { allowed: false, available: tokens };
    }
    this.set(key, { tokens: tokens - cost, at: nowMs });
    return { allowed: true, available: tokens - cost };
  }

  async charge(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number> {
    checkPoints('charge', points);
    const tokens = Math.max(-policy.capacity, refilled(this.buckets.get(key), policy, nowMs) - points);
    this.set(key, { tokens, at: nowMs });
    return tokens;
  }

  async refund(key: string, points: number, policy: BucketPolicy, nowMs: number): Promise<number> {
    checkPoints('refund', points);
    const tokens = Math.min(policy.capacity, refilled(this.buckets.get(key), policy, nowMs) + points);
    this.set(key, { tokens, at: nowMs });
    return tokens;
  }

  async peek(key: string, policy: BucketPolicy, nowMs: number): Promise<number> {
    return refilled(this.buckets.get(key), policy, nowMs);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private set(key: string, bucket: Bucket): void {
    // Map keeps insertion order: delete and re-insert makes this the most recently used.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
