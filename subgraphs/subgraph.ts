import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import { PubSub } from './pubsub';
import { createSubscriptionServer, flatHeaders, isSseRequest, type SubscriptionEvent, type SubscriptionServer } from './subscriptionServer';

export type { SubscriptionEvent } from './subscriptionServer';
export { PubSub } from './pubsub';

/** A sample subgraph: its federation SDL and resolvers. */
export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  // Resolver maps are loosely typed by @apollo/subgraph itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: any;
}

/** What resolvers get as their context, on every transport. */
export interface SubgraphContext {
  /** The HTTP request's headers (for WebSocket: the upgrade request's): the gateway forwards who the caller is. */
  headers: IncomingMessage['headers'];
  /** This server's pub/sub: mutations publish, subscriptions listen. */
  pubsub: PubSub;
  /** GraphQL over WebSocket only: the payload of the client's connection_init. */
  connectionParams?: Record<string, unknown>;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  /** Subscriptions open right now, over WebSocket and SSE together. */
  activeSubscriptions(): number;
  /** The server's pub/sub, for tests: publish directly, or count listeners left behind. */
  pubsub: PubSub;
  /** Stops serving; open WebSockets and event streams are cut, not drained, as if the server died. */
  stop(): Promise<void>;
}

export interface StartSubgraphOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Send stack traces in error extensions, as a subgraph left in development mode does. Default false. */
  includeStacktrace?: boolean;
  /**
   * Called once per GraphQL request the subgraph receives over HTTP (not per subscription: see
   * onSubscription); tests count subgraph traffic with it.
   */
  onRequest?: (request: {
    query?: string;
    operationName?: string;
    variables?: Record<string, unknown>;
    headers: Record<string, string>;
  }) => void;
  /**
   * Called once per subscription operation the subgraph starts, over WebSocket or SSE; tests count
   * the upstream subscriptions a gateway opens with it.
   */
  onSubscription?: (event: SubscriptionEvent) => void;
}

/** Largest request body accepted: what Apollo Server's standalone server allowed. */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

/**
 * Starts one subgraph on its own HTTP server: Apollo Server 5 for queries and mutations, and on the
 * same port and path, GraphQL over WebSocket (upgrades) and over SSE (`Accept: text/event-stream`).
 */
export async function startSubgraph(def: SubgraphDefinition, options: StartSubgraphOptions = {}): Promise<RunningSubgraph> {
  const host = options.host ?? '127.0.0.1';
  const schema = buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers }]);
  const pubsub = new PubSub();
  const httpServer = createServer();
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    plugins: [...apolloPlugins(options), ApolloServerPluginDrainHttpServer({ httpServer })],
    // Subgraphs sit behind the gateway: their stack traces must not reach it.
    includeStacktraceInErrorResponses: options.includeStacktrace ?? false,
  });
  await apollo.start();
  const subscriptions = createSubscriptionServer({
    schema,
    pubsub,
    path: '/graphql',
    exposeErrors: options.includeStacktrace ?? false,
    onSubscription: options.onSubscription,
  });
  httpServer.on('request', (req, res) => void serveHttp(req, res, apollo, subscriptions, pubsub));
  httpServer.on('upgrade', (req, socket, head) => subscriptions.upgrade(req, socket, head));
  let port: number;
  try {
    port = await listen(httpServer, options.port ?? 0, host);
  } catch (error) {
    await subscriptions.terminate();
    await apollo.stop();
    throw error;
  }
  return {
    name: def.name,
    url: `http://${host}:${port}/graphql`,
    port,
    activeSubscriptions: () => subscriptions.active(),
    pubsub,
    async stop() {
      // Streams first: Apollo's drain would otherwise wait for the open event streams to finish.
      await subscriptions.terminate();
      await apollo.stop();
    },
  };
}

function apolloPlugins(options: StartSubgraphOptions): ApolloServerPlugin<SubgraphContext>[] {
  // Inline (ftv1) traces are for Apollo Studio, which the sample does not use.
  const plugins: ApolloServerPlugin<SubgraphContext>[] = [ApolloServerPluginInlineTraceDisabled()];
  const { onRequest } = options;
  if (onRequest) {
    plugins.push({
      async requestDidStart({ request }) {
        const headers: Record<string, string> = {};
        for (const [k, v] of request.http?.headers ?? []) headers[k] = v;
        onRequest({ query: request.query, operationName: request.operationName, variables: request.variables, headers });
      },
    });
  }
  return plugins;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function serveHttp(req: IncomingMessage, res: ServerResponse, apollo: ApolloServer<SubgraphContext>, subscriptions: SubscriptionServer, pubsub: PubSub) {
  try {
    const body = await readBody(req);
    if (body === undefined) return void res.writeHead(413, { connection: 'close' }).end();
    if (isSseRequest(req)) return await subscriptions.serveSse(req, res, body);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers: headerMap(req), search: searchOf(req.url), body: jsonBody(req, body) },
      // Resolvers see the request headers: the gateway forwards who the caller is (e.g. x-user-id).
      context: async () => ({ headers: req.headers, pubsub }),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') return void res.end(response.body.string);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  } catch (error) {
    // A body that is not JSON, or a request racing stop(): the client gets a status, not a hang.
    if (!res.headersSent) res.writeHead(error instanceof SyntaxError ? 400 : 500, { 'content-type': 'text/plain' });
    res.end(error instanceof SyntaxError ? 'Request body is not valid JSON' : undefined);
  }
}

/** The body as text (null for none), or undefined once it passes MAX_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/** What Apollo Server expects as body: parsed JSON for a JSON request, `{}` otherwise (as body-parser gave it). */
function jsonBody(req: IncomingMessage, body: string | null): unknown {
  const json = /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
  return json && body !== null ? JSON.parse(body) : {};
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(flatHeaders(req.headers))) headers.set(name, value);
  return headers;
}

function searchOf(url = '/'): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at);
}
