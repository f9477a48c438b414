/**
 * The sample subgraphs' subscriptions, over both transports a gateway may use upstream: GraphQL over
 * WebSocket (graphql-ws's client) and GraphQL over SSE (graphql-sse's client, distinct connections).
 */
import type { ExecutionResult } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { inventory } from '../inventory';
import { reviews } from '../reviews';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition, type SubscriptionEvent } from '../subgraph';

interface Case {
  definition: SubgraphDefinition;
  /** The subscription field, which is also its pub/sub topic. */
  field: string;
  subscription: string;
  /** The HTTP mutation that fires the subscription for one product. */
  fire(upc: string): { query: string; variables: Record<string, unknown> };
  /** What a subscriber then receives, in part. */
  received(upc: string): Record<string, unknown>;
}

const CASES: Case[] = [
  {
    definition: reviews,
    field: 'reviewAdded',
    subscription: 'subscription Reviews($upc: ID) { reviewAdded(upc: $upc) { id body stars product { upc } } }',
    fire: (upc) => ({
      query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }',
      variables: { input: { upc, authorId: '2', body: `Review of ${upc}`, stars: 4 } },
    }),
    received: (upc) => ({ reviewAdded: { body: `Review of ${upc}`, stars: 4, product: { upc } } }),
  },
  {
    definition: inventory,
    field: 'stockChanged',
    subscription: 'subscription Stock($upc: ID) { stockChanged(upc: $upc) { upc inStock } }',
    fire: (upc) => ({ query: 'mutation ($upc: String!) { setStock(upc: $upc, inStock: false) { upc } }', variables: { upc } }),
    received: (upc) => ({ stockChanged: { upc, inStock: false } }),
  },
];

/** A WebSocket that sends a header with its upgrade request, as a gateway forwarding a caller would. */
class TenantWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { headers: { 'x-tenant': 'ws-tenant' } });
  }
}

interface Transport {
  name: 'ws' | 'sse';
  subscribe(url: string, query: string, variables: Record<string, unknown>): Subscriber;
}

const TRANSPORTS: Transport[] = [
  {
    name: 'ws',
    subscribe(url, query, variables) {
      const client = createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: TenantWebSocket, connectionParams: { token: 'secret' }, retryAttempts: 0 });
      return subscriber((sink) => client.subscribe({ query, variables }, sink), () => client.dispose());
    },
  },
  {
    name: 'sse',
    subscribe(url, query, variables) {
      const client = createSseClient({ url, singleConnection: false, retryAttempts: 0, headers: { 'x-tenant': 'sse-tenant' } });
      return subscriber((sink) => client.subscribe({ query, variables }, sink), () => client.dispose());
    },
  },
];

interface Subscriber {
  /** Resolves with the n-th result (from 1) once it has arrived. */
  result(n: number): Promise<ExecutionResult>;
  results: ExecutionResult[];
  /** How the subscription ended, once it has. */
  ended: Promise<'complete' | 'error'>;
  leave(): void;
}

type Sink = { next(r: ExecutionResult): void; error(e: unknown): void; complete(): void };

function subscriber(subscribe: (sink: Sink) => () => void, dispose: () => void): Subscriber {
  const results: ExecutionResult[] = [];
  const waiting: Array<{ n: number; resolve(r: ExecutionResult): void }> = [];
  let end!: (how: 'complete' | 'error') => void;
  const ended = new Promise<'complete' | 'error'>((resolve) => (end = resolve));
  const unsubscribe = subscribe({
    next(result) {
      results.push(result);
      for (const w of waiting.filter((w) => w.n === results.length)) w.resolve(result);
    },
    error: () => end('error'),
    complete: () => end('complete'),
  });
  return {
    results,
    ended,
    result: (n) => (results.length >= n ? Promise.resolve(results[n - 1]) : new Promise((resolve) => waiting.push({ n, resolve }))),
    leave() {
      unsubscribe();
      dispose();
    },
  };
}

/** A started subgraph and the subscriptions it has announced, awaitable by count. */
async function start(definition: SubgraphDefinition) {
  const events: SubscriptionEvent[] = [];
  const waiting: Array<{ n: number; resolve(): void }> = [];
  const subgraph = await startSubgraph(definition, {
    onSubscription(event) {
      events.push(event);
      for (const w of waiting.filter((w) => w.n === events.length)) w.resolve();
    },
  });
  const subscribed = (n: number) => (events.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve })));
  return { subgraph, events, subscribed };
}

async function post(subgraph: RunningSubgraph, body: { query: string; variables: Record<string, unknown> }): Promise<ExecutionResult> {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as ExecutionResult;
}

/**
 * Waits for a condition the server reaches after the client has moved on (a client leaving reaches
 * the server's count asynchronously, and no event tells the test): checks every few milliseconds.
 */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.each(CASES)('$definition.name: $field', ({ definition, field, subscription, fire, received }) => {
  let subgraph: RunningSubgraph | undefined;
  let subscribers: Subscriber[] = [];
  afterEach(async () => {
    for (const s of subscribers) s.leave();
    subscribers = [];
    await subgraph?.stop();
    subgraph = undefined;
  });

  it('delivers each event to WebSocket and SSE subscribers, and announces each subscription once', async () => {
    const started = await start(definition);
    subgraph = started.subgraph;
    subscribers = TRANSPORTS.map((t) => t.subscribe(started.subgraph.url, subscription, {}));
    await started.subscribed(2);
    expect(started.subgraph.activeSubscriptions()).toBe(2);

    expect((await post(started.subgraph, fire('3'))).errors).toBeUndefined();
    for (const s of subscribers) expect((await s.result(1)).data).toMatchObject(received('3'));

    const byTransport = [...started.events].sort((a, b) => a.transport.localeCompare(b.transport));
    expect(byTransport).toEqual([
      { transport: 'sse', query: subscription, operationName: undefined, variables: {}, headers: expect.objectContaining({ 'x-tenant': 'sse-tenant' }) },
      { transport: 'ws', query: subscription, operationName: undefined, variables: {}, headers: expect.objectContaining({ 'x-tenant': 'ws-tenant' }), connectionParams: { token: 'secret' } },
    ]);
  });

  it.each(TRANSPORTS)('filters by upc over $name', async (transport) => {
    const started = await start(definition);
    subgraph = started.subgraph;
    subscribers = [transport.subscribe(started.subgraph.url, subscription, { upc: '2' }), transport.subscribe(started.subgraph.url, subscription, {})];
    await started.subscribed(2);

    await post(started.subgraph, fire('5'));
    await post(started.subgraph, fire('2'));
    const [only2, every] = subscribers;
    expect((await every.result(2)).data).toMatchObject(received('2'));
    expect((await only2.result(1)).data).toMatchObject(received('2'));
    expect((await every.result(1)).data).toMatchObject(received('5'));
  });

  it('forgets subscribers that leave: no open subscription, no listener', async () => {
    const started = await start(definition);
    subgraph = started.subgraph;
    subscribers = TRANSPORTS.flatMap((t) => [t.subscribe(started.subgraph.url, subscription, {}), t.subscribe(started.subgraph.url, subscription, { upc: '1' })]);
    await started.subscribed(4);
    expect(started.subgraph.pubsub.listenerCount(field)).toBe(4);

    for (const s of subscribers) s.leave();
    await until(() => started.subgraph.activeSubscriptions() === 0);
    expect(started.subgraph.pubsub.listenerCount(field)).toBe(0);
  });

  it('stops promptly with subscriptions open, and their clients see the connection end', async () => {
    const started = await start(definition);
    subscribers = TRANSPORTS.map((t) => t.subscribe(started.subgraph.url, subscription, {}));
    await started.subscribed(2);

    await started.subgraph.stop();
    expect(await Promise.all(subscribers.map((s) => s.ended))).toEqual(['error', 'error']);
    expect(started.subgraph.activeSubscriptions()).toBe(0);
    expect(started.subgraph.pubsub.listenerCount(field)).toBe(0);
  });
});

describe('inventory: setStock', () => {
  const stockOf = (upc: string) => ({
    query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inStock } } }',
    variables: { r: [{ __typename: 'Product', upc }] },
  });
  let servers: RunningSubgraph[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  it('changes the stock of its own server only, and refuses an unknown product', async () => {
    servers = await Promise.all([startSubgraph(inventory), startSubgraph(inventory)]);
    const [changed, untouched] = servers;
    await post(changed, { query: 'mutation { setStock(upc: "4", inStock: true) { upc } }', variables: {} });
    expect((await post(changed, stockOf('4'))).data).toEqual({ _entities: [{ inStock: true }] });
    expect((await post(untouched, stockOf('4'))).data).toEqual({ _entities: [{ inStock: false }] });

    const unknown = await post(changed, { query: 'mutation { setStock(upc: "61", inStock: true) { upc } }', variables: {} });
    expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['PRODUCT_NOT_FOUND']);
  });

  it('streams over SSE when Accept lists text/event-stream among other types', async () => {
    servers = [await startSubgraph(inventory)];
    const response = await fetch(servers[0].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json;q=0.9' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toContain('"data":{"__typename":"Query"}');
  });
});
