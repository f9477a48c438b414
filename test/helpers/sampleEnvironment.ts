import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { print } from 'graphql';
import { composeSupergraph } from '../../gateway/src/composition/composeSupergraph';
import { resolveConfig, type GatewayConfigInput } from '../../gateway/src/config';
import { silentLogger, type Clock } from '../../gateway/src/deps';
import type { GatewayPlugin } from '../../gateway/src/plugins/types';
import { stripSecurityFeatures } from './stripSecurityFeatures';
import { startGateway, type StartedGateway } from '../../gateway/src/server/startGateway';
import { SAMPLE_SUBGRAPHS, startSubgraph, type RunningSubgraph, type SubscriptionEvent } from '../../subgraphs';

export interface SubgraphRequestLog {
  subgraph: string;
  query: string | undefined;
  variables: Record<string, unknown> | undefined;
  headers: Record<string, string>;
}

export interface SampleSubgraphs {
  subgraphs: RunningSubgraph[];
  /** Every request the subgraphs received, in arrival order. */
  requests: SubgraphRequestLog[];
  /** Every subscription the subgraphs started (over WebSocket or SSE), in order. */
  subscriptions: Array<SubscriptionEvent & { subgraph: string }>;
  /** The supergraph composed with the subgraphs' ephemeral URLs. */
  supergraphSdl: string;
  url(name: string): string;
  stop(): Promise<void>;
}

/** The four sample subgraphs on free ports, each counting the requests it receives. */
export async function startSampleSubgraphs(): Promise<SampleSubgraphs> {
  const requests: SubgraphRequestLog[] = [];
  const subscriptions: SampleSubgraphs['subscriptions'] = [];
  const subgraphs = await Promise.all(
    SAMPLE_SUBGRAPHS.map(({ definition }) =>
      startSubgraph(definition, {
        port: 0,
        onRequest: (req) => requests.push({ subgraph: definition.name, query: req.query, variables: req.variables, headers: req.headers }),
        onSubscription: (event) => subscriptions.push({ subgraph: definition.name, ...event }),
      }),
    ),
  );
  const outcome = composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition }, i) => ({ name: definition.name, url: subgraphs[i].url, sdl: print(definition.typeDefs) })),
  );
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return {
    subgraphs,
    requests,
    subscriptions,
    supergraphSdl: outcome.supergraphSdl,
    url: (name) => subgraphs.find((s) => s.name === name)!.url,
    stop: async () => {
      await Promise.all(subgraphs.map((s) => s.stop()));
    },
  };
}

/** Junction on a free port over the given supergraph. */
export async function startJunction(
  supergraphSdl: string,
  options: { config?: Omit<GatewayConfigInput, 'supergraph' | 'subgraphs'>; plugins?: GatewayPlugin[]; policyModulePath?: string; clock?: Clock } = {},
): Promise<StartedGateway> {
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', ...options.config, listen: { ...options.config?.listen, host: '127.0.0.1', port: 0 } });
  return startGateway({ config, supergraphSdl, plugins: options.plugins, logger: silentLogger, policyModulePath: options.policyModulePath, clock: options.clock });
}

/**
 * The oracle: a plain @apollo/gateway inside Apollo Server on a free port, serving the supergraph
 * without its authorization directives (which it refuses to load).
 */
export async function startApolloGateway(supergraphSdl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl: stripSecurityFeatures(supergraphSdl), logger: quietLogger }),
    includeStacktraceInErrorResponses: false,
    logger: quietLogger,
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, stop: () => server.stop() };
}

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface GraphQLResponse {
  status: number;
  contentType: string | null;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; locations?: unknown; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

/** POSTs a GraphQL request. */
export async function postGraphQL(
  url: string,
  request: { query?: string; documentId?: string; variables?: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(request),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as GraphQLResponse['body'] };
}
