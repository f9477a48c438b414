/**
 * Issue #10: the budget stores settle the same way. One table of take / charge / refund / peek
 * sequences runs against the in-memory store and against the Redis store on a real redis-server,
 * and a long random sequence must give the same answer from both, step by step. A bucket holds
 * between -capacity (debt from charges) and capacity; no amount, however wrong, takes it outside.
 */
import { silentLogger } from '../gateway/src/deps';
import { MemoryBudgetStore, type BucketPolicy, type BudgetStore, type TakeResult } from '../gateway/src/plugins/budgets/budgetStore';
import { RedisBudgetStore } from '../gateway/src/plugins/budgets/redisBudgetStore';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';

const withRedis = redisAvailable();
const kinds = withRedis ? (['memory', 'redis'] as const) : (['memory'] as const);
const describeWithRedis = withRedis ? describe : describe.skip;

const T0 = 1_700_000_000_000;
const policy: BucketPolicy = { capacity: 100, refillPerSecond: 10 };

type Op = 'take' | 'charge' | 'refund' | 'peek';
type Outcome = TakeResult | number | 'RangeError';
/** One call: the operation, its amount, when (ms after T0), and what it answers. */
type Step = [op: Op, amount: number, atMs: number, expected: Outcome];
const ok = (available: number): TakeResult => ({ allowed: true, available });
const refused = (available: number): TakeResult => ({ allowed: false, available });

async function call(store: BudgetStore, key: string, p: BucketPolicy, [op, amount, atMs]: Step | [Op, number, number]): Promise<Outcome> {
  const now = T0 + atMs;
  try {
    if (op === 'take') return await store.take(key, amount, p, now);
    if (op === 'peek') return await store.peek(key, p, now);
    return await store[op](key, amount, p, now);
  } catch (err) {
    if (err instanceof RangeError) return 'RangeError';
    throw err;
  }
}

const cases: Array<[string, Step[]]> = [
  ['a charge within the balance takes it', [['take', 30, 0, ok(70)], ['charge', 20, 0, 50], ['peek', 0, 0, 50]]],
  ['a charge beyond the balance leaves the bucket in debt, and a take is refused', [['take', 30, 0, ok(70)], ['charge', 150, 0, -80], ['take', 1, 0, refused(-80)], ['take', 0, 0, refused(-80)]]],
  ['debt stops at -capacity', [['charge', 500, 0, -100], ['charge', 1, 0, -100], ['charge', Number.MAX_SAFE_INTEGER, 0, -100], ['peek', 0, 0, -100]]],
  [
    'the refill pays the debt back over time, and stops at capacity',
    [['charge', 250, 0, -100], ['peek', 0, 5_000, -50], ['take', 1, 10_000, refused(0)], ['take', 1, 10_100, ok(0)], ['peek', 0, 60_000, 100]],
  ],
  ['a refund pays back debt', [['charge', 150, 0, -50], ['refund', 30, 0, -20]]],
  ['a refund never fills above capacity', [['take', 10, 0, ok(90)], ['refund', 50, 0, 100], ['refund', 1e9, 0, 100], ['peek', 0, 0, 100]]],
  ['fractions of a point are kept', [['take', 0.5, 0, ok(99.5)], ['charge', 0.25, 0, 99.25], ['refund', 0.125, 0, 99.375]]],
  ['a clock with fractions of a millisecond refills by them', [['charge', 250, 0, -100], ['peek', 0, 0.5, -100 + (0.5 / 1000) * 10], ['take', 0, 1_000.25, refused(-100 + (1_000.25 / 1000) * 10)]]],
  ['a clock that goes back refills nothing', [['take', 30, 1_000, ok(70)], ['peek', 0, 0, 70], ['take', 10, 0, ok(60)], ['peek', 0, 1_000, 70]]],
  [
    'huge amounts: a take is refused, a charge stops at -capacity, a refund at capacity',
    [
      ['take', Number.MAX_SAFE_INTEGER, 0, refused(100)],
      ['take', Number.MAX_VALUE, 0, refused(100)],
      ['take', Infinity, 0, refused(100)],
      ['charge', Number.MAX_VALUE, 0, -100],
      ['refund', Number.MAX_VALUE, 0, 100],
      ['charge', Infinity, 0, -100],
      ['refund', Infinity, 0, 100],
    ],
  ],
  // Not a number of points: a caller's bug. Refused with a RangeError, and the bucket is as it was.
  ...(['take', 'charge', 'refund'] as const).flatMap((op) =>
    [NaN, -1, -0.001, -Infinity, -Number.MAX_VALUE].map((amount): [string, Step[]] => [
      `${op} ${amount} is refused and changes nothing`,
      [['take', 30, 0, ok(70)], [op, amount, 1_000, 'RangeError'], ['peek', 0, 1_000, 80], ['take', 80, 1_000, ok(0)]],
    ]),
  ),
];

describe.each(kinds)('%s budget store', (kind) => {
  let redis: RunningRedis | undefined;
  let opened = 0;
  const stores: BudgetStore[] = [];
  // A fresh store (and, on Redis, a fresh key prefix) per case, so every bucket starts full.
  const open = (): BudgetStore => {
    const store = kind === 'memory' ? new MemoryBudgetStore() : new RedisBudgetStore(redis!.url, `case${++opened}:`, silentLogger);
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });

  it.each(cases)('%s', async (_name, steps) => {
    const store = open();
    const answers: Outcome[] = [];
    for (const step of steps) answers.push(await call(store, 'client:c1', policy, step));
    expect(answers).toEqual(steps.map((s) => s[3]));
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', 'a:b', '*', 'ключ', 'x'.repeat(1000)].map((key) => [key.slice(0, 20), key]))(
    'a bucket named %j is a bucket like any other, apart from the others',
    async (_label, key) => {
      const store = open();
      expect(await store.take(key, 30, policy, T0)).toEqual(ok(70));
      expect(await store.charge(key, 200, policy, T0)).toBe(-100);
      expect(await store.peek(key, policy, T0)).toBe(-100);
      expect(await store.peek('other', policy, T0)).toBe(100);
      expect(await store.take('other', 10, policy, T0)).toEqual(ok(90));
      expect(await store.peek(key, policy, T0 + 1_000)).toBe(-90);
    },
  );

  it('a policy whose refill would take millennia still keeps its debt', async () => {
    const slow: BucketPolicy = { capacity: 1e9, refillPerSecond: 1e-6 };
    const store = open();
    expect(await store.charge('slow', 3e9, slow, T0)).toBe(-1e9);
    expect(await store.take('slow', 1, slow, T0 + 1_000)).toEqual(refused(-1e9 + 1e-6));
  });
});

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeWithRedis('memory and Redis budget stores', () => {
  let redis: RunningRedis;
  let store: RedisBudgetStore;

  beforeAll(async () => {
    redis = await startRedis();
    store = new RedisBudgetStore(redis.url, 'random:', silentLogger);
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  it.each([1, 2, 3])('answer alike, step by step, on a long random sequence with fractional amounts and rates (seed %i)', async (seed) => {
    const next = random(seed);
    const odd: BucketPolicy = { capacity: 97.3, refillPerSecond: 0.7 };
    const memory = new MemoryBudgetStore();
    const ops: Op[] = ['take', 'charge', 'refund', 'peek'];
    const keys = ['a', 'b', 'constructor'];
    let at = 0;
    for (let i = 0; i < 400; i++) {
      at += Math.floor(next() * 3_000);
      const step: [Op, number, number] = [ops[Math.floor(next() * ops.length)], next() < 0.05 ? -next() : next() * 80, at];
      const key = keys[Math.floor(next() * keys.length)];
      const [fromMemory, fromRedis] = [await call(memory, key, odd, step), await call(store, `${seed}:${key}`, odd, step)];
      expect({ i, step, answer: fromRedis }).toEqual({ i, step, answer: fromMemory });
    }
  });
});
