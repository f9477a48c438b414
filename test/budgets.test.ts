/**
 * Issue #5: per-client query budgets, token buckets of cost points (in memory). The costly
 * subgraph's `scalarWithCost` costs exactly 30, estimated and actual.
 */
import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { costly } from './fixtures/costSubgraph';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';
import { FakeClock } from './helpers/fakeClock';

let subgraph: RunningSubgraph;
let supergraphSdl: string;
let subgraphRequests = 0;

const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const COST_30 = '{ scalarWithCost }';

const budgetConfig = (tiers: Record<string, { capacity: number; refillPerSecond: number; maxCost?: number }> = { default: { capacity: 100, refillPerSecond: 10 } }) => ({
  cost: { mode: 'enforce' as const, maxCost: 10_000 },
  auth: { apiKeys: { keys: [{ sha256: sha('key-a'), clientId: 'a' }, { sha256: sha('key-b'), clientId: 'b' }, { sha256: sha('key-gold'), clientId: 'g' }] } },
  budgets: { enabled: true, tiers, assign: [{ clientId: 'g', tier: 'gold' in tiers ? 'gold' : 'default' }] },
});


beforeAll(async () => {
  subgraph = await startSubgraph(costly, { onRequest: () => void subgraphRequests++ });
  const outcome = composeSupergraph([{ name: 'costly', url: subgraph.url, sdl: print(costly.typeDefs) }]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  supergraphSdl = outcome.supergraphSdl;
});
afterAll(async () => {
  await subgraph?.stop();
});

const as = (key: string) => ({ 'x-api-key': key });

describe('with an injected clock', () => {
  let clock: FakeClock;
  let junction: StartedGateway;
  beforeEach(async () => {
    clock = new FakeClock();
    junction = await startJunction(supergraphSdl, { config: budgetConfig(), clock });
  });
  afterEach(async () => {
    await junction.stop();
  });

  it('admits exactly what a bucket of 100, refilling 10/s, allows to cost-30 queries over 5 s', async () => {
    const admitted: number[] = [];
    let refused = 0;
    // "As fast as possible": a request every 10 ms of (fake) time for 5 s.
    for (let t = 0; t <= 5000; t += 10) {
      if (t > 0) await clock.advance(10);
      const res = await postGraphQL(junction.url, { query: COST_30 }, as('key-a'));
      if (res.status === 200) admitted.push(t);
      else refused++;
    }
    // 100 at the start pays 3; then 10/s: the 4th at 2.0 s, the 5th at 5.0 s.
    expect(admitted).toEqual([0, 10, 20, 2000, 5000]);
    expect(refused).toBe(501 - 5);
  });

  it('refuses with 429, Retry-After and the budget state, calling no subgraph; other clients are unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await postGraphQL(junction.url, { query: COST_30 }, as('key-a'))).status).toBe(200);
    subgraphRequests = 0;
    const res = await fetch(junction.url, { method: 'POST', headers: { 'content-type': 'application/json', ...as('key-a') }, body: JSON.stringify({ query: COST_30 }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=100;w=10');
    expect(res.headers.get('ratelimit')).toBe('"default";r=10;t=9');
    expect(await res.json()).toEqual({
      errors: [
        {
          message: 'Query budget exhausted; retry later.',
          extensions: { code: 'BUDGET_EXHAUSTED', cost: { requestedQueryCost: 30, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 10, restoreRate: 10 } } },
        },
      ],
      extensions: { cost: { requestedQueryCost: 30, actualQueryCost: 0, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 10, restoreRate: 10 } } },
    });
    expect(subgraphRequests).toBe(0);
    expect((await postGraphQL(junction.url, { query: COST_30 }, as('key-b'))).status).toBe(200);
  });

  it('puts the budget state in every response: extensions.cost and the RateLimit headers', async () => {
    const res = await fetch(junction.url, { method: 'POST', headers: { 'content-type': 'application/json', ...as('key-b') }, body: JSON.stringify({ query: COST_30 }) });
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=100;w=10');
    expect(res.headers.get('ratelimit')).toBe('"default";r=70;t=3');
    expect(await res.json()).toEqual({
      data: { scalarWithCost: 4 },
      extensions: { cost: { requestedQueryCost: 30, actualQueryCost: 30, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 70, restoreRate: 10 } } },
    });
  });

  it('gives back what the actual cost did not use (lists shorter than assumed)', async () => {
    // Estimated 1 + 50 x 1 = 51; the list comes back with 3 items: actual 4.
    const res = await postGraphQL(junction.url, { query: '{ fieldWithDynamicListSize(first: 50) { items { id } } }' }, as('key-a'));
    expect(res.body.extensions).toEqual({ cost: { requestedQueryCost: 51, actualQueryCost: 4, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 96, restoreRate: 10 } } });
  });

  it('refuses, without Retry-After, an operation that costs more than the whole bucket', async () => {
    const res = await fetch(junction.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as('key-a') },
      body: JSON.stringify({ query: '{ fieldWithDynamicListSize(first: 500) { items { id } } }' }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message).toBe('The operation costs more than the whole budget of this client.');
  });

  it('gives each anonymous IP a bucket of its own', async () => {
    for (let i = 0; i < 3; i++) expect((await postGraphQL(junction.url, { query: COST_30 })).status).toBe(200);
    expect((await postGraphQL(junction.url, { query: COST_30 })).status).toBe(429);
    expect((await postGraphQL(junction.url, { query: COST_30 }, as('key-a'))).status).toBe(200);
  });
});

describe('anonymous buckets by address: X-Forwarded-For only through trusted proxies (listen.trustProxy)', () => {
  // A bucket of 100 pays for three cost-30 queries. Each step: the X-Forwarded-For sent (from this
  // test's socket, 127.0.0.1) and the status expected.
  const spoofs = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'];
  it.each<[string, string[] | undefined, Array<[string | undefined, number]>]>([
    ['off (default): every spoofed X-Forwarded-For is ignored, one bucket', undefined, spoofs.map((ip, i) => [ip, i < 3 ? 200 : 429])],
    ['the peer is not a trusted proxy: ignored', ['10.0.0.0/8'], spoofs.map((ip, i) => [ip, i < 3 ? 200 : 429])],
    [
      'behind a trusted proxy: two clients, two buckets',
      ['127.0.0.1'],
      [['203.0.113.1', 200], ['203.0.113.2', 200], ['203.0.113.1', 200], ['203.0.113.2', 200], ['203.0.113.1', 200], ['203.0.113.2', 200], ['203.0.113.1', 429], ['203.0.113.2', 429]],
    ],
    [
      'behind a trusted proxy, what the client prepended is not believed: only the address the proxy saw',
      ['loopback'],
      spoofs.map((ip, i) => [`${ip}, 203.0.113.7`, i < 3 ? 200 : 429]),
    ],
    [
      'through a chain of trusted proxies (CIDR): the first untrusted hop',
      ['127.0.0.1', '10.0.0.0/8'],
      [['203.0.113.1, 10.1.2.3', 200], ['203.0.113.1, 10.9.9.9', 200], ['203.0.113.1, 10.0.0.1', 200], ['203.0.113.1, 10.1.2.3', 429], ['203.0.113.2, 10.1.2.3', 200]],
    ],
    [
      'IPv6: one bucket per /64, whichever address in it the client picks',
      ['127.0.0.1'],
      [['2001:db8:0:1::a', 200], ['2001:db8:0:1::b', 200], ['2001:db8:0:1:ffff:ffff:ffff:ffff', 200], ['2001:db8:0:1::c', 429], ['2001:db8:0:2::1', 200]],
    ],
    ['an IPv4-mapped IPv6 address is its IPv4 address', ['127.0.0.1'], [['203.0.113.5', 200], ['::ffff:203.0.113.5', 200], ['203.0.113.5', 200], ['::ffff:203.0.113.5', 429]]],
    ['no X-Forwarded-For behind a trusted proxy: the proxy itself', ['127.0.0.1'], [[undefined, 200], [undefined, 200], [undefined, 200], [undefined, 429]]],
  ])('%s', async (_what, trustProxy, steps) => {
    const junction = await startJunction(supergraphSdl, { config: { ...budgetConfig(), listen: { trustProxy } }, clock: new FakeClock() });
    try {
      const statuses = [];
      for (const [xff] of steps) statuses.push((await postGraphQL(junction.url, { query: COST_30 }, xff === undefined ? {} : { 'x-forwarded-for': xff })).status);
      expect(statuses).toEqual(steps.map(([, status]) => status));
    } finally {
      await junction.stop();
    }
  });
});

it('tiers: a client assigned to a tier gets its capacity and its cost limit', async () => {
  const clock = new FakeClock();
  const junction = await startJunction(supergraphSdl, {
    config: budgetConfig({ default: { capacity: 100, refillPerSecond: 10 }, gold: { capacity: 1000, refillPerSecond: 100, maxCost: 40 } }),
    clock,
  });
  try {
    const gold = await postGraphQL(junction.url, { query: COST_30 }, as('key-gold'));
    expect(gold.body.extensions?.cost).toMatchObject({ throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 970, restoreRate: 100 } });
    const tooDear = await postGraphQL(junction.url, { query: '{ scalarWithCost fieldWithCost objectWithCost { id } }' }, as('key-gold'));
    expect(tooDear.body.errors?.[0].extensions).toEqual({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 75, max: 40 } });
  } finally {
    await junction.stop();
  }
});

it('over real time: 5 s of cost-30 queries as fast as possible, bucket 100 at 10/s', async () => {
  const junction = await startJunction(supergraphSdl, { config: budgetConfig() });
  try {
    let admitted = 0;
    const end = performance.now() + 5000;
    while (performance.now() < end) {
      if ((await postGraphQL(junction.url, { query: COST_30 }, as('key-a'))).status === 200) admitted++;
    }
    // 100 + 5 s x 10 = 150 points: 5 queries, give or take one at the edges.
    expect(admitted).toBeGreaterThanOrEqual(4);
    expect(admitted).toBeLessThanOrEqual(6);
  } finally {
    await junction.stop();
  }
}, 15_000);

it('GET /admin/budgets/:id shows a client bucket (admin token required)', async () => {
  const clock = new FakeClock();
  const junction = await startJunction(supergraphSdl, { config: { ...budgetConfig(), admin: { token: 'budget-admin-token-123' } }, clock });
  const admin = (path: string, token = 'budget-admin-token-123') =>
    fetch(junction.url.replace('/graphql', `/admin${path}`), { headers: { authorization: `Bearer ${token}` } });
  try {
    await postGraphQL(junction.url, { query: COST_30 }, as('key-a'));
    await postGraphQL(junction.url, { query: COST_30 });
    expect(await (await admin('/budgets/a')).json()).toEqual({ id: 'a', tier: 'default', capacity: 100, refillPerSecond: 10, available: 70 });
    expect(await (await admin('/budgets/ip:127.0.0.1')).json()).toMatchObject({ available: 70 });
    await clock.advance(2000);
    expect(await (await admin('/budgets/a')).json()).toMatchObject({ available: 90 });
    expect((await admin('/budgets/a', 'wrong-token-wrong')).status).toBe(401);
    expect((await admin('/subgraphs')).status).toBe(404);
  } finally {
    await junction.stop();
  }
});
