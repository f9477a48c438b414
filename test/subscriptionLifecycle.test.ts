/**
 * How subscriptions end: the subgraph going away mid-stream (clients get SUBSCRIPTION_UPSTREAM_CLOSED
 * and `complete`, and can subscribe again once it is back), a supergraph change (subscriptions whose
 * plan changed end with SUBSCRIPTION_SCHEMA_CHANGED, the others go on), a client that stops reading
 * (cut off at `subscriptions.maxQueuedEvents`), and SIGTERM (every client gets `complete`, the
 * process exits 0).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { SAMPLE_SUBGRAPHS, sampleSubgraph, startSubgraph, type RunningSubgraph } from '../subgraphs';
import { startGatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

type Payload = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

function wsClient(url: string): Client {
  return createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

async function submitReview(url: string, upc: string, body: string): Promise<void> {
  const res = await postGraphQL(url, { query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }', variables: { input: { upc, authorId: '1', body, stars: 3 } } });
  expect(res.body.errors).toBeUndefined();
}

/** Every payload of a subscription until it completes (or fails: then the error is the last entry). */
function collect(client: Client, query: string): { payloads: Payload[]; done: Promise<'complete' | 'error'>; stop: () => void } {
  const payloads: Payload[] = [];
  let stop!: () => void;
  const done = new Promise<'complete' | 'error'>((resolve) => {
    stop = client.subscribe<Payload['data']>({ query }, { next: (p) => payloads.push(p as Payload), error: () => resolve('error'), complete: () => resolve('complete') });
  });
  return { payloads, done, stop };
}

it('the reviews subgraph killed mid-stream: each client gets SUBSCRIPTION_UPSTREAM_CLOSED then complete; once it is back, subscribing again works', async () => {
  // Reviews of its own, to kill and bring back on the same port.
  let reviews: RunningSubgraph = await startSubgraph(sampleSubgraph('reviews'), { port: 0 });
  const others = subgraphs.subgraphs.filter((s) => s.name !== 'reviews');
  const composed = composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition }) => ({ name: definition.name, url: definition.name === 'reviews' ? reviews.url : others.find((s) => s.name === definition.name)!.url, sdl: print(definition.typeDefs) })),
  );
  if (!composed.ok) throw new Error('compose');
  const junction = await startJunction(composed.supergraphSdl);
  const ws = wsClient(junction.url);
  const sse = createSseClient({ url: junction.url, singleConnection: false, retryAttempts: 0 });
  try {
    const query = 'subscription { reviewAdded(upc: "2") { body author { name } } }';
    const overWs = collect(ws, query);
    const overSse: Payload[] = [];
    const sseDone = (async () => {
      for await (const payload of sse.iterate({ query })) overSse.push(payload as Payload);
    })();
    await until(() => reviews.activeSubscriptions() === 1, 'the upstream subscription');
    await submitReview(junction.url, '2', 'before the crash');
    await until(() => overWs.payloads.length === 1 && overSse.length === 1, 'the first event');

    await reviews.stop();
    expect(await overWs.done).toBe('complete');
    await sseDone;
    for (const payloads of [overWs.payloads, overSse]) {
      expect(payloads[0]).toEqual({ data: { reviewAdded: { body: 'before the crash', author: { name: 'Ada Lovelace' } } } });
      expect(payloads[1]).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIPTION_UPSTREAM_CLOSED', serviceName: 'reviews' }) })] });
      expect(JSON.stringify(payloads[1])).not.toContain('127.0.0.1');
      expect(payloads).toHaveLength(2);
    }
    expect(junction.gateway.subscriptions?.active).toBe(0);

    reviews = await startSubgraph(sampleSubgraph('reviews'), { port: reviews.port });
    const again = collect(ws, query);
    await until(() => reviews.activeSubscriptions() === 1, 'the new upstream subscription');
    await submitReview(junction.url, '2', 'after the restart');
    await until(() => again.payloads.length === 1, 'an event after the restart');
    expect(again.payloads[0]).toEqual({ data: { reviewAdded: { body: 'after the restart', author: { name: 'Ada Lovelace' } } } });
    again.stop();
  } finally {
    sse.dispose();
    await ws.dispose();
    await junction.stop();
    await reviews.stop();
  }
});

it('a supergraph change ends the subscriptions whose plan changed, with SUBSCRIPTION_SCHEMA_CHANGED; the others go on', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl);
  const client = wsClient(junction.url);
  try {
    const unchanged = collect(client, 'subscription { reviewAdded(upc: "3") { body author { name } } }');
    const changed = collect(client, 'subscription { reviewAdded(upc: "3") { body product { inStock } } }');
    const reviews = subgraphs.subgraphs.find((s) => s.name === 'reviews')!;
    await until(() => junction.gateway.subscriptions?.upstreamCount === 2 && reviews.activeSubscriptions() >= 2, 'both upstream subscriptions');

    // Inventory leaves the supergraph: `inStock` is gone, the author's name is not.
    const withoutInventory = composeSupergraph(
      SAMPLE_SUBGRAPHS.filter(({ definition }) => definition.name !== 'inventory').map(({ definition }) => ({ name: definition.name, url: subgraphs.url(definition.name), sdl: print(definition.typeDefs) })),
    );
    if (!withoutInventory.ok) throw new Error('compose');
    junction.gateway.useLoadedSupergraph(await junction.gateway.load(withoutInventory.supergraphSdl));

    expect(await changed.done).toBe('complete');
    expect(changed.payloads).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'SUBSCRIPTION_SCHEMA_CHANGED' } })] }]);
    await submitReview(junction.url, '3', 'after the change');
    await until(() => unchanged.payloads.length === 1, 'the event on the subscription that went on');
    expect(unchanged.payloads).toEqual([{ data: { reviewAdded: { body: 'after the change', author: { name: 'Ada Lovelace' } } } }]);
    unchanged.stop();
  } finally {
    await client.dispose();
    await junction.stop();
  }
});

it.each([
  ['subscriptions.maxQueuedEvents', { maxQueuedEvents: 4 }],
  ['subscriptions.maxQueuedBytes', { maxQueuedEvents: 100_000, maxQueuedBytes: 1024 * 1024 }],
])('a client that stops reading is cut off once %s wait for it; the others are served', async (_limit, limits) => {
  const junction: StartedGateway = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: limits } });
  const reader = wsClient(junction.url);
  const raw = new WebSocket(junction.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  try {
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => raw.once('message', resolve));
    raw.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { reviewAdded(upc: "4") { body } }' } }));
    const readerEvents = collect(reader, 'subscription { reviewAdded(upc: "4") { stars } }');
    await until(() => junction.gateway.subscriptions?.active === 2, 'both subscriptions');
    // From now on the raw client reads nothing: what the gateway sends piles up in the kernel's
    // buffers, then in the gateway's queue for it.
    raw.pause();
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 200 && junction.gateway.subscriptions!.active === 2; i++) await submitReview(junction.url, '4', `${i} ${big}`);
    await until(() => junction.gateway.subscriptions?.active === 1, 'the slow client to be dropped');
    raw.resume();
    expect([1008, 1006]).toContain(await closed);
    // The client that reads got every event, and stays subscribed.
    const sent = readerEvents.payloads.length;
    expect(sent).toBeGreaterThan(4);
    await submitReview(junction.url, '4', 'one more');
    await until(() => readerEvents.payloads.length === sent + 1, 'the reader to get one more event');
    readerEvents.stop();
  } finally {
    raw.terminate();
    await reader.dispose();
    await junction.stop();
  }
}, 60_000);

it('SIGTERM: every subscription gets `complete` (WebSocket, SSE), WebSockets close with 1001, the process exits 0', async () => {
  const file = join(tempDir('junction-subscriptions-'), 'supergraph.graphql');
  writeFileSync(file, subgraphs.supergraphSdl);
  const { child, url, exited } = await startGatewayProcess(['--supergraph', file, '--port', '0', '--host', '127.0.0.1']);
  const ws = wsClient(url);
  const closeCodes: number[] = [];
  ws.on('closed', (event) => closeCodes.push((event as { code: number }).code));
  const sse = createSseClient({ url, singleConnection: false, retryAttempts: 0 });
  try {
    const before = subgraphs.subscriptions.length;
    const overWs = collect(ws, 'subscription { reviewAdded(upc: "5") { body } }');
    const sseEvents: Payload[] = [];
    const sseDone = (async () => {
      for await (const payload of sse.iterate({ query: 'subscription { reviewAdded(upc: "6") { body } }' })) sseEvents.push(payload as Payload);
      return 'complete';
    })();
    // Two products, two upstream subscriptions: once the subgraph has both, both clients are in.
    await until(() => subgraphs.subscriptions.length >= before + 2, 'the upstream subscriptions');
    child.kill('SIGTERM');
    expect(await overWs.done).toBe('complete');
    expect(await sseDone).toBe('complete');
    expect(await exited).toBe(0);
    await until(() => closeCodes.length > 0, 'the WebSocket to close');
    expect(closeCodes[0]).toBe(1001);
    expect(overWs.payloads).toEqual([]);
    expect(sseEvents).toEqual([]);
  } finally {
    sse.dispose();
    await ws.dispose();
    child.kill('SIGKILL');
  }
});
