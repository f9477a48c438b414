/**
 * Which query planner plans an operation. Two make Junction's Plan (plan.ts): Apollo's
 * (`@apollo/query-planner`, planOperation.ts) and Hive's (`@graphql-hive/router-query-planner`,
 * hivePlanner.ts). `planner: auto` (the default) uses Hive's where its binary loads: it plans the
 * federation audit's every case right, where Apollo's gets five wrong, and does it in a tenth of the
 * time. An operation that needs what only Apollo's plans (`@defer`) goes to Apollo's whatever the
 * setting.
 */
import { visit, type DocumentNode } from 'graphql';
import type { Logger } from '../deps';
import { HiveParseError, loadHiveModule, planWithHive, type HiveQueryPlanner } from './hivePlanner';
import type { SupergraphPlanner } from './loadSupergraph';
import type { OverrideDraw } from './overrides';
import type { Plan } from './plan';
import { planOperation } from './planOperation';

export type PlannerName = 'apollo' | 'hive';
export type PlannerSetting = 'auto' | PlannerName;

/**
 * The planner a gateway plans with, from its `planner` setting. `auto` takes Hive's where it loads,
 * else Apollo's with one warning; `hive` where it does not load is a configuration error.
 */
export function resolvePlanner(setting: PlannerSetting, logger: Logger, load: () => unknown = loadHiveModule): PlannerName {
  if (setting === 'apollo') return 'apollo';
  const hive = load();
  if (!(hive instanceof Error)) return 'hive';
  const where = `${process.platform} ${process.arch}`;
  if (setting === 'hive') throw new Error(`planner is "hive", but Hive's query planner does not load here (${where}): ${hive.message}`);
  logger.warn("Hive's query planner does not load here: planning with Apollo's (planner: auto)", { platform: where, reason: hive.message.split('\n')[0] });
  return 'apollo';
}

/**
 * Why an operation goes to Apollo's planner when Hive's is the gateway's: it uses `@defer`, or it
 * nests deeper than Hive's parser goes (some 50 levels of selections, which the gateway's
 * `limits.maxDepth` does not count when they are inline fragments).
 */
export type FallbackReason = 'defer' | 'nesting';

/**
 * The planner for one operation: `preferred`, unless the operation needs what only Apollo's plans.
 * `text`, the document's source when there is one, spares walking a document that cannot hold
 * `@defer` (a walk of a large document costs milliseconds on every cold plan).
 */
export function plannerFor(preferred: PlannerName, document: DocumentNode, text?: string): { planner: PlannerName; fallback?: FallbackReason } {
  if (preferred === 'hive' && (text === undefined || text.includes('defer')) && usesDefer(document)) return { planner: 'apollo', fallback: 'defer' };
  return { planner: preferred };
}

/** Hive's planner plans `@defer` as if it were not there (graphql-hive/router#15). */
function usesDefer(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer') found = true;
    },
  });
  return found;
}

/** The planners of one supergraph: Apollo's, and Hive's made on first use. */
export interface SupergraphPlanners {
  readonly apollo: SupergraphPlanner;
  hive(): HiveQueryPlanner;
}

/** Plans with `planner`; an operation Hive's cannot parse (nesting) goes to Apollo's, and says so. */
export function planWith(
  planners: SupergraphPlanners,
  planner: PlannerName,
  operation: { document: DocumentNode; text?: string; operationName: string | undefined; overrides?: OverrideDraw },
): { plan: Plan; fallback?: FallbackReason } {
  const { document, text, operationName, overrides } = operation;
  if (planner === 'apollo') return { plan: planOperation(planners.apollo, document, operationName, overrides) };
  try {
    return { plan: planWithHive(planners.hive(), document, text, operationName, overrides) };
  } catch (err) {
    if (!(err instanceof HiveParseError)) throw err;
    return { plan: planOperation(planners.apollo, document, operationName, overrides), fallback: 'nesting' };
  }
}

const FALLBACK_MESSAGES: Record<FallbackReason, string> = {
  defer: "operations with @defer are planned by Apollo's query planner: Hive's does not plan @defer (logged once)",
  nesting: "an operation nested deeper than Hive's query planner parses was planned by Apollo's (logged once)",
};

/** Logs the first operation of each fallback reason, once per gateway. */
export function fallbackLogger(logger: Logger): (reason: FallbackReason) => void {
  const logged = new Set<FallbackReason>();
  return (reason) => {
    if (logged.has(reason)) return;
    logged.add(reason);
    logger.info(FALLBACK_MESSAGES[reason], { reason });
  };
}
