/**
 * The plugin layer on subscriptions: authentication at `connection_init` (4403 when refused),
 * authorization removing a protected field before planning (null with UNAUTHORIZED_FIELD_OR_TYPE on
 * every event, never asked of the subgraph), budgets charging each event and ending the stream with
 * BUDGET_EXHAUSTED when the bucket cannot pay, and the per-client limit of open subscriptions.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfigFile, type GatewayConfigInput } from '../gateway/src/config';
import { signSampleToken } from '../scripts/token';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { FakeClock } from './helpers/fakeClock';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KEYS = [
  { sha256: sha256('reader-key'), clientId: 'reader', scopes: [] },
  { sha256: sha256('auditor-key'), clientId: 'auditor', scopes: ['read:email'] },
];

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

async function withJunction(config: Omit<GatewayConfigInput, 'supergraph' | 'subgraphs'>, run: (junction: StartedGateway) => Promise<void>, clock?: FakeClock): Promise<void> {
  const junction = await startJunction(subgraphs.supergraphSdl, { config, clock });
  try {
    await run(junction);
  } finally {
    await junction.stop();
  }
}

function wsClient(junction: StartedGateway, connectionParams?: Record<string, unknown>, onClosed?: (event: { code: number; reason: string }) => void): Client {
  return createWsClient({
    url: junction.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed?.({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => {},
  });
}

async function upstreamSubscriptions(count: number): Promise<void> {
  for (let i = 0; i < 500 && subgraphs.subscriptions.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(subgraphs.subscriptions.length).toBeGreaterThanOrEqual(count);
}

async function submitReview(junction: StartedGateway, upc: string, body: string, headers: Record<string, string>): Promise<void> {
  const res = await postGraphQL(junction.url, { query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }', variables: { input: { upc, authorId: '1', body, stars: 5 } } }, headers);
  expect(res.body.errors).toBeUndefined();
}

describe('authentication at connection_init', () => {
  const config = { auth: { allowAnonymous: false, apiKeys: { keys: KEYS } } };

  it.each([
    ['no credentials', undefined, 'Authentication required.'],
    ['an unknown API key', { 'x-api-key': 'nobody' }, 'Invalid credentials.'],
    ['a bearer that is no JWT', { authorization: 'Bearer not-a-jwt' }, 'Invalid credentials.'],
    ['credentials in a `headers` object that are wrong', { headers: { 'x-api-key': 'nobody' } }, 'Invalid credentials.'],
  ])('%s: closed with 4403 and the reason', async (_case, params, reason) => {
    await withJunction(config, async (junction) => {
      const closed = new Promise<{ code: number; reason: string }>((resolve) => wsClient(junction, params, resolve));
      expect(await closed).toEqual({ code: 4403, reason });
    });
  });

  it.each([
    ['an API key as a connection_init entry', { 'x-api-key': 'reader-key' }],
    ['an API key in the headers object', { headers: { 'X-Api-Key': 'reader-key' } }],
  ])('%s: accepted, and its operations run', async (_case, params) => {
    await withJunction(config, async (junction) => {
      const client = wsClient(junction, params);
      try {
        const results: unknown[] = [];
        await new Promise<void>((resolve, reject) => client.subscribe({ query: '{ topProducts(first: 1) { name } }' }, { next: (r) => results.push(r), error: reject, complete: resolve }));
        expect(results).toEqual([{ data: { topProducts: [{ name: 'Table 1' }] } }]);
      } finally {
        await client.dispose();
      }
    });
  });
});

it('a protected field is null with UNAUTHORIZED_FIELD_OR_TYPE on every event, and never asked of a subgraph', async () => {
  await withJunction({ auth: { allowAnonymous: false, apiKeys: { keys: KEYS } } }, async (junction) => {
    const client = wsClient(junction, { 'x-api-key': 'reader-key' });
    const events: unknown[] = [];
    const before = subgraphs.subscriptions.length;
    const requestsBefore = subgraphs.requests.length;
    let done!: () => void;
    const two = new Promise<void>((resolve) => (done = resolve));
    const stop = client.subscribe(
      { query: 'subscription { reviewAdded(upc: "8") { body author { name email } } }' },
      {
        next: (r) => {
          events.push(r);
          if (events.length === 2) done();
        },
        error: () => {},
        complete: () => {},
      },
    );
    try {
      await upstreamSubscriptions(before + 1);
      await submitReview(junction, '8', 'first', { 'x-api-key': 'reader-key' });
      await submitReview(junction, '8', 'second', { 'x-api-key': 'reader-key' });
      await two;
      for (const [i, event] of events.entries()) {
        expect(event).toEqual({
          data: { reviewAdded: { body: i === 0 ? 'first' : 'second', author: { name: 'Ada Lovelace', email: null } } },
          errors: [expect.objectContaining({ path: ['reviewAdded', 'author', 'email'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' }) })],
        });
      }
      const upstream = subgraphs.subscriptions.slice(before).map((s) => s.query ?? '');
      const fetched = subgraphs.requests.slice(requestsBefore).map((r) => r.query ?? '');
      expect([...upstream, ...fetched].some((q) => q.includes('email'))).toBe(false);
      expect(fetched.some((q) => q.includes('_entities'))).toBe(true);
    } finally {
      stop();
      await client.dispose();
    }
  });
});

describe('budgets', () => {
  const config = {
    auth: { allowAnonymous: false, apiKeys: { keys: KEYS } },
    cost: { mode: 'measure' as const },
    // The fake clock jumps 30 s: pings would find every peer silent that long.
    subscriptions: { keepAliveMs: 0 },
    // The reviews are submitted by `auditor`, whose bucket is of no concern here.
    budgets: { enabled: true, defaultTier: 'small', tiers: { small: { capacity: 30, refillPerSecond: 1 }, large: { capacity: 100_000, refillPerSecond: 1000 } }, assign: [{ clientId: 'auditor', tier: 'large' }] },
  };

  it('each event is charged; the one the bucket cannot pay ends the stream with BUDGET_EXHAUSTED; refilled, it can subscribe again', async () => {
    const clock = new FakeClock(Date.now());
    await withJunction(
      config,
      async (junction) => {
        const client = wsClient(junction, { 'x-api-key': 'reader-key' });
        try {
          const events: Array<{ data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> }> = [];
          const before = subgraphs.subscriptions.length;
          const ended = new Promise<void>((resolve, reject) =>
            client.subscribe({ query: 'subscription { reviewAdded(upc: "9") { body author { name } product { name inStock } } }' }, { next: (r) => events.push(r as never), error: reject, complete: resolve }),
          );
          await upstreamSubscriptions(before + 1);
          // The mutations go as another client: they would spend this client's points too.
          for (let i = 0; i < 10 && events.every((e) => e.data !== undefined); i++) {
            await submitReview(junction, '9', `budget ${i}`, { 'x-api-key': 'auditor-key' });
            await new Promise((resolve) => setTimeout(resolve, 30));
          }
          await ended;
          const last = events.at(-1)!;
          expect(last.errors?.[0].extensions?.code).toBe('BUDGET_EXHAUSTED');
          expect(last.data).toBeUndefined();
          // Subscribing took the estimate (23 points: one event, its entity fetches assumed to be
          // lists), and some events (3 points each) were paid before the bucket ran dry.
          expect(events.length).toBeGreaterThan(1);
          expect(events.length).toBeLessThan(10);
          // Thirty seconds later the bucket is full again.
          await clock.advance(30_000);
          const again = await new Promise<unknown>((resolve, reject) => {
            const stop = client.subscribe({ query: 'subscription { reviewAdded(upc: "9") { body } }' }, { next: (r) => (resolve(r), stop()), error: reject, complete: () => {} });
            void upstreamSubscriptions(subgraphs.subscriptions.length + 1).then(() => submitReview(junction, '9', 'after the refill', { 'x-api-key': 'auditor-key' }));
          });
          expect(again).toEqual({ data: { reviewAdded: { body: 'after the refill' } } });
        } finally {
          await client.dispose();
        }
      },
      clock,
    );
  });
});

it('a client may have subscriptions.maxPerClient open at once; one more is refused with SUBSCRIPTION_LIMIT_EXCEEDED', async () => {
  await withJunction({ subscriptions: { maxPerClient: 2 } }, async (junction) => {
    const client = wsClient(junction);
    const stops: Array<() => void> = [];
    try {
      const before = subgraphs.subscriptions.length;
      for (const upc of ['11', '12']) stops.push(client.subscribe({ query: `subscription { reviewAdded(upc: "${upc}") { body } }` }, { next: () => {}, error: () => {}, complete: () => {} }));
      await upstreamSubscriptions(before + 2);
      const third = new Promise<unknown>((resolve) => client.subscribe({ query: 'subscription { reviewAdded(upc: "13") { body } }' }, { next: () => {}, error: resolve, complete: () => {} }));
      expect(await third).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIPTION_LIMIT_EXCEEDED', limit: 2 }) })]);
      // One ends: its place is free again.
      stops[0]();
      for (let i = 0; i < 200 && (junction.gateway.subscriptions?.active ?? 0) > 1; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(junction.gateway.subscriptions?.active).toBe(1);
      const fourth = new Promise<string>((resolve) => {
        const stop = client.subscribe({ query: 'subscription { reviewAdded(upc: "13") { body } }' }, { next: () => {}, error: () => resolve('refused'), complete: () => resolve('completed') });
        void upstreamSubscriptions(subgraphs.subscriptions.length + 1).then(() => (stop(), resolve('open')));
      });
      expect(await fourth).toBe('open');
    } finally {
      stops.forEach((stop) => stop());
      await client.dispose();
    }
  });
});

describe('what the subgraph is sent', () => {
  const sample = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {}).config;
  const config = { auth: { ...sample.auth, forwarding: { subgraphs: { reviews: { authorization: true, headersFromClaims: { 'x-user-id': 'sub' } } } } } };

  it('the forwarding rules give the upgrade request and connection_init their headers; callers forwarded differently never share an upstream subscription', async () => {
    await withJunction(config, async (junction) => {
      const root = join(__dirname, '..');
      const tokens = await Promise.all(['1', '2'].map((sub) => signSampleToken(root, { sub, scope: 'read:reviews', expires: '1h' })));
      const clients = [...tokens, tokens[0]].map((token) => wsClient(junction, { authorization: `Bearer ${token}` }));
      const stops: Array<() => void> = [];
      try {
        const before = subgraphs.subscriptions.length;
        for (const client of clients) stops.push(client.subscribe({ query: 'subscription { reviewAdded(upc: "14") { body } }' }, { next: () => {}, error: () => {}, complete: () => {} }));
        await upstreamSubscriptions(before + 2);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const upstream = subgraphs.subscriptions.slice(before);
        // User 1 twice (one upstream subscription), user 2 once: two, each with its own headers.
        expect(upstream).toHaveLength(2);
        expect(upstream.map((s) => s.headers['x-user-id']).sort()).toEqual(['1', '2']);
        for (const s of upstream) {
          expect(s.transport).toBe('ws');
          expect(s.headers.authorization).toBe(`Bearer ${tokens[Number(s.headers['x-user-id']) - 1]}`);
          expect(s.connectionParams).toEqual({ headers: expect.objectContaining({ authorization: s.headers.authorization, 'x-user-id': s.headers['x-user-id'] }) });
        }
      } finally {
        stops.forEach((stop) => stop());
        await Promise.all(clients.map((client) => client.dispose()));
      }
    });
  });

  it('subscriptions.subgraphs.<name>.protocol sse: the gateway subscribes over GraphQL over SSE, and events flow the same', async () => {
    await withJunction({ subscriptions: { subgraphs: { reviews: { protocol: 'sse' } } } }, async (junction) => {
      const client = wsClient(junction);
      const events: unknown[] = [];
      const before = subgraphs.subscriptions.length;
      const stop = client.subscribe({ query: 'subscription { reviewAdded(upc: "15") { body author { name } } }' }, { next: (e) => events.push(e), error: () => {}, complete: () => {} });
      try {
        await upstreamSubscriptions(before + 1);
        expect(subgraphs.subscriptions[before].transport).toBe('sse');
        await submitReview(junction, '15', 'over sse', {});
        for (let i = 0; i < 300 && events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(events).toEqual([{ data: { reviewAdded: { body: 'over sse', author: { name: 'Ada Lovelace' } } } }]);
      } finally {
        stop();
        await client.dispose();
      }
    });
  });
});
