/**
 * `Gateway`: the lifecycle of the supergraph it serves (loaded here or on the planning thread, swapped
 * whole), the caches that go with it, and a request's way through the steps of pipeline/: parse,
 * validate, plan, execute, with the plugins' hooks between them. The HTTP server (server/) adapts
 * requests to `Gateway.handle`; tests and benchmarks can call it directly. Which plugins run, and
 * with which clock, logger, transport and metrics, is the caller's choice (`createGateway`): the
 * built-in plugins are wired by server/startGateway.ts, not here.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayConfig } from './config';
import { createLogger, systemClock, type Clock, type Fetch, type Logger } from './deps';
import { SubgraphClient } from './execution/subgraphClient';
import { subgraphSubscriptionsFor } from './execution/subgraphSubscriptions';
import { defaultSubgraphFetch } from './execution/subgraphHttp';
import { requestContext } from './pipeline/clientInfo';
import { HookRunner } from './pipeline/hooks';
import { boundedCache } from './pipeline/prepare';
import { errorResponse } from './pipeline/requestError';
import type { GatewayResponse, GatewayResult } from './pipeline/result';
import { RequestTracker } from './pipeline/requestTracker';
import { revisionOn, runRequest, type PipelineEnv, type SupergraphState, type TransportAbilities } from './pipeline/runRequest';
import { SubscriptionHub, type Upstream } from './pipeline/subscribe';
import { loadSupergraph, type LoadedSupergraph } from './planning/loadSupergraph';
import { fallbackLogger, resolvePlanner, type PlannerName } from './planning/planner';
import { PlannerWorker } from './planning/plannerWorker';
import { GatewayMetrics } from './plugins/metrics/useMetrics';
import type { GatewayContext, GatewayPlugin, GatewayRequest } from './plugins/types';

export type { GatewayResponse, GatewayResult, GatewayStream } from './pipeline/result';

/**
 * The world a gateway talks to and the plugins it runs, injected so that an embedder or a test
 * controls each. `createGateway` fills in what is not given.
 */
export interface GatewayDeps {
  /** Time and timers (retry backoff, circuit breakers). Default: the system clock. */
  clock: Clock;
  /** Default: JSON lines on stderr at `config.logLevel`. */
  logger: Logger;
  /** The subgraph transport. Default: keep-alive undici pools (`limits.subgraphConnections`, `limits.subgraphTimeoutMs`), closed by `close()`. */
  fetch: Fetch;
  /** Where the gateway counts plan-cache lookups, compositions and circuit states. Default: a new `GatewayMetrics`. */
  metrics: GatewayMetrics;
  /** Run in this order on every request. Default: none (`startGateway` passes the built-in plugins, then the user's). */
  plugins: readonly GatewayPlugin[];
  /** A number in [0, 1) for each request's `percent(N)` override draw. Default: Math.random. */
  random: () => number;
  /** Opens subscriptions at subgraphs (graphql-transport-ws or SSE). Default: its own `SubgraphSubscriptions`, closed by `close()`. */
  upstream: Upstream;
}

export class Gateway {
  private state: SupergraphState | undefined;
  /** Requests from start to end: their request phase, onResult hooks, and the drain count. */
  private readonly requests: RequestTracker;
  private readonly client: SubgraphClient;
  private readonly pipeline: PipelineEnv;
  /** Where subscriptions run (counts; `endAll` at shutdown); undefined when `subscriptions.enabled` is false. */
  readonly subscriptions: SubscriptionHub | undefined;
  /** The planning thread, started by the first `load`. */
  private planner: PlannerWorker | undefined;
  /** The query planner `config.planner` resolves to here (see planning/planner.ts). */
  readonly plannerName: PlannerName;
  private readonly hooks: HookRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This gateway's Prometheus metrics (served at /metrics). */
  readonly metrics: GatewayMetrics;

  /**
   * @internal Use `createGateway`, which fills in the defaults. `owned`: what this gateway created
   * for itself and closes in `close()`.
   */
  constructor(readonly config: GatewayConfig, deps: GatewayDeps, private readonly owned: ReadonlyArray<{ close(): Promise<void> }> = []) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.plannerName = resolvePlanner(config.planner, this.logger);
    // A copy: the caller's array changing later changes nothing here.
    this.hooks = new HookRunner([...deps.plugins]);
    this.requests = new RequestTracker(this.hooks, this.clock, this.logger);
    this.metrics.observeCircuits(() => this.circuits());
    this.metrics.observeSubscriptions(() => ({ active: this.subscriptions?.active ?? 0, upstream: this.subscriptions?.upstreamCount ?? 0, connections: deps.upstream.connections?.() ?? 0 }));
    this.client = new SubgraphClient(deps.fetch, this.logger, config.deduplicateSubgraphRequests, {
      clock: this.clock,
      routing: config.routing,
      resilience: config.resilience,
      maxResponseBytes: config.limits.maxSubgraphResponseBytes,
    });
    this.subscriptions = config.subscriptions.enabled
      ? new SubscriptionHub(deps.upstream, { ...config.subscriptions, subgraphs: new Map(Object.entries(config.subscriptions.subgraphs)) }, this.logger)
      : undefined;
    this.pipeline = {
      subscriptions: this.subscriptions,
      labelled: new WeakMap(),
      hooks: this.hooks,
      documents: boundedCache(config.cache.documents),
      client: this.client,
      logger: this.logger,
      config,
      allowedErrorExtensions: new Set(config.subgraphErrors.allowedExtensions),
      onPlanLookup: (cached) => this.metrics.planCache.inc({ result: cached ? 'hit' : 'miss' }),
      random: deps.random,
    };
  }

  /** The supergraph being served, if any. */
  get supergraph(): LoadedSupergraph | undefined {
    return this.state?.loaded;
  }

  /**
   * Swaps in a new supergraph, loaded and planned on this thread (for embedding and tests: a served
   * gateway loads with `load`). Requests in flight finish on the one they started with; new requests
   * use this one. Throws (and changes nothing) if the SDL is not a valid supergraph.
   */
  useSupergraph(sdl: string): LoadedSupergraph {
    const loaded = loadSupergraph(sdl, { planner: this.plannerName });
    this.useLoadedSupergraph(loaded);
    return loaded;
  }

  /**
   * Loads a supergraph on the planning thread, without serving it: its operations are planned there
   * too. Rejects (with the loader's message) if the SDL is not a valid supergraph.
   */
  load(sdl: string): Promise<LoadedSupergraph> {
    this.planner ??= new PlannerWorker({
      planner: this.plannerName,
      onFallback: fallbackLogger(this.logger),
      planningTimeoutMs: this.config.limits.planningTimeoutMs,
      clock: this.clock,
    });
    return this.planner.load(sdl);
  }

  /** Serves a loaded supergraph (from `load`, or `loadSupergraph`): as `useSupergraph`. */
  useLoadedSupergraph(loaded: LoadedSupergraph): void {
    this.metrics.compositions.inc({ result: 'success' });
    this.state = {
      loaded,
      validated: boundedCache(this.config.cache.plans),
      operations: boundedCache(this.config.cache.plans),
      planning: new Map(),
    };
    this.logger.info('supergraph loaded', { hash: loaded.hash.slice(0, 12), subgraphs: [...loaded.subgraphUrls.keys()] });
    const state = this.state;
    if (this.subscriptions && this.subscriptions.active > 0) void this.subscriptions.revise((options) => revisionOn(state, options, this.pipeline));
  }

  /** Stops the planning thread and closes what this gateway created (its default transport); what was passed in is the caller's to close. */
  async close(): Promise<void> {
    await this.planner?.close();
    for (const resource of this.owned) await resource.close();
  }

  /** Answers a request over a transport that sends one response: a subscription is refused there. */
  handle(request: GatewayRequest): Promise<GatewayResponse> {
    return this.requests.track(request, (context) => this.run(request, context, { streaming: false })) as Promise<GatewayResponse>;
  }

  /**
   * Answers a request over a transport that can send a sequence of payloads (WebSocket, SSE,
   * multipart HTTP; `transport` says which kinds): a subscription gets a GatewayStream of its
   * events, an operation with `@defer` one of its parts; anything else one response.
   */
  handleStreaming(request: GatewayRequest, transport: TransportAbilities = { streaming: true, incremental: true }): Promise<GatewayResult> {
    return this.requests.track(request, (context) => this.run(request, context, transport));
  }

  private async run(request: GatewayRequest, context: GatewayContext, transport: TransportAbilities): Promise<GatewayResult> {
    try {
      return await runRequest(this.state, request, context, this.pipeline, transport);
    } catch (err) {
      return errorResponse(err, context.requestId, this.logger);
    }
  }

  /**
   * A long-lived connection opens (a WebSocket's `connection_init`, its credentials in `request`'s
   * headers): the plugins' onConnection hooks decide. Resolves to the refusal when one refuses.
   */
  async connect(request: GatewayRequest): Promise<GatewayResponse | undefined> {
    const context = requestContext(request, this.clock.now());
    try {
      await this.hooks.run('onConnection', { request, context });
      return undefined;
    } catch (err) {
      return errorResponse(err, context.requestId, this.logger);
    }
  }

  /**
   * Answers a request the transport refused before it became a GraphQL request (bad JSON, a body
   * too large, a content type it cannot read) with these errors. Plugins see it end like any other
   * request, so it is counted, logged and traced.
   */
  refuse(request: GatewayRequest, status: number, errors: readonly GraphQLFormattedError[]): Promise<GatewayResponse> {
    return this.requests.track(request, async () => ({ status, body: { errors: [...errors] } })) as Promise<GatewayResponse>;
  }

  /** The circuit state of every subgraph URL used so far. */
  circuits(): Array<{ subgraph: string; url: string; state: string }> {
    return this.client.circuits();
  }

  /**
   * Subgraphs of the served supergraph none of whose URLs is usable now: every circuit is open (a
   * URL not called yet counts as usable).
   */
  subgraphsWithoutHealthyUrl(): string[] {
    return this.state ? this.client.withoutHealthyUrl(this.state.loaded.subgraphUrls) : [];
  }

  /** Requests being handled right now. */
  get requestsInFlight(): number {
    return this.requests.inFlight;
  }

  /** Resolves once no request is in flight (at once when none is). */
  drain(): Promise<void> {
    return this.requests.drain();
  }
}

/**
 * A gateway with `deps`, each missing one a neutral default: the system clock, a logger at
 * `config.logLevel`, its own keep-alive transport, new metrics, and no plugins: none of the built-in
 * ones (authentication, authorization, cost, budgets, metrics, tracing, request log) runs unless
 * passed, e.g. `builtInPlugins(config, deps).plugins`, as `startGateway` does. Serve a supergraph
 * with `useSupergraph` or `load` + `useLoadedSupergraph`.
 */
export function createGateway(config: GatewayConfig, deps: Partial<GatewayDeps> = {}): Gateway {
  const ownedFetch = deps.fetch ? undefined : defaultSubgraphFetch(config.limits);
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const ownedUpstream = deps.upstream ? undefined : subgraphSubscriptionsFor(config, logger, clock);
  const complete: GatewayDeps = {
    clock,
    logger,
    fetch: deps.fetch ?? ownedFetch!,
    metrics: deps.metrics ?? new GatewayMetrics(),
    plugins: deps.plugins ?? [],
    random: deps.random ?? Math.random,
    upstream: deps.upstream ?? ownedUpstream!,
  };
  return new Gateway(config, complete, [...(ownedUpstream ? [ownedUpstream] : []), ...(ownedFetch ? [ownedFetch] : [])]);
}
