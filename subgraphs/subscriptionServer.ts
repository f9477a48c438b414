/**
 * The subscription transports of a sample subgraph: GraphQL over WebSocket (the graphql-transport-ws
 * protocol, by graphql-ws) and GraphQL over SSE (by graphql-sse), both on the subgraph's own HTTP
 * server, next to Apollo Server's HTTP endpoint.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler, type RequestParams } from 'graphql-sse';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { PubSub } from './pubsub';

/** One subscription operation a subgraph started; see `StartSubgraphOptions.onSubscription`. */
export interface SubscriptionEvent {
  transport: 'ws' | 'sse';
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  headers: Record<string, string>;
  connectionParams?: Record<string, unknown>;
}

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  pubsub: PubSub;
  /** Path WebSocket upgrades are accepted on; others are refused. */
  path: string;
  /** Internal errors' messages go to WebSocket clients in close reasons. */
  exposeErrors: boolean;
  onSubscription?: (event: SubscriptionEvent) => void;
}

export interface SubscriptionServer {
  /** Serves a GraphQL over SSE request whose body (if any) was read already. */
  serveSse(req: IncomingMessage, res: ServerResponse, body: string | null): Promise<void>;
  /** Takes over an HTTP upgrade request for GraphQL over WebSocket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Subscriptions open now, on both transports. */
  active(): number;
  /** Cuts every WebSocket and event stream at once, as a crashing server would. */
  terminate(): Promise<void>;
}

type Result = Awaited<ReturnType<typeof import('graphql').subscribe>>;

/** Requests the SSE handler answers: event streams, and the single-connection mode's reservations. */
export function isSseRequest(req: IncomingMessage): boolean {
  return (
    (req.headers.accept ?? '').includes('text/event-stream') ||
    req.headers['x-graphql-event-stream-token'] !== undefined ||
    req.method === 'PUT' ||
    req.method === 'DELETE'
  );
}

export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  let open = 0;
  /** Calls onSubscription and counts the stream while it is open; other operations pass through. */
  const started: Started = (args, result, event) => {
    if (getOperationAST(args.document, args.operationName)?.operation !== 'subscription') return undefined;
    options.onSubscription?.(event);
    if (!isAsyncGenerator(result)) return undefined;
    open++;
    return countedWhileOpen(result, () => open--);
  };
  const wss = webSocketServer(options, started);
  const sse = sseServer(options, started);
  return {
    serveSse: sse.serve,
    upgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    active: () => open,
    async terminate() {
      for (const ws of wss.clients) ws.terminate();
      sse.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

type Started = (args: ExecutionArgs, result: Result, event: SubscriptionEvent) => Result | Stream<ExecutionResult> | undefined;

function webSocketServer(options: SubscriptionServerOptions, started: Started): WebSocketServer {
  // noServer: upgrades come from the subgraph's HTTP server, which also serves plain HTTP.
  const wss = new WebSocketServer({ noServer: true });
  useServer(
    {
      schema: options.schema,
      isProd: !options.exposeErrors,
      context: (ctx) => ({ headers: ctx.extra.request.headers, connectionParams: ctx.connectionParams, pubsub: options.pubsub }),
      onOperation: (ctx, _id, payload, args, result) =>
        started(args, result as Result, {
          transport: 'ws',
          query: payload.query,
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          headers: flatHeaders(ctx.extra.request.headers),
          connectionParams: ctx.connectionParams,
        }),
    },
    wss,
  );
  return wss;
}

function sseServer(options: SubscriptionServerOptions, started: Started) {
  const streams = new Set<ServerResponse>();
  // The operation's text as the client sent it, for onSubscription; keyed on the request object.
  const paramsOf = new WeakMap<object, RequestParams>();
  const handler = createHandler<IncomingMessage, undefined, { headers: IncomingHttpHeaders; pubsub: PubSub }>({
    schema: options.schema,
    context: (req) => ({ headers: req.raw.headers, pubsub: options.pubsub }),
    onSubscribe: (req, params) => void paramsOf.set(req, params),
    onOperation: (_ctx, req, args, result) => {
      const params = paramsOf.get(req);
      return started(args, result as Result, {
        transport: 'sse',
        query: params?.query,
        operationName: params?.operationName,
        variables: params?.variables,
        headers: flatHeaders(req.raw.headers),
      });
    },
  });
  async function serve(req: IncomingMessage, res: ServerResponse, body: string | null): Promise<void> {
    const accept = req.headers.accept ?? '';
    const [stream, init] = await handler({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: {
        // graphql-sse streams only for an Accept of exactly text/event-stream; clients may list more.
        get: (name) => (name === 'accept' && accept.includes('text/event-stream') ? 'text/event-stream' : flatHeaders(req.headers)[name]),
      },
      body,
      raw: req,
      context: undefined,
    });
    res.writeHead(init.status, init.statusText, init.headers);
    if (stream === null || typeof stream === 'string') {
      res.end(stream ?? undefined);
      return;
    }
    streams.add(res);
    // The client left (or terminate() cut it): ending the stream ends its operations.
    res.once('close', () => {
      streams.delete(res);
      void stream.return(undefined);
    });
    for await (const chunk of stream) {
      if (!res.writable) break;
      res.write(chunk);
    }
    res.end();
  }
  return {
    serve,
    terminate: () => {
      for (const res of streams) res.destroy();
    },
  };
}

/** What graphql-ws and graphql-sse take for a stream they may end: an iterator with return and throw. */
type Stream<T> = AsyncIterableIterator<T> & Required<Pick<AsyncIterator<T>, 'return' | 'throw'>>;

function isAsyncGenerator(value: unknown): value is AsyncGenerator {
  return typeof (value as AsyncGenerator | null)?.[Symbol.asyncIterator] === 'function' && typeof (value as AsyncGenerator).return === 'function';
}

/**
 * The same stream, calling `closed` once when it ends: by running out, by an error, or by the
 * transport's `return()` when the client leaves. A wrapper object, not an async generator, for the
 * reason given in PubSub.subscribe.
 */
function countedWhileOpen<T>(source: AsyncGenerator<T>, closed: () => void): Stream<T> {
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      closed();
    }
  };
  const settle = async (step: Promise<IteratorResult<T>>) => {
    try {
      const result = await step;
      if (result.done) close();
      return result;
    } catch (error) {
      close();
      throw error;
    }
  };
  const counted: Stream<T> = {
    next: (...args) => settle(source.next(...args)),
    return: (value) => {
      close();
      return source.return(value);
    },
    throw: (error) => {
      close();
      return source.throw(error);
    },
    [Symbol.asyncIterator]: () => counted,
  };
  return counted;
}
