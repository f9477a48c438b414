import type { Tracer } from '@opentelemetry/api';
import type { GatewayConfig } from '../config';
import type { Clock, Fetch, Logger } from '../deps';
import { useAuthentication } from './auth/useAuthentication';
import { useAuthorization, type PolicyEvaluator } from './authorization/useAuthorization';
import { MemoryBudgetStore, type BudgetStore } from './budgets/budgetStore';
import { RedisBudgetStore } from './budgets/redisBudgetStore';
import { useBudgets } from './budgets/useBudgets';
import { useCost } from './cost/useCost';
import { useRequestLog } from './useRequestLog';
import { useMetrics, type GatewayMetrics } from './metrics/useMetrics';
import { useTracing } from './tracing/useTracing';
import type { GatewayPlugin } from './types';

/** The plugins every gateway runs, configured from its config; user plugins run after them. */
export function builtInPlugins(
  config: GatewayConfig,
  deps: { fetch: Fetch; clock: Clock; logger: Logger; policyModulePath?: string; budgetStore?: BudgetStore; metrics: GatewayMetrics; tracer?: Tracer },
): GatewayPlugin[] {
  const plugins: GatewayPlugin[] = [];
  // Tracing first: a subgraph fetch span then covers the other plugins' work on that request too.
  if (deps.tracer) plugins.push(useTracing(deps.tracer, { acceptIncoming: config.tracing.acceptIncoming }));
  plugins.push(
    // Early, so its onSubgraphRequest timings wrap the others' work as little as possible.
    useMetrics(deps.metrics, deps),
    useAuthentication(config.auth, deps),
    useAuthorization(config.authorization, { logger: deps.logger, evaluatePolicy: deps.policyModulePath ? loadPolicyModule(deps.policyModulePath) : undefined }),
    useCost(config.cost, deps),
  );
  if (config.budgets.enabled && deps.budgetStore) {
    plugins.push(
      useBudgets(config.budgets, {
        store: deps.budgetStore,
        clock: deps.clock,
        logger: deps.logger,
        enforceCost: config.cost.mode === 'enforce',
        onStoreFailure: (mode) => deps.metrics.budgetStoreFailures.inc({ mode }),
      }),
    );
  }
  // Last, so that it sees what every other plugin decided.
  plugins.push(useRequestLog(deps));
  return plugins;
}

/** The budget store the config asks for (undefined when budgets are off). */
export function createBudgetStore(config: GatewayConfig, logger: Logger): BudgetStore | undefined {
  if (!config.budgets.enabled) return undefined;
  return config.budgets.store === 'redis' ? new RedisBudgetStore(config.budgets.redisUrl!, config.budgets.redisPrefix, logger) : new MemoryBudgetStore();
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
