/**
 * The WebSocket endpoint against clients that break the graphql-transport-ws protocol or the
 * gateway's rules: each gets the protocol's close code (or the HTTP refusal of its upgrade), and
 * the gateway goes on serving everyone else.
 */
import WebSocket from 'ws';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

let subgraphs: SampleSubgraphs;
let junction: StartedGateway;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  junction = await startJunction(subgraphs.supergraphSdl, {
    config: { subscriptions: { connectionInitWaitTimeoutMs: 300 }, limits: { maxBodyBytes: 64 * 1024 }, cors: { origins: ['https://app.example.com'] } },
  });
});
afterAll(async () => {
  await junction?.stop();
  await subgraphs?.stop();
});

const wsUrl = (path = '/graphql') => junction.url.replace(/^http/, 'ws').replace('/graphql', path);
const init = JSON.stringify({ type: 'connection_init' });
const subscribe = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { reviewAdded { body } }' } });

/** Opens a socket, sends `messages` in order (each after the server's answer to the one before, if any), and resolves with how it closed. */
async function closeOf(messages: Array<string | Buffer>, options: { protocol?: string | null; headers?: Record<string, string>; path?: string } = {}) {
  const protocol = options.protocol === null ? undefined : (options.protocol ?? 'graphql-transport-ws');
  const ws = new WebSocket(wsUrl(options.path), protocol, { headers: options.headers });
  return new Promise<{ code: number; reason: string } | { status: number }>((resolve) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', () => {});
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
    ws.once('open', async () => {
      for (const message of messages) {
        ws.send(message);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  });
}

it.each<[string, Array<string | Buffer>, Parameters<typeof closeOf>[1], object]>([
  ['no subprotocol', [init], { protocol: null }, { code: 4406 }],
  ['no connection_init in time', [], {}, { code: 4408 }],
  ['subscribe before connection_init', [subscribe('1')], {}, { code: 4401 }],
  ['a message that is not JSON', [init, '{"type":'], {}, { code: 4400 }],
  ['a message of an unknown type', [init, JSON.stringify({ type: 'hello' })], {}, { code: 4400 }],
  ['a subscribe without a query', [init, JSON.stringify({ id: '1', type: 'subscribe', payload: {} })], {}, { code: 4400 }],
  ['two connection_init', [init, init], {}, { code: 4429 }],
  ['the same subscription id twice', [init, subscribe('1'), subscribe('1')], {}, { code: 4409 }],
  ['a message over limits.maxBodyBytes', [init, Buffer.alloc(65 * 1024, 'x')], {}, { code: 1009 }],
  ['another path', [init], { path: '/other' }, { status: 404 }],
  ['a page from an origin CORS does not allow', [init], { headers: { origin: 'https://evil.example.org' } }, { status: 403 }],
])('%s', async (_case, messages, options, expected) => {
  expect(await closeOf(messages, options)).toMatchObject(expected);
  // The gateway goes on.
  expect((await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name } }' })).body).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
});

it.each([
  ['an origin CORS allows', { origin: 'https://app.example.com' }],
  ["the gateway's own origin", { origin: 'http://HOST' }],
  ['no origin (not a browser)', {}],
])('%s may connect', async (_case, headers) => {
  const origin = (headers as { origin?: string }).origin?.replace('HOST', new URL(junction.url).host);
  const ws = new WebSocket(wsUrl(), 'graphql-transport-ws', { headers: origin ? { origin } : {} });
  try {
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('unexpected-response', reject)));
    ws.send(init);
    const ack = await new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    expect(JSON.parse(ack)).toEqual({ type: 'connection_ack' });
  } finally {
    ws.terminate();
  }
});

it('connection_init entries named __proto__, constructor or with values that are not strings change nothing', async () => {
  const ws = new WebSocket(wsUrl(), 'graphql-transport-ws');
  try {
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"type":"connection_init","payload":{"__proto__":{"authorization":"Bearer x"},"constructor":"x","headers":{"__proto__":"y","x-n":1}}}');
    expect(JSON.parse(await new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d)))))).toEqual({ type: 'connection_ack' });
    ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ topProducts(first: 1) { name } }' } }));
    expect(JSON.parse(await new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d)))))).toEqual({ id: 'q', type: 'next', payload: { data: { topProducts: [{ name: 'Table 1' }] } } });
  } finally {
    ws.terminate();
  }
});

it('a client that stops answering pings is disconnected after subscriptions.keepAliveMs; one that answers stays', async () => {
  const quick = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: { keepAliveMs: 100 } } });
  const url = quick.url.replace(/^http/, 'ws');
  const silent = new WebSocket(url, 'graphql-transport-ws', { autoPong: false });
  const answering = new WebSocket(url, 'graphql-transport-ws');
  try {
    const silentClosed = new Promise<number>((resolve) => silent.once('close', resolve));
    let answeringClosed = false;
    answering.once('close', () => (answeringClosed = true));
    await Promise.all([silent, answering].map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    for (const ws of [silent, answering]) ws.send(init);
    // Pinged at 100 ms, unanswered by 200 ms: cut (1006: no close frame, the peer is gone).
    expect(await silentClosed).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answeringClosed).toBe(false);
  } finally {
    silent.terminate();
    answering.terminate();
    await quick.stop();
  }
});

describe('the address a WebSocket client is counted by (subscriptions.maxPerClient: 1, anonymous)', () => {
  /** Whether a second subscription from `second` is accepted while one from `first` is open. */
  async function secondAccepted(trustProxy: string[] | false, first: string, second: string): Promise<boolean> {
    const gateway = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: { maxPerClient: 1 }, listen: { trustProxy } } });
    const sockets: WebSocket[] = [];
    try {
      const open = async (forwardedFor: string) => {
        const ws = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { 'x-forwarded-for': forwardedFor } });
        sockets.push(ws);
        await new Promise((resolve) => ws.once('open', resolve));
        ws.send(init);
        await new Promise((resolve) => ws.once('message', resolve));
        ws.send(subscribe('1'));
        return ws;
      };
      await open(first);
      for (let i = 0; i < 200 && gateway.gateway.subscriptions?.active !== 1; i++) await new Promise((r) => setTimeout(r, 5));
      const ws = await open(second);
      const answer = await Promise.race([
        new Promise<string>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)).type))),
        new Promise<string>((resolve) => setTimeout(() => resolve('nothing'), 300)),
      ]);
      return answer !== 'error';
    } finally {
      for (const ws of sockets) ws.terminate();
      await gateway.stop();
    }
  }

  it.each<[string, string[] | false, string, string, boolean]>([
    ['behind a trusted proxy: each forwarded address is a client', ['loopback'], '203.0.113.1', '203.0.113.2', true],
    ['behind a trusted proxy: the same forwarded address is the same client', ['loopback'], '203.0.113.1', '203.0.113.1', false],
    ['no trusted proxy: X-Forwarded-For is ignored, the peer is one client', false, '203.0.113.1', '203.0.113.2', false],
  ])('%s', async (_case, trustProxy, first, second, accepted) => {
    expect(await secondAccepted(trustProxy, first, second)).toBe(accepted);
  });
});

it('a connection may have subscriptions.maxOperationsPerConnection operations under way; one more gets CONNECTION_OPERATION_LIMIT_EXCEEDED, the others go on', async () => {
  const capped = await startJunction(subgraphs.supergraphSdl, { config: { subscriptions: { maxOperationsPerConnection: 2, maxPerClient: 0 } } });
  const ws = new WebSocket(capped.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  try {
    const messages: Array<{ id?: string; type: string; payload?: unknown }> = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(init);
    const arrived = async (n: number) => {
      for (let i = 0; i < 200 && messages.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    await arrived(1);
    for (const id of ['a', 'b', 'c']) ws.send(subscribe(id));
    await arrived(2);
    expect(messages[1]).toEqual({ id: 'c', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'CONNECTION_OPERATION_LIMIT_EXCEEDED', limit: 2 } })] });
    // One ends: room for another.
    ws.send(JSON.stringify({ id: 'a', type: 'complete' }));
    for (let i = 0; i < 200 && capped.gateway.subscriptions?.active !== 1; i++) await new Promise((r) => setTimeout(r, 5));
    ws.send(subscribe('d'));
    await new Promise((r) => setTimeout(r, 200));
    expect(messages.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(capped.gateway.subscriptions?.active).toBe(2);
    expect(ws.readyState).toBe(ws.OPEN);
  } finally {
    ws.terminate();
    await capped.stop();
  }
});
