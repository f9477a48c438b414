/**
 * `Gateway`: the lifecycle of the supergraph it serves (loaded here or on the planning thread, swapped
 * whole), the caches that go with it, and a request's way through the steps of pipeline/: parse,
 * validate, plan, execute, with the plugins' hooks between them. The HTTP server (server/) adapts
 * requests to `Gateway.handle`; tests and benchmarks can call it directly.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentNode, GraphQLFormattedError, ValidationRule } from 'graphql';
import type { LRUCache } from 'lru-cache';
import type { GatewayConfig } from './config';
import { createLogger, systemClock, type Clock, type Fetch, type Logger } from './deps';
import { GatewayErrorCode, gatewayError } from './errors/gatewayError';
import { SubgraphClient } from './execution/subgraphClient';
import { createUndiciFetch } from './execution/subgraphHttp';
import { executeOperation } from './pipeline/execute';
import { HookRunner } from './pipeline/hooks';
import { parseDocument } from './pipeline/parse';
import { MAX_CACHED_QUERY, boundedCache, prepareOperation, type PlanCache } from './pipeline/prepare';
import { RequestError, errorResponse } from './pipeline/requestError';
import type { GatewayResponse } from './pipeline/result';
import { LARGE_DOCUMENT, limitRules, resolveOperation, validateDocument, yieldToEventLoop } from './pipeline/validate';
import { loadSupergraph, type LoadedSupergraph } from './planning/loadSupergraph';
import { PlannerWorker } from './planning/plannerWorker';
import type { BudgetStore } from './plugins/budgets/budgetStore';
import { builtInPlugins, createBudgetStore } from './plugins/builtInPlugins';
import { GatewayMetrics } from './plugins/metrics/useMetrics';
import { createTracing, type GatewayTracing } from './plugins/tracing/tracerProvider';
import type { GatewayContext, GatewayPlugin, GatewayRequest, OperationReplacement } from './plugins/types';

export type { GatewayResponse } from './pipeline/result';

export interface GatewayOptions {
  config: GatewayConfig;
  plugins?: readonly GatewayPlugin[];
  clock?: Clock;
  logger?: Logger;
  /** Subgraph transport. Default: keep-alive undici pools. */
  fetch?: Fetch;
  /** Absolute path of `authorization.policyModule`. */
  policyModulePath?: string;
}

/** One supergraph and the caches that are only valid for it; replaced whole on a schema change. */
interface SchemaState extends PlanCache {
  readonly loaded: LoadedSupergraph;
  /** Query texts that validated against this supergraph. */
  readonly validated: LRUCache<string, true>;
}

export class Gateway {
  private state: SchemaState | undefined;
  private inFlight = 0;
  private readonly drained: Array<() => void> = [];
  private readonly documents: LRUCache<string, DocumentNode>;
  private readonly limitRules: readonly ValidationRule[];
  private readonly client: SubgraphClient;
  private readonly ownedFetch: (Fetch & { close(): Promise<void> }) | undefined;
  /** The planning thread, started by the first `load`. */
  private planner: PlannerWorker | undefined;
  /** The transport to subgraphs, also used to fetch their SDL. */
  readonly fetch: Fetch;
  /** Per-client query budgets (when `budgets.enabled`). */
  readonly budgetStore: BudgetStore | undefined;
  /** This gateway's Prometheus metrics (served at /metrics). */
  readonly metrics = new GatewayMetrics();
  /** OpenTelemetry tracing (when `tracing.enabled`). */
  readonly tracing: GatewayTracing | undefined;
  private readonly plugins: readonly GatewayPlugin[];
  private readonly hooks: HookRunner;
  private readonly allowedErrorExtensions: ReadonlySet<string>;
  readonly clock: Clock;
  readonly logger: Logger;

  constructor(readonly config: GatewayConfig, options: Omit<GatewayOptions, 'config'> = {}) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logLevel);
    this.documents = boundedCache(config.cache.documents);
    this.limitRules = limitRules(config.limits);
    this.allowedErrorExtensions = new Set(config.subgraphErrors.allowedExtensions);
    let fetch = options.fetch;
    if (!fetch) {
      this.ownedFetch = createUndiciFetch({ connections: config.limits.subgraphConnections, timeoutMs: config.limits.subgraphTimeoutMs });
      fetch = this.ownedFetch;
    }
    this.fetch = fetch;
    this.budgetStore = createBudgetStore(config, this.logger);
    this.tracing = config.tracing.enabled
      ? createTracing(config.tracing, { logger: this.logger, onExportFailure: () => this.metrics.traceExportFailures.inc() })
      : undefined;
    this.plugins = [
      ...builtInPlugins(config, { fetch, clock: this.clock, logger: this.logger, policyModulePath: options.policyModulePath, budgetStore: this.budgetStore, metrics: this.metrics, tracer: this.tracing?.tracer }),
      ...(options.plugins ?? []),
    ];
    this.hooks = new HookRunner(this.plugins);
    this.metrics.observeCircuits(() => this.circuits());
    this.client = new SubgraphClient(fetch, this.logger, config.deduplicateSubgraphRequests, {
      clock: this.clock,
      routing: config.routing,
      resilience: config.resilience,
      maxResponseBytes: config.limits.maxSubgraphResponseBytes,
    });
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
    const loaded = loadSupergraph(sdl);
    this.useLoadedSupergraph(loaded);
    return loaded;
  }

  /**
   * Loads a supergraph on the planning thread, without serving it: its operations are planned there
   * too. Rejects (with the loader's message) if the SDL is not a valid supergraph.
   */
  load(sdl: string): Promise<LoadedSupergraph> {
    this.planner ??= new PlannerWorker();
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
  }

  async close(): Promise<void> {
    await this.planner?.close();
    await this.ownedFetch?.close();
    await this.budgetStore?.close();
    // Last: spans of the requests that just finished are still to be exported.
    await this.tracing?.shutdown();
  }

  async handle(request: GatewayRequest): Promise<GatewayResponse> {
    return this.track(request, async (context) => {
      try {
        return await this.run(request, context);
      } catch (err) {
        return errorResponse(err, context.requestId, this.logger);
      }
    });
  }

  /**
   * Answers a request the transport refused before it became a GraphQL request (bad JSON, a body
   * too large, a content type it cannot read) with these errors. Plugins see it end like any other
   * request, so it is counted, logged and traced.
   */
  refuse(request: GatewayRequest, status: number, errors: readonly GraphQLFormattedError[]): Promise<GatewayResponse> {
    return this.track(request, async () => ({ status, body: { errors: [...errors] } }));
  }

  /** One request from start to end: its context, the request phase, the onResult hooks, the drain count. */
  private async track(request: GatewayRequest, respond: (context: GatewayContext) => Promise<GatewayResponse>): Promise<GatewayResponse> {
    const context: GatewayContext = { requestId: requestIdFrom(request.headers['x-request-id']), startedAt: this.clock.now() };
    this.inFlight++;
    try {
      const endRequest = this.hooks.startPhase('request', request, context);
      const response = await this.hooks.onResult(request, context, await respond(context), (err) => errorResponse(err, context.requestId, this.logger));
      endRequest?.({ status: response.status, result: response.body });
      return response;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
    }
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
    return this.inFlight;
  }

  /** Resolves once no request is in flight (at once when none is). */
  drain(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.drained.push(resolve));
  }

  /** The request's way through the pipeline: hooks between parse, validate, plan and execute. */
  private async run(request: GatewayRequest, context: GatewayContext): Promise<GatewayResponse> {
    const state = this.state;
    if (!state) throw new RequestError([gatewayError(GatewayErrorCode.SUPERGRAPH_NOT_READY, 'The gateway has no supergraph loaded yet.')], 503);
    const { loaded } = state;
    await this.hooks.run('onRequest', { request, context });
    const query = request.query;
    if (typeof query !== 'string' || query.trim() === '') {
      throw new RequestError([gatewayError(GatewayErrorCode.BAD_REQUEST, 'GraphQL operations must contain a non-empty `query`.')], 400);
    }
    // Each phase of a large document costs the CPU of tens of ms, all synchronous: between phases,
    // other requests (and /healthz) get the event loop, so one request never holds it for the sum.
    const large = query.length > LARGE_DOCUMENT;
    const document = this.hooks.phase('parse', request, context, (outcome) => this.parse(query, outcome));
    if (large) await yieldToEventLoop();
    await this.hooks.run('onParsed', { request, context, document });

    const { operation, variables } = await this.hooks.phase('validate', request, context, async () => {
      // Only successes are cached: a stream of distinct invalid documents must not fill the caches.
      if (!state.validated.has(query)) {
        await validateDocument(loaded.schema, document, this.limitRules, large);
        if (query.length <= MAX_CACHED_QUERY) {
          state.validated.set(query, true);
          this.documents.set(query, document);
        }
      }
      return resolveOperation(loaded.schema, document, request);
    });
    if (large) await yieldToEventLoop();
    const operationEvent = { request, context, document, operation, operationKind: operation.operation, variables, supergraph: loaded };
    let replacement: OperationReplacement | undefined;
    const replaceOperation = (r: OperationReplacement) => {
      replacement = r;
    };
    await this.hooks.run('onValidated', { ...operationEvent, replaceOperation });

    if (large) await yieldToEventLoop();
    const prepared = await this.hooks.phase('plan', request, context, (outcome) => {
      const planned = prepareOperation(state, loaded, { document, query, operation, operationName: request.operationName, replacement }, this.logger, outcome);
      this.metrics.planCache.inc({ result: outcome.cached ? 'hit' : 'miss' });
      return planned;
    });
    if (large) await yieldToEventLoop();
    await this.hooks.run('onPlanned', { ...operationEvent, plan: prepared.plan });

    return this.hooks.phase('execute', request, context, () =>
      executeOperation({
        loaded,
        prepared,
        requestVariables: request.variables ?? {},
        variables,
        replacementErrors: replacement?.errors ?? [],
        client: this.client,
        before: this.hooks.beforeSubgraphRequest(request, context),
        requestId: context.requestId,
        logger: this.logger,
        allowedErrorExtensions: this.allowedErrorExtensions,
        mask: { enabled: this.config.maskSubgraphErrors, unmaskedCodes: this.config.unmaskedCodes },
      }),
    );
  }

  /**
   * Parses a query, or takes it from the document cache. Only documents that validated are cached
   * (see run): hostile or broken queries, each different, must not fill the caches.
   */
  private parse(query: string, outcome: { cached?: boolean }): DocumentNode {
    const cached = this.documents.get(query);
    outcome.cached = cached !== undefined;
    return cached ?? parseDocument(query, this.config.limits.maxTokens);
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Creates a gateway serving `supergraphSdl` (if given). */
export function createGateway(options: GatewayOptions & { supergraphSdl?: string }): Gateway {
  const gateway = new Gateway(options.config, options);
  if (options.supergraphSdl !== undefined) gateway.useSupergraph(options.supergraphSdl);
  return gateway;
}
