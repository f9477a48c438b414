/**
 * SubgraphSubscriptions against real subgraphs on free ports: graphql-ws's server (over ws) and
 * graphql-sse's handler, both serving a small schema whose streams the tests drive by hand.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLError } from 'graphql';
import type { useServer as UseServer } from 'graphql-ws/dist/use/ws';
import { createHandler } from 'graphql-sse/lib/use/http';
import { WebSocketServer } from 'ws';
import { silentLogger, systemClock } from '../../deps';
import type { SubgraphResponse } from '../subgraphClient';
import { SubgraphSubscriptions, type SubscriptionProtocol, type UpstreamSink } from '../subgraphSubscriptions';

// graphql-ws publishes `use/ws` only through package exports, which this tsconfig's resolution does not read.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as { useServer: typeof UseServer };

/** A subscription's source the test feeds by hand; `returned` settles when the server stops reading it. */
class Channel implements AsyncIterableIterator<unknown> {
  private readonly queue: unknown[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  readonly returned: Promise<void>;
  private onReturn!: () => void;
  constructor() {
    this.returned = new Promise((resolve) => (this.onReturn = resolve));
  }
  push(...values: unknown[]): void {
    this.queue.push(...values);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async next(): Promise<IteratorResult<unknown>> {
    while (this.queue.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.queue.length > 0) return { done: false, value: this.queue.shift() };
    return { done: true, value: undefined };
  }
  async return(): Promise<IteratorResult<unknown>> {
    this.ended = true;
    this.onReturn();
    this.wake?.();
    return { done: true, value: undefined };
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

/** What a subgraph saw, and the handles to drive and break it. */
class Subgraph extends EventEmitter {
  readonly channels: Channel[] = [];
  readonly requestHeaders: IncomingHttpHeaders[] = [];
  readonly connectionParams: unknown[] = [];
  readonly sockets = new Set<Socket>();
  url = '';
  /** ws: the server closes every socket with this code, as a subgraph restarting cleanly would. */
  closeSockets: (code: number) => void = () => {};
  constructor(readonly server: Server) {
    super();
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.emit('change');
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.emit('change');
      });
    });
  }
  /** Resolves when `ready()` holds, checked at each change the subgraph sees. */
  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await once(this, 'change');
  }
  async channel(index: number): Promise<Channel> {
    await this.until(() => this.channels.length > index);
    return this.channels[index];
  }
  /** The subgraph dies: every connection cut, nothing listening. */
  async kill(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

function schemaFor(subgraph: Subgraph): GraphQLSchema {
  const stream = () => {
    const channel = new Channel();
    subgraph.channels.push(channel);
    subgraph.emit('change');
    return channel;
  };
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'hi' } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: { type: GraphQLInt, args: { n: { type: GraphQLInt } }, subscribe: stream, resolve: (value) => value },
        text: { type: GraphQLString, subscribe: stream, resolve: (value) => value },
      },
    }),
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function startSubgraph(protocol: SubscriptionProtocol, options: { ack?: boolean } = {}): Promise<Subgraph> {
  if (protocol === 'ws') {
    const subgraph = new Subgraph(createServer());
    const wss = new WebSocketServer({ server: subgraph.server, path: '/graphql' });
    wss.on('connection', (_socket, request) => subgraph.requestHeaders.push(request.headers));
    subgraph.closeSockets = (code) => wss.clients.forEach((socket) => socket.close(code, 'bye from 10.0.0.7'));
    useServer(
      {
        schema: schemaFor(subgraph),
        onConnect: (ctx) => {
          subgraph.connectionParams.push(ctx.connectionParams);
          // Never acknowledging: the client's timeout is what ends it.
          if (options.ack === false) return new Promise<boolean>(() => {});
          return true;
        },
      },
      wss,
    );
    subgraph.url = await listen(subgraph.server);
    return subgraph;
  }
  const subgraph = new Subgraph(createServer());
  const handler = createHandler({ schema: schemaFor(subgraph) });
  subgraph.server.on('request', (req, res) => {
    subgraph.requestHeaders.push(req.headers);
    handler(req, res).catch(() => res.destroy());
  });
  subgraph.url = await listen(subgraph.server);
  return subgraph;
}

/** A sink that keeps everything it is given. */
class Recorder extends EventEmitter implements UpstreamSink {
  readonly events: SubgraphResponse[] = [];
  errors: GraphQLError[] = [];
  completed = 0;
  readonly ended = new Promise<'complete' | GraphQLError>((resolve) => this.once('end', resolve));
  next(response: SubgraphResponse): void {
    this.events.push(response);
    this.emit('next');
  }
  error(error: GraphQLError): void {
    this.errors.push(error);
    this.emit('end', error);
  }
  complete(): void {
    this.completed++;
    this.emit('end', 'complete');
  }
  async received(n: number): Promise<void> {
    while (this.events.length < n) await once(this, 'next');
  }
}

const TICKS = 'subscription Ticks { ticks(n: 3) }';
const subscriptions: SubgraphSubscriptions[] = [];
const subgraphs: Subgraph[] = [];

function client(options: ConstructorParameters<typeof SubgraphSubscriptions>[0]['options'] = {}): SubgraphSubscriptions {
  const made = new SubgraphSubscriptions({ logger: silentLogger, clock: systemClock, options: { keepAliveMs: 0, maxMessageBytes: 1_000, ...options } });
  subscriptions.push(made);
  return made;
}

async function subgraph(protocol: SubscriptionProtocol, options?: { ack?: boolean }): Promise<Subgraph> {
  const started = await startSubgraph(protocol, options);
  subgraphs.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(subscriptions.splice(0).map((s) => s.close()));
  await Promise.all(subgraphs.splice(0).map((s) => (s.server.listening ? s.kill() : undefined)));
});

function expectClosed(error: 'complete' | GraphQLError, reason: string, url: string): void {
  expect(error).not.toBe('complete');
  const { message, extensions } = error as GraphQLError;
  expect({ code: extensions.code, serviceName: extensions.serviceName, reason: extensions.reason }).toEqual({
    code: 'SUBSCRIPTION_UPSTREAM_CLOSED',
    serviceName: 'clock',
    reason,
  });
  const port = new URL(url).port;
  expect(JSON.stringify({ message, extensions })).not.toMatch(new RegExp(`127\\.0\\.0\\.1|localhost|${port}`));
}

describe.each<SubscriptionProtocol>(['ws', 'sse'])('over %s', (protocol) => {
  const target = (s: Subgraph) => ({ subgraph: 'clock', url: s.url, protocol });

  it('delivers events in order, then the subgraph completion; headers reach the subgraph', async () => {
    const s = await subgraph(protocol);
    const sub = client();
    const sink = new Recorder();
    sub.subscribe(target(s), { query: TICKS, operationName: 'Ticks', headers: { Authorization: 'Bearer t1', 'x-trace': 'a' } }, sink);
    const channel = await s.channel(0);
    channel.push(1, 2, 3);
    channel.end();
    expect(await sink.ended).toBe('complete');
    expect(sink.events).toEqual([{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
    expect(s.requestHeaders[0]).toMatchObject({ authorization: 'Bearer t1', 'x-trace': 'a' });
    if (protocol === 'ws') expect(s.connectionParams).toEqual([{ headers: { authorization: 'Bearer t1', 'x-trace': 'a' } }]);
    expect(sub.active()).toBe(0);
  });

  it('passes the subgraph errors on as an event', async () => {
    const s = await subgraph(protocol);
    const sink = new Recorder();
    client().subscribe(target(s), { query: 'subscription { nope }', headers: {} }, sink);
    expect(await sink.ended).toBe('complete');
    expect(sink.events).toEqual([{ errors: [expect.objectContaining({ message: expect.stringContaining('nope') })] }]);
  });

  it('stop() tells the subgraph (its source is returned), and the sink hears nothing more', async () => {
    const s = await subgraph(protocol);
    const sub = client();
    const sink = new Recorder();
    const stop = sub.subscribe(target(s), { query: TICKS, headers: {} }, sink);
    const channel = await s.channel(0);
    channel.push(1);
    await sink.received(1);
    stop();
    stop();
    await channel.returned;
    // Over SSE the aborted request is the whole story (the HTTP client may keep its socket for reuse).
    if (protocol === 'ws') await s.until(() => s.sockets.size === 0);
    expect({ events: sink.events.length, completed: sink.completed, errors: sink.errors.length, active: sub.active() }).toEqual({ events: 1, completed: 0, errors: 0, active: 0 });
  });

  it('a subgraph that dies mid-stream ends the subscription with SUBSCRIPTION_UPSTREAM_CLOSED, once', async () => {
    const s = await subgraph(protocol);
    const sub = client();
    const sink = new Recorder();
    sub.subscribe(target(s), { query: TICKS, headers: {} }, sink);
    const channel = await s.channel(0);
    channel.push(1);
    await sink.received(1);
    await s.kill();
    expectClosed(await sink.ended, protocol === 'ws' ? 'connection lost' : 'connection reset', s.url);
    expect({ errors: sink.errors.length, completed: sink.completed, active: sub.active(), connections: sub.connections() }).toEqual({ errors: 1, completed: 0, active: 0, connections: 0 });
  });

  it('a refused connection ends the subscription', async () => {
    const s = await subgraph(protocol);
    await s.kill();
    const sink = new Recorder();
    client().subscribe(target(s), { query: TICKS, headers: {} }, sink);
    expectClosed(await sink.ended, 'connection refused', s.url);
  });

  it('an event larger than maxMessageBytes ends the subscription after the events before it', async () => {
    const s = await subgraph(protocol);
    const sink = new Recorder();
    client().subscribe(target(s), { query: 'subscription { text }', headers: {} }, sink);
    const channel = await s.channel(0);
    channel.push('small', 'x'.repeat(5_000), 'after');
    expectClosed(await sink.ended, 'message too large', s.url);
    expect(sink.events).toEqual([{ data: { text: 'small' } }]);
  });
});

describe('over ws, one socket per subgraph, URL and headers', () => {
  const target = (s: Subgraph) => ({ subgraph: 'clock', url: s.url, protocol: 'ws' as const });

  it('shares a socket between subscriptions with the same headers, and closes it after the last stops', async () => {
    const s = await subgraph('ws');
    const sub = client();
    const [a, b] = [new Recorder(), new Recorder()];
    const stopA = sub.subscribe(target(s), { query: TICKS, headers: { authorization: 'same' } }, a);
    const stopB = sub.subscribe(target(s), { query: TICKS, headers: { Authorization: 'same' } }, b);
    const [first, second] = [await s.channel(0), await s.channel(1)];
    first.push(1);
    second.push(10);
    await Promise.all([a.received(1), b.received(1)]);
    expect({ server: s.sockets.size, client: sub.connections(), bySubgraph: { ...sub.connectionsBySubgraph() }, active: sub.active() }).toEqual({
      server: 1,
      client: 1,
      bySubgraph: { clock: 1 },
      active: 2,
    });
    stopA();
    await first.returned;
    expect(s.sockets.size).toBe(1);
    stopB();
    await s.until(() => s.sockets.size === 0);
    // The gauge drops when the client socket has closed too; close() waits for exactly that.
    await sub.close();
    expect(sub.connections()).toBe(0);
  });

  it('opens separate sockets for different headers', async () => {
    const s = await subgraph('ws');
    const sub = client();
    sub.subscribe(target(s), { query: TICKS, headers: { authorization: 'alice' } }, new Recorder());
    sub.subscribe(target(s), { query: TICKS, headers: { authorization: 'bob' } }, new Recorder());
    await s.channel(1);
    expect(s.sockets.size).toBe(2);
    expect(s.requestHeaders.map((h) => h.authorization).sort()).toEqual(['alice', 'bob']);
  });

  it('a lost socket ends every subscription on it', async () => {
    const s = await subgraph('ws');
    const sub = client();
    const [a, b] = [new Recorder(), new Recorder()];
    sub.subscribe(target(s), { query: TICKS, headers: {} }, a);
    sub.subscribe(target(s), { query: TICKS, headers: {} }, b);
    await s.channel(1);
    await s.kill();
    const ends = await Promise.all([a.ended, b.ended]);
    for (const end of ends) expectClosed(end, 'connection lost', s.url);
  });

  it('a clean close (1000) with subscriptions open ends them too: graphql-ws would reconnect and resubscribe', async () => {
    const s = await subgraph('ws');
    const sink = new Recorder();
    client().subscribe(target(s), { query: TICKS, headers: {} }, sink);
    await s.channel(0);
    s.closeSockets(1000);
    expectClosed(await sink.ended, 'connection closed', s.url);
    await s.until(() => s.sockets.size === 0);
    expect(s.requestHeaders).toHaveLength(1);
  });

  it('a subgraph that never acknowledges the connection is given up after connectionInitTimeoutMs', async () => {
    const s = await subgraph('ws', { ack: false });
    const sub = client({ connectionInitTimeoutMs: 50 });
    const sink = new Recorder();
    sub.subscribe(target(s), { query: TICKS, headers: {} }, sink);
    expectClosed(await sink.ended, 'connection_ack timeout', s.url);
    expect(sub.active()).toBe(0);
    await s.until(() => s.sockets.size === 0);
  });

  it('close() stops everything and resolves once the sockets are closed', async () => {
    const s = await subgraph('ws');
    const sub = client();
    const sink = new Recorder();
    sub.subscribe(target(s), { query: TICKS, headers: {} }, sink);
    const channel = await s.channel(0);
    await sub.close();
    await channel.returned;
    expect({ connections: sub.connections(), active: sub.active(), completed: sink.completed, errors: sink.errors.length }).toEqual({ connections: 0, active: 0, completed: 0, errors: 0 });
  });
});

describe('over sse, a stream that ends without complete', () => {
  it('ends the subscription after the events it carried', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: next\ndata: {"data":{"ticks":1}}\n\n');
    });
    const s = new Subgraph(server);
    subgraphs.push(s);
    s.url = await listen(server);
    const sink = new Recorder();
    client().subscribe({ subgraph: 'clock', url: s.url, protocol: 'sse' }, { query: TICKS, headers: {} }, sink);
    expectClosed(await sink.ended, 'connection closed', s.url);
    expect(sink.events).toEqual([{ data: { ticks: 1 } }]);
  });

  it('refuses an event that is not a GraphQL response', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: next\ndata: {"data":[1]}\n\n');
    });
    const s = new Subgraph(server);
    subgraphs.push(s);
    s.url = await listen(server);
    const sink = new Recorder();
    client().subscribe({ subgraph: 'clock', url: s.url, protocol: 'sse' }, { query: TICKS, headers: {} }, sink);
    expectClosed(await sink.ended, 'invalid message', s.url);
    expect(sink.events).toEqual([]);
  });
});
