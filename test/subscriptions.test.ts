/**
 * Federated subscriptions through Junction, with the real clients of each transport: graphql-ws's
 * client (WebSocket), graphql-sse's client (SSE) and Apollo Client (multipart HTTP), against the
 * real sample subgraphs. `reviewAdded` is subscribed at reviews; each event needs accounts (the
 * author's name) and inventory (`inStock`) too. An event must carry exactly what a query for the
 * same review answers.
 */
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const FIELDS = 'body stars author { name } product { upc name inStock }';
const SUBSCRIPTION = `subscription Reviews($upc: ID) { reviewAdded(upc: $upc) { ${FIELDS} } }`;

let subgraphs: SampleSubgraphs;
let junction: StartedGateway;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  junction = await startJunction(subgraphs.supergraphSdl);
});

afterAll(async () => {
  await junction?.stop();
  await subgraphs?.stop();
});

const wsUrl = () => junction.url.replace(/^http/, 'ws');

function wsClient(connectionParams?: Record<string, unknown>): WsClient {
  return createWsClient({ url: wsUrl(), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
}

/** Resolves once `count` more subscriptions reached the subgraphs than `before` (the upstream side is open). */
async function upstreamSubscriptions(count: number, before = 0): Promise<void> {
  for (let i = 0; i < 500 && subgraphs.subscriptions.length < before + count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(subgraphs.subscriptions.length).toBeGreaterThanOrEqual(before + count);
}

/** Submits reviews of product `upc` through Junction; returns what a query for each answers. */
async function submitReviews(upc: string, bodies: string[]): Promise<unknown[]> {
  const expected: unknown[] = [];
  for (const body of bodies) {
    const submitted = await postGraphQL(junction.url, {
      query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }',
      variables: { input: { upc, authorId: '2', body, stars: 4 } },
    });
    const id = (submitted.body.data!.submitReview as { id: string }).id;
    const queried = await postGraphQL(junction.url, { query: `query ($id: ID!) { review(id: $id) { ${FIELDS} } }`, variables: { id } });
    expect(queried.body.errors).toBeUndefined();
    expected.push({ data: { reviewAdded: queried.body.data!.review } });
  }
  return expected;
}

/** Collects `count` events of an async iterator, then leaves. */
async function take<T>(iterator: AsyncIterableIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterator) {
    out.push(value);
    if (out.length === count) break;
  }
  return out;
}

describe('each transport delivers the federated events, in order, as a query for the same review answers', () => {
  it('WebSocket: graphql-ws client', async () => {
    const client = wsClient();
    try {
      const before = subgraphs.subscriptions.length;
      const events = take(client.iterate({ query: SUBSCRIPTION, variables: { upc: '3' } }), 3);
      await upstreamSubscriptions(1, before);
      const expected = await submitReviews('3', ['ws one', 'ws two', 'ws three']);
      expect(await events).toEqual(expected);
      const metrics = await junction.gateway.metrics.registry.metrics();
      expect(metrics).toContain('junction_subscription_events_total{operation="Reviews"} 3');
    } finally {
      await client.dispose();
    }
  });

  it('SSE: graphql-sse client (distinct connections)', async () => {
    const client = createSseClient({ url: junction.url, singleConnection: false, retryAttempts: 0 });
    try {
      const before = subgraphs.subscriptions.length;
      const events = take(client.iterate({ query: SUBSCRIPTION, variables: { upc: '4' } }), 3);
      await upstreamSubscriptions(1, before);
      const expected = await submitReviews('4', ['sse one', 'sse two', 'sse three']);
      expect(await events).toEqual(expected);
    } finally {
      client.dispose();
    }
  });

  it('multipart HTTP: Apollo Client', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: junction.url }), cache: new InMemoryCache() });
    const received: unknown[] = [];
    const before = subgraphs.subscriptions.length;
    let done!: () => void;
    const three = new Promise<void>((resolve) => (done = resolve));
    const subscription = client.subscribe({ query: gql(SUBSCRIPTION), variables: { upc: '5' }, fetchPolicy: 'no-cache' }).subscribe({
      next: (result) => {
        received.push({ data: result.data });
        if (received.length === 3) done();
      },
    });
    try {
      await upstreamSubscriptions(1, before);
      const expected = await submitReviews('5', ['multipart one', 'multipart two', 'multipart three']);
      await three;
      // Apollo Client adds __typename to what it asks; the rest is the same data.
      expect(JSON.parse(JSON.stringify(received, (key, value) => (key === '__typename' ? undefined : value)))).toEqual(expected);
    } finally {
      subscription.unsubscribe();
      client.stop();
    }
  });
});

it('clients with the same root fetch share one upstream subscription; the last to leave closes it', async () => {
  const reviews = subgraphs.subgraphs.find((s) => s.name === 'reviews')!;
  const before = subgraphs.subscriptions.length;
  const clients = Array.from({ length: 6 }, () => wsClient());
  try {
    // Three on product 6, three on product 7: two upstream subscriptions.
    const iterators = clients.map((client, i) => client.iterate({ query: SUBSCRIPTION, variables: { upc: i < 3 ? '6' : '7' } }));
    const firsts = iterators.map((iterator) => take(iterator, 1));
    await upstreamSubscriptions(2, before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(subgraphs.subscriptions.length - before).toBe(2);
    expect(reviews.activeSubscriptions()).toBe(2);
    const [six] = await submitReviews('6', ['shared six']);
    const [seven] = await submitReviews('7', ['shared seven']);
    const got = await Promise.all(firsts);
    expect(got.map((events) => events[0])).toEqual([six, six, six, seven, seven, seven]);
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
  for (let i = 0; i < 200 && reviews.activeSubscriptions() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(reviews.activeSubscriptions()).toBe(0);
});

it('a subscription over plain JSON is refused: it needs a streaming transport', async () => {
  const res = await postGraphQL(junction.url, { query: SUBSCRIPTION });
  expect(res.status).toBe(400);
  expect(res.body.errors?.[0].extensions?.code).toBe('OPERATION_NOT_SUPPORTED');
});

it('queries and mutations work over the streaming transports too, answered once', async () => {
  const client = wsClient();
  try {
    const [result] = await take(client.iterate({ query: '{ topProducts(first: 1) { name } }' }), 1);
    expect(result).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  } finally {
    await client.dispose();
  }
  const sse = createSseClient({ url: junction.url, singleConnection: false, retryAttempts: 0 });
  try {
    const [result] = await take(sse.iterate({ query: '{ topProducts(first: 1) { name } }' }), 1);
    expect(result).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  } finally {
    sse.dispose();
  }
});

it('an invalid subscription is refused before anything reaches a subgraph, with the protocol error of each transport', async () => {
  const before = subgraphs.subscriptions.length;
  const client = wsClient();
  try {
    await expect(take(client.iterate({ query: 'subscription { reviewAdded { nope } }' }), 1)).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) }),
    ]);
  } finally {
    await client.dispose();
  }
  const res = await fetch(junction.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { reviewAdded { nope } }' }),
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(subgraphs.subscriptions.length).toBe(before);
});

it('SSE over GET (what EventSource sends), with a header CSRF prevention accepts', async () => {
  const before = subgraphs.subscriptions.length;
  const query = encodeURIComponent('subscription { reviewAdded(upc: "16") { body } }');
  const stream = new AbortController();
  const res = await fetch(`${junction.url}?query=${query}`, { headers: { accept: 'text/event-stream', 'apollo-require-preflight': 'true' }, signal: stream.signal });
  try {
    expect(res.status).toBe(200);
    await upstreamSubscriptions(1, before);
    await submitReviews('16', ['over GET']);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: next')) text += (await reader.read()).value ?? '';
    expect(text).toContain('data: {"data":{"reviewAdded":{"body":"over GET"}}}');
  } finally {
    stream.abort();
  }
  // Without such a header, a GET is what any page can make a browser send: refused as any GET is.
  const bare = await fetch(`${junction.url}?query=${query}`, { headers: { accept: 'text/event-stream' } });
  expect(bare.status).toBe(400);
  expect(((await bare.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('CSRF_PREVENTED');
});

it('with subscriptions.enabled false: refused with OPERATION_NOT_SUPPORTED over SSE, and no WebSocket is served', async () => {
  const off = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: { enabled: false } } });
  try {
    const res = await fetch(off.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query: SUBSCRIPTION }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('OPERATION_NOT_SUPPORTED');
    const ws = new WebSocket(off.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    ws.terminate();
  } finally {
    await off.stop();
  }
});

it('an SSE client that stops reading is cut off at subscriptions.maxQueuedEvents', async () => {
  const slow = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: { maxQueuedEvents: 4 } } });
  try {
    const before = subgraphs.subscriptions.length;
    const res = await fetch(slow.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { reviewAdded(upc: "17") { body } }' }),
    });
    await upstreamSubscriptions(1, before);
    // Nothing reads the body: the kernel's buffers fill, then the gateway's queue for this client.
    const big = 'z'.repeat(256 * 1024);
    for (let i = 0; i < 200 && slow.gateway.subscriptions!.active > 0; i++) {
      await postGraphQL(slow.url, { query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }', variables: { input: { upc: '17', authorId: '1', body: `${i} ${big}`, stars: 1 } } });
    }
    expect(slow.gateway.subscriptions!.active).toBe(0);
    // What the client reads then ends abruptly: the connection was destroyed, not completed.
    await expect(res.text()).rejects.toThrow();
  } finally {
    await slow.stop();
  }
}, 60_000);
