/**
 * `@defer` as clients live it: with the reviews subgraph 300 ms slow, the first part arrives at once
 * and the deferred one when reviews answers (timestamps per part); Apollo Client (its HTTP link
 * reads multipart) sees the two states of the query; a subgraph down during a deferred part puts
 * the error in that part and the stream still ends; a client that leaves mid-stream leaves nothing
 * behind and nothing logged as an error.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { Logger } from '../gateway/src/deps';
import { resolveConfig } from '../gateway/src/config';
import { startGateway, type StartedGateway } from '../gateway/src/server/startGateway';
import { SAMPLE_SUBGRAPHS } from '../subgraphs';
import { gatewayConfigFile, startGatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const SLOW_MS = 300;
const QUERY = '{ topProducts(first: 2) { name price ... @defer { reviews { body } } } }';

let subgraphs: SampleSubgraphs;
let slowReviews: { url: string; server: Server };
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  slowReviews = await delayingProxy(subgraphs.url('reviews'), SLOW_MS);
});
afterAll(async () => {
  await new Promise((resolve) => slowReviews?.server.close(resolve));
  await subgraphs?.stop();
});

/** An HTTP proxy that holds each request `ms` before passing it on. */
async function delayingProxy(target: string, ms: number): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        const upstream = httpRequest({ host: to.hostname, port: to.port, path: to.pathname, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      }, ms),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, server };
}

/** Junction over the sample subgraphs, reviews at `reviewsUrl`. */
async function junctionWith(reviewsUrl: string, logger?: Logger): Promise<StartedGateway> {
  const composed = composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition }) => ({ name: definition.name, url: definition.name === 'reviews' ? reviewsUrl : subgraphs.url(definition.name), sdl: print(definition.typeDefs) })),
  );
  if (!composed.ok) throw new Error('compose');
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', listen: { host: '127.0.0.1', port: 0 } });
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  return startGateway({ config, supergraphSdl: composed.supergraphSdl, logger: logger ?? quiet });
}

/** Reads a multipart response part by part, with the time each arrived (ms after the request). */
async function timedParts(url: string, query: string, signal?: AbortSignal): Promise<Array<{ at: number; payload: Record<string, unknown> }>> {
  const start = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' }, body: JSON.stringify({ query }), signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: Array<{ at: number; payload: Record<string, unknown> }> = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    // A part is whole once the next delimiter follows it.
    let end: number;
    while ((end = buffer.indexOf('\r\n---', 1)) > 0) {
      const part = buffer.slice(0, end);
      buffer = buffer.slice(end);
      const body = part.indexOf('\r\n\r\n');
      if (body >= 0) out.push({ at: performance.now() - start, payload: JSON.parse(part.slice(body + 4)) });
    }
  }
  return out;
}

it(`with reviews ${SLOW_MS} ms slow: the first part within 100 ms, the deferred one when reviews has answered`, async () => {
  const junction = await junctionWith(slowReviews.url);
  try {
    await timedParts(junction.url, QUERY); // warm: plans, pools
    const parts = await timedParts(junction.url, QUERY);
    expect(parts.map((p) => p.payload.hasNext)).toEqual([true, false]);
    expect(parts[0].payload.data).toEqual({ topProducts: [{ name: 'Table 1', price: expect.any(Number) }, { name: 'Couch 1', price: expect.any(Number) }] });
    expect(parts[0].at).toBeLessThan(100);
    expect(parts[1].at).toBeGreaterThanOrEqual(SLOW_MS);
    expect(parts[1].at).toBeLessThan(SLOW_MS + 200);
    if (process.env.JUNCTION_TEST_REPORT) console.log(`@defer with reviews ${SLOW_MS} ms slow: first part at ${parts[0].at.toFixed(1)} ms, deferred part at ${parts[1].at.toFixed(1)} ms`);
  } finally {
    await junction.stop();
  }
});

it('Apollo Client (HttpLink, multipart) sees the query without reviews, then with them', async () => {
  const junction = await junctionWith(slowReviews.url);
  // Apollo Client 4 reads incremental responses through the handler of their format.
  const client = new ApolloClient({ link: new HttpLink({ uri: junction.url }), cache: new InMemoryCache(), incrementalHandler: new Defer20220824Handler() });
  try {
    const states: unknown[] = [];
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`states so far: ${JSON.stringify(states)}`)), 5000);
      const subscription = client.watchQuery({ query: gql(QUERY), fetchPolicy: 'no-cache' }).subscribe({
        next: (result) => {
          if (result.data) states.push(JSON.parse(JSON.stringify(result.data, (k, v) => (k === '__typename' ? undefined : v))));
          if (states.length === 2) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    }).finally(() => clearTimeout(timer));
    const names = [{ name: 'Table 1' }, { name: 'Couch 1' }];
    expect(states[0]).toEqual({ topProducts: names.map((n) => ({ ...n, price: expect.any(Number) })) });
    expect(states[1]).toEqual({ topProducts: names.map((n) => ({ ...n, price: expect.any(Number), reviews: expect.arrayContaining([{ body: expect.any(String) }]) })) });
  } finally {
    client.stop();
    await junction.stop();
  }
});

it('reviews down during the deferred part: that part carries SUBGRAPH_UNAVAILABLE and the stream ends', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const junction = await junctionWith(`http://127.0.0.1:${port}/graphql`);
  try {
    const parts = (await timedParts(junction.url, QUERY)).map((p) => p.payload);
    expect(parts[0]).toMatchObject({ data: { topProducts: [{ name: 'Table 1' }, { name: 'Couch 1' }] }, hasNext: true });
    expect(parts.at(-1)!.hasNext).toBe(false);
    const items = parts.slice(1).flatMap((p) => (p.incremental as Array<{ data: unknown; errors?: Array<{ extensions: { code: string } }> }>) ?? []);
    expect(items.map((i) => i.data)).toEqual([{ reviews: null }, { reviews: null }]);
    expect(items.flatMap((i) => i.errors ?? []).map((e) => e.extensions.code)).toContain('SUBGRAPH_UNAVAILABLE');
  } finally {
    await junction.stop();
  }
});

it('a client that leaves mid-stream: the deferred fetch finishes, nothing is logged as an error, nothing stays in flight', async () => {
  const errors: unknown[] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => errors.push({ message, fields }) };
  const junction = await junctionWith(slowReviews.url, logger);
  try {
    const leaving = new AbortController();
    const res = await fetch(junction.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824' }, body: JSON.stringify({ query: QUERY }), signal: leaving.signal });
    const reader = res.body!.getReader();
    await reader.read(); // the first part
    leaving.abort();
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 200));
    expect(errors).toEqual([]);
    expect(junction.gateway.requestsInFlight).toBe(0);
    // And it goes on serving.
    expect((await timedParts(junction.url, QUERY)).map((p) => p.payload.hasNext)).toEqual([true, false]);
  } finally {
    await junction.stop();
  }
});

it('the same payloads over SSE (graphql-sse) and WebSocket (graphql-ws), each a `next`, then complete', async () => {
  const junction = await junctionWith(subgraphs.url('reviews'));
  const ws = createWsClient({ url: junction.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const sse = createSseClient({ url: junction.url, singleConnection: false, retryAttempts: 0 });
  try {
    const over = async (iterator: AsyncIterableIterator<unknown>) => {
      const payloads: unknown[] = [];
      for await (const payload of iterator) payloads.push(payload);
      return payloads;
    };
    const viaWs = await over(ws.iterate({ query: QUERY }));
    const viaSse = await over(sse.iterate({ query: QUERY }));
    const multipart = (await timedParts(junction.url, QUERY)).map((p) => p.payload);
    expect(viaWs).toEqual(multipart);
    expect(viaSse).toEqual(multipart);
    expect(multipart.map((p) => (p as { hasNext: boolean }).hasNext)).toEqual([true, false]);
  } finally {
    sse.dispose();
    await ws.dispose();
    await junction.stop();
  }
});

it('a mutation with a deferred fragment below its root field is sent once, never retried, as any mutation', async () => {
  // Reviews behind a proxy whose first answer is a 502 page: a query would be retried there.
  let requests = 0;
  const to = new URL(subgraphs.url('reviews'));
  const flaky = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (requests === 1) return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
      const upstream = httpRequest({ host: to.hostname, port: to.port, path: to.pathname, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const junction = await junctionWith(`http://127.0.0.1:${(flaky.address() as { port: number }).port}/graphql`);
  try {
    const parts = (await timedParts(junction.url, 'mutation { submitReview(input: { upc: "9", authorId: "2", body: "Once.", stars: 3 }) { id ... @defer { product { name } } } }')).map((p) => p.payload);
    expect(requests).toBe(1);
    expect(JSON.stringify(parts[0])).toContain('"submitReview":null');
  } finally {
    await junction.stop();
    await new Promise((resolve) => flaky.close(resolve));
  }
});

it('SIGTERM during an incremental response: its deferred part is still sent, then the process exits 0', async () => {
  const verySlow = await delayingProxy(subgraphs.url('reviews'), 2000);
  const composed = composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition }) => ({ name: definition.name, url: definition.name === 'reviews' ? verySlow.url : subgraphs.url(definition.name), sdl: print(definition.typeDefs) })),
  );
  if (!composed.ok) throw new Error('compose');
  const dir = tempDir('junction-defer-shutdown-');
  const gateway = await startGatewayProcess(['--config', gatewayConfigFile(dir, composed.supergraphSdl)]);
  try {
    const reading = timedParts(gateway.url, QUERY);
    // Once the first part is out (the reviews fetch is under way, held two seconds by the proxy)…
    await new Promise((resolve) => setTimeout(resolve, 300));
    gateway.child.kill('SIGTERM');
    const parts = await reading;
    expect(parts.map((p) => p.payload.hasNext)).toEqual([true, false]);
    expect(JSON.stringify(parts[1].payload)).toContain('"reviews"');
    expect(await gateway.exited).toBe(0);
  } finally {
    gateway.child.kill('SIGKILL');
    await new Promise((resolve) => verySlow.server.close(resolve));
  }
});
