/**
 * The request pipeline, transport aside: parse -> validate -> resolve operation and variables -> plan
 * -> execute -> shape, with plugin hooks between the phases. The HTTP server (server/) adapts
 * requests to `Gateway.handle`; tests and benchmarks can call it directly.
 */
import { randomUUID } from 'node:crypto';
import type { QueryPlan } from '@apollo/query-planner';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  executeSync,
  getOperationAST,
  parse,
  specifiedRules,
  OverlappingFieldsCanBeMergedRule,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { LRUCache } from 'lru-cache';
import type { GatewayConfig } from './config';
import { createLogger, systemClock, type Clock, type Fetch, type Logger } from './deps';
import { GatewayErrorCode, formatError, gatewayError, headersOf, statusOf } from './errors/gatewayError';
import { SubgraphError } from './errors/subgraphError';
import { executePlan } from './execution/executePlan';
import { applyOperationShape, compileOperationShape, type FieldShape, type OperationShape } from './execution/responseShape';
import { SubgraphClient } from './execution/subgraphClient';
import { createUndiciFetch } from './execution/subgraphHttp';
import { fragmentsOf } from './graphql/fragmentsOf';
import { loadSupergraph, type LoadedSupergraph } from './planning/loadSupergraph';
import { UnplannableOperationError } from './planning/planOperation';
import { PlannerWorker } from './planning/plannerWorker';
import type { BudgetStore } from './plugins/budgets/budgetStore';
import { builtInPlugins, createBudgetStore } from './plugins/builtInPlugins';
import { GatewayMetrics } from './plugins/metrics/useMetrics';
import { createTracing, type GatewayTracing } from './plugins/tracing/tracerProvider';
import { maxNesting } from './plugins/limits/nestingGuard';
import { IntrospectionDisabledRule } from './plugins/limits/IntrospectionDisabledRule';
import { MaxDirectivesRule, OperationLimitsRule } from './plugins/limits/operationLimitRules';
import { OverlappingFieldsCanMergeRule } from './pipeline/overlappingFieldsRule';
import type { ExecutionResultBody, GatewayContext, GatewayPlugin, GatewayRequest, OperationReplacement, Phase, PhaseEnd, RejectFn } from './plugins/types';

export interface GatewayResponse {
  status: number;
  body: ExecutionResultBody;
  /** Extra response headers (e.g. `allow` on 405). */
  headers?: Record<string, string>;
}

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

/** A validated, planned operation: everything a repeat request can reuse. */
interface PreparedOperation {
  readonly operation: OperationDefinitionNode;
  readonly plan: QueryPlan;
  readonly shape: OperationShape;
  readonly document: DocumentNode;
}

/** One supergraph and the caches that are only valid for it; replaced whole on a schema change. */
interface SchemaState {
  readonly loaded: LoadedSupergraph;
  /** Query texts that validated against this supergraph. */
  readonly validated: LRUCache<string, true>;
  readonly operations: LRUCache<string, PreparedOperation>;
  /** Plans being made, by the same key as `operations`. */
  readonly planning: Map<string, Promise<PreparedOperation>>;
}

/** Thrown inside the pipeline to end a request early with errors. */
class RequestError extends Error {
  constructor(
    readonly errors: readonly GraphQLError[],
    readonly status: number,
    readonly headers?: Record<string, string>,
  ) {
    super(errors[0]?.message ?? 'request error');
  }
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
  private readonly allowedErrorExtensions: ReadonlySet<string>;
  private readonly phaseHooks: NonNullable<GatewayPlugin['onPhase']>[];
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
    this.phaseHooks = this.plugins.flatMap((p) => (p.onPhase ? [p.onPhase.bind(p)] : []));
    this.metrics.observeCircuits(() => this.circuits());
    this.client = new SubgraphClient(fetch, this.plugins, this.logger, config.deduplicateSubgraphRequests, {
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
        return this.errorResponse(err, context);
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
      const endRequest = this.startPhase('request', request, context);
      const response = await this.finish(request, context, await respond(context));
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

  private async run(request: GatewayRequest, context: GatewayContext): Promise<GatewayResponse> {
    const state = this.state;
    if (!state) {
      throw new RequestError([gatewayError(GatewayErrorCode.SUPERGRAPH_NOT_READY, 'The gateway has no supergraph loaded yet.')], 503);
    }
    let rejection: readonly GraphQLError[] | undefined;
    const reject: RejectFn = (error) => {
      rejection ??= Array.isArray(error) ? error : [error as GraphQLError];
    };
    const checkRejected = () => {
      if (rejection && rejection.length > 0) throw new RequestError(rejection, statusOf(rejection[0]) ?? 400, headersOf(rejection[0]));
    };

    for (const p of this.plugins) {
      if (p.onRequest) await p.onRequest({ request, context, reject });
      checkRejected();
    }

    const query = request.query;
    if (typeof query !== 'string' || query.trim() === '') {
      throw new RequestError(
        [gatewayError(GatewayErrorCode.BAD_REQUEST, 'GraphQL operations must contain a non-empty `query`.')],
        400,
      );
    }

    // Each phase of a large document costs the CPU of tens of ms, all synchronous: between phases,
    // other requests (and /healthz) get the event loop, so one request never holds it for the sum.
    const large = query.length > LARGE_DOCUMENT;
    const document = this.phase('parse', request, context, (outcome) => this.parse(query, outcome));
    if (large) await yieldToEventLoop();
    for (const p of this.plugins) {
      if (p.onParsed) await p.onParsed({ request, context, reject, document });
      checkRejected();
    }

    const { operation, variables } = await this.phase('validate', request, context, () => this.validateOperation(state, request, query, document, large));
    if (large) await yieldToEventLoop();
    const requestVariables = request.variables ?? {};
    let replacement: OperationReplacement | undefined;
    const replaceOperation = (r: OperationReplacement) => {
      replacement = r;
    };
    for (const p of this.plugins) {
      if (p.onValidated) {
        await p.onValidated({ request, context, reject, document, operation, operationKind: operation.operation, variables, supergraph: state.loaded, replaceOperation });
      }
      checkRejected();
    }

    if (large) await yieldToEventLoop();
    const prepared = await this.phase('plan', request, context, (outcome) => this.prepare(state, document, query, operation, request.operationName, replacement, outcome));
    if (large) await yieldToEventLoop();
    for (const p of this.plugins) {
      if (p.onPlanned) {
        await p.onPlanned({ request, context, reject, document, operation, operationKind: operation.operation, variables, supergraph: state.loaded, plan: prepared.plan });
      }
      checkRejected();
    }

    return this.phase('execute', request, context, async (): Promise<GatewayResponse> => {
      const { loaded } = state;
      const isQuery = operation.operation === OperationTypeNode.QUERY;
      const execution = await executePlan({
        plan: prepared.plan,
        supergraphSchema: loaded.supergraphSchema,
        requestVariables,
        coercedVariables: variables,
        send: (fetch, body) => this.client.send(fetch.serviceName, loaded.subgraphUrls.get(fetch.serviceName), body, isQuery, request, context),
        allowedErrorExtensions: this.allowedErrorExtensions,
        logger: this.logger,
        requestId: context.requestId,
      });
      const shaped = applyOperationShape(prepared.shape, execution.data, {
        schema: loaded.schema,
        variables,
        introspect: (field) => this.introspect(loaded, prepared, field, requestVariables),
      });

      const body: ExecutionResultBody = {};
      const executionErrors = this.config.maskSubgraphErrors ? execution.errors.map((e) => this.mask(e, context)) : execution.errors;
      const errors = replacement ? [...replacement.errors, ...executionErrors] : executionErrors;
      if (errors.length > 0) {
        body.errors = errors.map(formatError);
      }
      body.data = shaped.data;
      // As @apollo/gateway and Apollo Router do: value-completion problems are reported in
      // `extensions.valueCompletion`, and only when nothing else failed (they are usually echoes of it).
      if (errors.length === 0 && shaped.errors.length > 0) {
        body.extensions = { valueCompletion: shaped.errors.map(formatError) };
      }
      return { status: 200, body };
    });
  }

  /** Tells the plugins' onPhase hooks that a phase starts; returns what to call when it ends. */
  private startPhase(phase: Phase, request: GatewayRequest, context: GatewayContext): PhaseEnd | undefined {
    if (this.phaseHooks.length === 0) return undefined;
    let ends: PhaseEnd[] | undefined;
    for (const hook of this.phaseHooks) {
      const end = hook({ phase, request, context });
      if (end) (ends ??= []).push(end);
    }
    return ends && ((outcome) => {
      for (const end of ends) end(outcome);
    });
  }

  /** Runs `run` as a phase that onPhase hooks see start and end, with its error if it fails. */
  private phase<T>(phase: Phase, request: GatewayRequest, context: GatewayContext, run: (outcome: { cached?: boolean }) => T): T {
    const end = this.startPhase(phase, request, context);
    const outcome: { cached?: boolean } = {};
    if (!end) return run(outcome);
    let result: T;
    try {
      result = run(outcome);
    } catch (error) {
      end({ error });
      throw error;
    }
    if (!(result instanceof Promise)) {
      end(outcome);
      return result;
    }
    return result.then(
      (value) => {
        end(outcome);
        return value;
      },
      (error: unknown) => {
        end({ error });
        throw error;
      },
    ) as T;
  }

  /**
   * Validates the document (limit rules first, then graphql-js's), resolves the operation to run and
   * coerces its variables. Throws a RequestError for anything the client must fix.
   */
  private async validateOperation(
    state: SchemaState,
    request: GatewayRequest,
    query: string,
    document: DocumentNode,
    large: boolean,
  ): Promise<{ operation: OperationDefinitionNode; variables: Record<string, unknown> }> {
    // Only successes are cached: a stream of distinct invalid documents must not fill the caches.
    if (!state.validated.has(query)) {
      // The limit rules first: they refuse what expands far past its text (fragment chains) before
      // any rule that walks the expansion.
      const limitErrors = validate(state.loaded.schema, document, this.limitRules);
      if (large && limitErrors.length === 0) await yieldToEventLoop();
      const validationErrors = (limitErrors.length > 0 ? limitErrors : validate(state.loaded.schema, document, VALIDATION_RULES)).map((e) =>
        e.extensions?.code ? e : new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { ...e.extensions, code: GatewayErrorCode.GRAPHQL_VALIDATION_FAILED } }),
      );
      if (validationErrors.length > 0) throw new RequestError(validationErrors, 400);
      if (query.length <= MAX_CACHED_QUERY) {
        state.validated.set(query, true);
        this.documents.set(query, document);
      }
    }

    const operation = getOperationAST(document, request.operationName);
    if (!operation) {
      const message = request.operationName
        ? `Unknown operation named "${request.operationName}".`
        : 'Must provide operation name if query contains multiple operations.';
      throw new RequestError([gatewayError(GatewayErrorCode.OPERATION_RESOLUTION_FAILURE, message)], 400);
    }
    if (request.method === 'GET' && operation.operation !== OperationTypeNode.QUERY) {
      const error = gatewayError(GatewayErrorCode.BAD_REQUEST, `Can only perform a ${operation.operation} operation from a POST request.`);
      throw new RequestError([error], 405, { allow: 'POST' });
    }
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
      throw new RequestError([gatewayError(GatewayErrorCode.OPERATION_NOT_SUPPORTED, 'Subscriptions are not supported yet.')], 400);
    }

    const requestVariables = request.variables ?? {};
    const coerced = getVariableValues(state.loaded.schema, operation.variableDefinitions ?? [], requestVariables as Record<string, unknown>);
    if (coerced.errors) {
      throw new RequestError(
        coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: GatewayErrorCode.BAD_USER_INPUT } })),
        400,
      );
    }
    return { operation, variables: coerced.coerced };
  }

  /**
   * Parses a query, or takes it from the document cache. Only documents that validated are cached
   * (see run): hostile or broken queries, each different, must not fill the caches.
   */
  private parse(query: string, outcome: { cached?: boolean }): DocumentNode {
    const cached = this.documents.get(query);
    outcome.cached = cached !== undefined;
    if (cached) return cached;
    if (maxNesting(query, MAX_NESTING) > MAX_NESTING) {
      throw new RequestError(
        [gatewayError(GatewayErrorCode.DEPTH_LIMIT_EXCEEDED, `Document nests deeper than the allowed ${MAX_NESTING} levels.`, { extensions: { limit: MAX_NESTING } })],
        400,
      );
    }
    try {
      return parse(query, { maxTokens: this.config.limits.maxTokens || undefined });
    } catch (err) {
      const e = err as GraphQLError;
      // graphql-js stops lexing at the limit: a huge document costs no more than maxTokens tokens.
      const tooLong = /Document contains more th\w+ \d+ tokens/.test(e.message);
      const error = tooLong
        ? gatewayError(GatewayErrorCode.TOKEN_LIMIT_EXCEEDED, `Document has more than the allowed ${this.config.limits.maxTokens} tokens.`, {
            extensions: { limit: this.config.limits.maxTokens },
          })
        : new GraphQLError(e.message, { source: e.source, positions: e.positions, extensions: { code: GatewayErrorCode.GRAPHQL_PARSE_FAILED } });
      throw new RequestError([error], 400);
    }
  }

  /**
   * The plan and response shape of an operation, cached. A plugin may have replaced the document to
   * plan (authorization removes what the caller may not see): the plan comes from the replacement,
   * cached under its key, while the shape is always the client's operation.
   */
  private async prepare(
    state: SchemaState,
    document: DocumentNode,
    query: string,
    operation: OperationDefinitionNode,
    operationName: string | undefined,
    replacement: OperationReplacement | undefined,
    outcome: { cached?: boolean },
  ): Promise<PreparedOperation> {
    const key = (operationName ?? '') + '\u0000' + (replacement ? replacement.cacheKey : '') + '\u0000' + query;
    const prepared = state.operations.get(key);
    this.metrics.planCache.inc({ result: prepared ? 'hit' : 'miss' });
    outcome.cached = prepared !== undefined;
    if (prepared) return prepared;
    // Planning is asynchronous (on the planning thread): identical operations that miss the cache at
    // once share one plan rather than queue the same work.
    let planning = state.planning.get(key);
    if (!planning) {
      planning = this.planAndShape(state, document, query, operation, operationName, replacement);
      state.planning.set(key, planning);
      void planning.then(
        (done) => {
          state.planning.delete(key);
          if (query.length <= MAX_CACHED_QUERY) state.operations.set(key, done);
        },
        () => state.planning.delete(key),
      );
    }
    return planning;
  }

  private async planAndShape(
    state: SchemaState,
    document: DocumentNode,
    query: string,
    operation: OperationDefinitionNode,
    operationName: string | undefined,
    replacement: OperationReplacement | undefined,
  ): Promise<PreparedOperation> {
    let plan: QueryPlan;
    try {
      plan = await state.loaded.plan(replacement ? { document: replacement.document, operationName } : { document, text: query, operationName });
    } catch (err) {
      if (err instanceof GraphQLError) {
        throw new RequestError([new GraphQLError(err.message, { extensions: { code: GatewayErrorCode.GRAPHQL_VALIDATION_FAILED } })], 400);
      }
      if (err instanceof UnplannableOperationError) {
        throw new RequestError([gatewayError(GatewayErrorCode.QUERY_PLANNING_FAILED, err.message, { extensions: { field: err.field } })], 500);
      }
      this.logger.error('query planning failed', { error: String((err as Error)?.stack ?? err) });
      throw new RequestError([gatewayError(GatewayErrorCode.QUERY_PLANNING_FAILED, 'The operation could not be planned.')], 500);
    }
    const responseDocument = replacement?.responseDocument ?? document;
    const responseOperation = responseDocument === document ? operation : getOperationAST(responseDocument, operationName);
    if (!responseOperation) throw new Error('the replaced response document lost its operation');
    return { operation, plan, shape: compileOperationShape(state.loaded.schema, responseOperation, fragmentsOf(responseDocument)), document };
  }

  /** `__schema` and `__type` are answered by the gateway from the API schema, never by a subgraph. */
  private introspect(loaded: LoadedSupergraph, prepared: PreparedOperation, field: FieldShape, variables: Readonly<Record<string, unknown>>): unknown {
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          variableDefinitions: prepared.operation.variableDefinitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections: [field.node] },
        },
        ...prepared.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
      ],
    };
    const result = executeSync({ schema: loaded.schema, document, variableValues: variables as Record<string, unknown> });
    return result.data?.[field.responseName] ?? null;
  }

  /**
   * With `maskSubgraphErrors`: an error a subgraph reported becomes a generic one; the original goes
   * to the log. Junction's own errors about subgraphs are not SubgraphErrors and stay as they are,
   * whatever code a subgraph sends.
   */
  private mask(error: GraphQLError, context: GatewayContext): GraphQLError {
    if (!(error instanceof SubgraphError)) return error;
    const serviceName = error.extensions.serviceName;
    const code = error.extensions.code;
    if (typeof code === 'string' && this.config.unmaskedCodes.includes(code)) return error;
    this.logger.warn('subgraph error masked', { requestId: context.requestId, subgraph: serviceName, message: error.message, code, path: error.path });
    return gatewayError(GatewayErrorCode.INTERNAL_SERVER_ERROR, 'Unexpected error.', { path: error.path, extensions: { requestId: context.requestId } });
  }

  private errorResponse(err: unknown, context: GatewayContext): GatewayResponse {
    if (err instanceof RequestError) {
      return { status: err.status, body: { errors: err.errors.map(formatError) }, headers: err.headers };
    }
    // A bug: keep the details in the log, give the client a code and the request id to quote.
    this.logger.error('request failed unexpectedly', { requestId: context.requestId, error: String((err as Error)?.stack ?? err) });
    const error = gatewayError(GatewayErrorCode.INTERNAL_SERVER_ERROR, 'Unexpected error.', { extensions: { requestId: context.requestId } });
    return { status: 500, body: { errors: [formatError(error)] } };
  }

  private async finish(request: GatewayRequest, context: GatewayContext, response: GatewayResponse): Promise<GatewayResponse> {
    let current = response;
    for (const p of this.plugins) {
      if (!p.onResult) continue;
      try {
        await p.onResult({
          request,
          context,
          status: current.status,
          result: current.body,
          setResult: (body, status) => {
            current = { ...current, body, status: status ?? current.status };
          },
          setHeader: (name, value) => {
            current = { ...current, headers: { ...current.headers, [name.toLowerCase()]: value } };
          },
        });
      } catch (err) {
        current = this.errorResponse(err, context);
      }
    }
    return current;
  }
}

/**
 * graphql-js's rules, but for field merging: its OverlappingFieldsCanBeMergedRule compares fragments
 * pair by pair, which hundreds of fragments spread into one selection set make cost more than a
 * request may take; ours refuses the same documents in linear time.
 */
const VALIDATION_RULES: readonly ValidationRule[] = specifiedRules.map((rule) => (rule === OverlappingFieldsCanBeMergedRule ? OverlappingFieldsCanMergeRule : rule));

/**
 * Documents longer than this (in characters) let other work run between the phases of their
 * request: parsing, validating and planning one of 35 KB takes about 10 to 30 ms each.
 */
const LARGE_DOCUMENT = 8 * 1024;

/** Resolves after the I/O and timers that are due have run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Brackets nested deeper than this are refused before parsing (graphql-js would overflow its stack). */
const MAX_NESTING = 500;

function limitRules(limits: GatewayConfig['limits']): readonly ValidationRule[] {
  const rules: ValidationRule[] = [];
  rules.push(OperationLimitsRule(limits));
  if (limits.maxDirectives > 0) rules.push(MaxDirectivesRule(limits.maxDirectives));
  if (!limits.introspection) rules.push(IntrospectionDisabledRule);
  return rules;
}

/**
 * Caches are keyed by query text, which clients choose: besides the entry count, bound the total key
 * size (in characters) so that a stream of large distinct queries cannot grow them without limit.
 */
function boundedCache<V extends {}>(max: number): LRUCache<string, V> {
  // A parsed document or plan takes a few dozen bytes per character of its query text: budget
  // about 64 MB per cache.
  return new LRUCache<string, V>({ max, maxSize: 64 * 1024 * 1024, sizeCalculation: (_value, key) => (key.length + 1) * 24 });
}

/**
 * Longer query texts are parsed, validated and planned every time rather than cached: real
 * operations are far shorter, and caching hostile documents would only hold memory.
 */
const MAX_CACHED_QUERY = 16 * 1024;

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
