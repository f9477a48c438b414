import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';

/** A sample subgraph: its federation SDL and resolvers. */
export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  // Resolver maps are loosely typed by @apollo/subgraph itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolvers: any;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartSubgraphOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Send stack traces in error extensions, as a subgraph left in development mode does. Default false. */
  includeStacktrace?: boolean;
  /** Called once per GraphQL request the subgraph receives; tests count subgraph traffic with it. */
  onRequest?: (request: {
    query?: string;
    operationName?: string;
    variables?: Record<string, unknown>;
    headers: Record<string, string>;
  }) => void;
}

/** Starts one subgraph on its own HTTP server (Apollo Server 5 standalone). */
export async function startSubgraph(def: SubgraphDefinition, options: StartSubgraphOptions = {}): Promise<RunningSubgraph> {
  // Inline (ftv1) traces are for Apollo Studio, which the sample does not use.
  const plugins: ApolloServerPlugin[] = [ApolloServerPluginInlineTraceDisabled()];
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
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers }]),
    plugins,
    // Subgraphs sit behind the gateway: their stack traces must not reach it.
    includeStacktraceInErrorResponses: options.includeStacktrace ?? false,
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
    // Resolvers see the request headers: the gateway forwards who the caller is (e.g. x-user-id).
    context: async ({ req }) => ({ headers: req.headers }),
  });
  const port = Number(new URL(url).port);
  return {
    name: def.name,
    url: `http://${options.host ?? '127.0.0.1'}:${port}/graphql`,
    port,
    stop: () => server.stop(),
  };
}

