import type { Tracer } from '@opentelemetry/api';
import type { GatewayConfig } from '../config';
import type { Clock, Fetch, Logger } from '../deps';
import { useAuthentication } from './auth/useAuthentication';
import { useSubscriptionLimit } from './limits/useSubscriptionLimit';
import { useAuthorization, type PolicyEvaluator } from './authorization/useAuthorization';
import { MemoryBudgetStore, type BudgetStore } from './budgets/budgetStore';
import { RedisBudgetStore } from './budgets/redisBudgetStore';
import { useBudgets } from './budgets/useBudgets';
import { useCost } from './cost/useCost';
import { MemoryPersistedQueryStore, type PersistedQueryStore } from './persistedQueries/persistedQueryStore';
import { RedisPersistedQueryStore } from './persistedQueries/redisPersistedQueryStore';
import { useAutomaticPersistedQueries } from './persistedQueries/useAutomaticPersistedQueries';
import type { TrustedDocumentIndex } from './trustedDocuments/documentIndex';
import { useTrustedDocuments } from './trustedDocuments/useTrustedDocuments';
import { useRequestLog } from './useRequestLog';
import { useMetrics, type GatewayMetrics } from './metrics/useMetrics';
import { createTracing, type GatewayTracing } from './tracing/tracerProvider';
import { useTracing } from './tracing/useTracing';
import type { GatewayPlugin } from './types';

/** What the built-in plugins are made with: the same clock, logger, transport and metrics as the gateway they run in. */
export interface BuiltInPluginDeps {
  clock: Clock;
  logger: Logger;
  /** The subgraph transport; authentication fetches JWKS with it. */
  fetch: Fetch;
  /** The gateway's metrics: the plugins count requests, costs, auth failures and export failures there. */
  metrics: GatewayMetrics;
  /** Absolute path of `authorization.policyModule`, when the config names one. */
  policyModulePath?: string;
  /**
   * An OpenTelemetry tracer of the embedder's own: the tracing plugin makes its spans with it, and
   * no exporter is started from `config.tracing` (its `acceptIncoming` still applies). Default: the
   * tracer `config.tracing` describes, when it is enabled.
   */
  tracer?: Tracer;
  /**
   * The trusted documents requests are checked against, when `trustedDocuments.enabled` (its
   * manifests are kept up to date by a TrustedDocumentRegistry).
   */
  trustedDocuments?: TrustedDocumentIndex;
}

/** The built-in plugins of one gateway, and the resources they hold. */
export interface BuiltInPlugins {
  /** In the order they run; a gateway runs the user's plugins after them. */
  readonly plugins: readonly GatewayPlugin[];
  /** Per-client query budgets, when `budgets.enabled`: the admin API reads them. */
  readonly budgetStore: BudgetStore | undefined;
  /** The automatic persisted queries' store, when `apq.enabled`. */
  readonly persistedQueryStore: PersistedQueryStore | undefined;
  /** OpenTelemetry tracing made from `config.tracing`, when it is enabled and no tracer was given. */
  readonly tracing: GatewayTracing | undefined;
  /** Closes the budget and persisted query stores, then tracing. Call it after the gateway's `close()`. */
  close(): Promise<void>;
}

/**
 * The plugins `startGateway` runs before the user's, configured from `config`: tracing (when on),
 * metrics, authentication, authorization, cost, budgets (when on), trusted documents, automatic
 * persisted queries, the request log. An embedder of `createGateway` gets the same behaviour by
 * passing `plugins` first.
 */
export function builtInPlugins(config: GatewayConfig, deps: BuiltInPluginDeps): BuiltInPlugins {
  // The plugins that hold nothing first: one that throws (a policy module that does not load, a bad
  // key) then leaves no store or exporter open.
  const metrics = useMetrics(deps.metrics, deps);
  const authentication = useAuthentication(config.auth, deps);
  const evaluatePolicy = deps.policyModulePath ? loadPolicyModule(deps.policyModulePath) : undefined;
  const authorization = useAuthorization(config.authorization, { logger: deps.logger, evaluatePolicy });
  const cost = useCost(config.cost, deps);
  const requestLog = useRequestLog(deps);
  const budgetStore = createBudgetStore(config, deps.logger);
  const persistedQueryStore = createPersistedQueryStore(config.apq, deps);
  const trustedDocuments = useTrustedDocuments({
    index: config.trustedDocuments.enabled ? deps.trustedDocuments : undefined,
    config: config.trustedDocuments,
    budgets: config.budgets,
    logger: deps.logger,
    count: (result) => deps.metrics.trustedDocuments.inc({ result }),
  });
  const persistedQueries = useAutomaticPersistedQueries({
    store: persistedQueryStore,
    logger: deps.logger,
    count: (result) => deps.metrics.apq.inc({ result }),
  });
  const tracing =
    config.tracing.enabled && !deps.tracer
      ? createTracing(config.tracing, { logger: deps.logger, onExportFailure: () => deps.metrics.traceExportFailures.inc() })
      : undefined;
  const tracer = deps.tracer ?? tracing?.tracer;
  const budgets = budgetStore
    ? useBudgets(config.budgets, {
        store: budgetStore,
        clock: deps.clock,
        logger: deps.logger,
        enforceCost: config.cost.mode === 'enforce',
        onStoreFailure: (mode) => deps.metrics.budgetStoreFailures.inc({ mode }),
      })
    : undefined;
  const plugins = [
    // Tracing first: a subgraph fetch span then covers the other plugins' work on that request too.
    tracer && useTracing(tracer, { acceptIncoming: config.tracing.acceptIncoming }),
    // Early, so its onSubgraphRequest timings wrap the others' work as little as possible.
    metrics,
    authentication,
    authorization,
    // Before cost and budgets: a subscription over the limit is refused before it costs anything.
    config.subscriptions.enabled && config.subscriptions.maxPerClient > 0 ? useSubscriptionLimit(config.subscriptions.maxPerClient) : undefined,
    cost,
    budgets,
    // After authentication (exemptions are by the authenticated caller), before automatic persisted
    // queries (a hash may name a trusted document, which the store does not hold).
    trustedDocuments,
    // After authentication (onRequest: a caller refused learns nothing of the store), and after
    // cost and budgets (onPlanned: a query is stored only once they let it run).
    persistedQueries,
    // Last, so that it sees what every other plugin decided.
    requestLog,
  ].filter((plugin): plugin is GatewayPlugin => plugin !== undefined);
  return {
    plugins,
    budgetStore,
    persistedQueryStore,
    tracing,
    async close() {
      await budgetStore?.close();
      await persistedQueryStore?.close();
      // Last: spans of the requests that just finished are still to be exported.
      await tracing?.shutdown();
    },
  };
}

/** The budget store the config asks for (undefined when budgets are off). */
function createBudgetStore(config: GatewayConfig, logger: Logger): BudgetStore | undefined {
  if (!config.budgets.enabled) return undefined;
  return config.budgets.store === 'redis' ? new RedisBudgetStore(config.budgets.redisUrl!, config.budgets.redisPrefix, logger) : new MemoryBudgetStore();
}

/** The store `apq` asks for (undefined when automatic persisted queries are off). */
function createPersistedQueryStore(config: GatewayConfig['apq'], deps: BuiltInPluginDeps): PersistedQueryStore | undefined {
  if (!config.enabled) return undefined;
  if (config.store === 'redis') return new RedisPersistedQueryStore(config.redisUrl!, config.redisPrefix, config.redisTtlSeconds, deps.logger);
  const store = new MemoryPersistedQueryStore(config);
  deps.metrics.observeApqStore(() => ({ entries: store.size, bytes: store.bytes }));
  return store;
}

/** Loads `authorization.policyModule`: its export, `default` or `evaluatePolicy` must be a function. */
export function loadPolicyModule(path: string): PolicyEvaluator {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path) as unknown;
  const candidates = [mod, (mod as { default?: unknown })?.default, (mod as { evaluatePolicy?: unknown })?.evaluatePolicy];
  const fn = candidates.find((c) => typeof c === 'function');
  if (!fn) throw new Error(`policy module ${path} exports no function (module.exports, default or evaluatePolicy)`);
  return fn as PolicyEvaluator;
}
