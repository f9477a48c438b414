/**
 * 500 WebSocket clients (graphql-ws) on 50 distinct subscription operations, through a Junction
 * process: the reviews subgraph sees 50 upstream subscriptions, not 500; every client gets every
 * event of its product, in order; the gateway's memory, measured after a full garbage collection,
 * stays bounded while they are subscribed and returns once they leave. Runs alone (serial): its
 * 500 sockets and the memory it measures are its own.
 * `JUNCTION_TEST_REPORT=1 npx jest test/subscriptionFanout.serial.test.ts` prints the figures.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gatewayConfigFile, startGatewayProcess } from './helpers/gatewayProcess';
import { memoryProbe } from './helpers/memoryProbe';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const CLIENTS = 500;
const OPERATIONS = 50;
const ROUNDS = 3;

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

it(`${CLIENTS} clients on ${OPERATIONS} operations: ${OPERATIONS} upstream subscriptions, every event to every client, memory bounded`, async () => {
  const dir = tempDir('junction-fanout-');
  const config = gatewayConfigFile(dir, subgraphs.supergraphSdl, {
    subscriptions: { maxPerClient: 0 },
    operations: { token: 'fanout-metrics-token-0123' },
  });
  const probe = memoryProbe(dir);
  const junction = await startGatewayProcess(['--config', config], probe.env, probe.nodeOptions);
  const clients: Client[] = [];
  try {
    const metrics = async () => {
      const res = await fetch(new URL('/metrics', junction.url), { headers: { authorization: 'Bearer fanout-metrics-token-0123' } });
      const text = await res.text();
      const value = (kind: string) => Number(new RegExp(`^junction_subscriptions\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      return { client: value('client'), upstream: value('upstream'), connections: value('upstream_connection') };
    };
    // Warm: one query through every subgraph, so the baseline holds the plans and pools.
    await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name inStock reviews { author { name } } } }' });
    const baseline = await probe.measure(junction.child);

    const upstreamBefore = subgraphs.subscriptions.filter((s) => s.subgraph === 'reviews').length;
    const received: Array<Array<{ data?: { reviewAdded: { body: string; author: { name: string } } } }>> = [];
    const url = junction.url.replace(/^http/, 'ws');
    for (let i = 0; i < CLIENTS; i++) {
      const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      const events: (typeof received)[number] = [];
      received.push(events);
      const upc = String((i % OPERATIONS) + 1);
      client.subscribe({ query: `subscription { reviewAdded(upc: "${upc}") { body author { name } } }` }, { next: (e) => events.push(e as never), error: () => {}, complete: () => {} });
    }
    await until(async () => (await metrics()).client === CLIENTS, `${CLIENTS} subscriptions`);
    // The fifty upstream subscriptions share one WebSocket to reviews (same URL, same headers).
    expect(await metrics()).toEqual({ client: CLIENTS, upstream: OPERATIONS, connections: 1 });
    const upstream = subgraphs.subscriptions.filter((s) => s.subgraph === 'reviews').length - upstreamBefore;
    expect(upstream).toBe(OPERATIONS);
    const subscribed = await probe.measure(junction.child);

    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        Array.from({ length: OPERATIONS }, (_, p) =>
          postGraphQL(junction.url, {
            query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }',
            variables: { input: { upc: String(p + 1), authorId: '1', body: `round ${round} product ${p + 1}`, stars: 5 } },
          }),
        ),
      );
    }
    await until(() => received.every((events) => events.length === ROUNDS), 'every event to every client');
    for (const [i, events] of received.entries()) {
      const product = (i % OPERATIONS) + 1;
      expect(events).toEqual(Array.from({ length: ROUNDS }, (_, round) => ({ data: { reviewAdded: { body: `round ${round} product ${product}`, author: { name: 'Ada Lovelace' } } } })));
    }
    const afterEvents = await probe.measure(junction.child);

    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await until(async () => (await metrics()).client === 0, 'every subscription to end');
    expect((await metrics()).upstream).toBe(0);
    await until(() => subgraphs.subgraphs.find((s) => s.name === 'reviews')!.activeSubscriptions() === 0, 'the upstream subscriptions to close');
    const left = await probe.measure(junction.child);

    if (process.env.JUNCTION_TEST_REPORT) {
      console.log(
        `fan-out: ${CLIENTS} clients, ${OPERATIONS} upstream subscriptions, ${CLIENTS * ROUNDS} events delivered. ` +
          `Gateway RSS / heap used (MiB, after a full GC): baseline ${mib(baseline.rss)} / ${mib(baseline.heapUsed)}, ` +
          `subscribed ${mib(subscribed.rss)} / ${mib(subscribed.heapUsed)}, after the events ${mib(afterEvents.rss)} / ${mib(afterEvents.heapUsed)}, ` +
          `after they left ${mib(left.rss)} / ${mib(left.heapUsed)}`,
      );
    }
    // 500 clients cost some memory each (a socket, the protocol's state, a queue): bounded, and
    // given back when they leave.
    expect(subscribed.heapUsed - baseline.heapUsed).toBeLessThan(64 * 1024 * 1024);
    expect(afterEvents.heapUsed - baseline.heapUsed).toBeLessThan(64 * 1024 * 1024);
    expect(left.heapUsed - baseline.heapUsed).toBeLessThan(16 * 1024 * 1024);
    expect(afterEvents.rss - baseline.rss).toBeLessThan(256 * 1024 * 1024);
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await junction.stop();
  }
}, 120_000);

it('a large event to many subscribers is made one subscriber per turn of the event loop: the gateway never stops answering for it', async () => {
  const SUBSCRIBERS = 100;
  const dir = tempDir('junction-fanout-large-');
  const token = 'fanout-metrics-token-0123';
  const config = gatewayConfigFile(dir, subgraphs.supergraphSdl, { subscriptions: { maxPerClient: 0 }, operations: { token } });
  const junction = await startGatewayProcess(['--config', config]);
  const clients: Client[] = [];
  try {
    const maxEventLoopDelayMs = async () => {
      const text = await (await fetch(new URL('/metrics', junction.url), { headers: { authorization: `Bearer ${token}` } })).text();
      return Number(/^junction_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)![1]) * 1000;
    };
    const received: number[] = [];
    const url = junction.url.replace(/^http/, 'ws');
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      client.subscribe({ query: 'subscription { reviewAdded(upc: "60") { body } }' }, { next: (e) => received.push(JSON.stringify(e).length), error: () => {}, complete: () => {} });
    }
    const reviews = subgraphs.subgraphs.find((s) => s.name === 'reviews')!;
    await until(() => reviews.activeSubscriptions() === 1, 'the upstream subscription');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await maxEventLoopDelayMs();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const body = 'y'.repeat(900 * 1024);
    await postGraphQL(junction.url, { query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }', variables: { input: { upc: '60', authorId: '1', body, stars: 1 } } });
    await until(() => received.length === SUBSCRIBERS, 'the event to every subscriber');
    expect(received.every((length) => length > body.length)).toBe(true);
    const delay = await maxEventLoopDelayMs();
    if (process.env.JUNCTION_TEST_REPORT) console.log(`a 900 KiB event to ${SUBSCRIBERS} subscribers: longest event-loop delay ${delay.toFixed(1)} ms`);
    // Made all at once, the hundred parses and sends of 900 KiB held the loop for about a second.
    expect(delay).toBeLessThan(150);
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await junction.stop();
  }
}, 120_000);
