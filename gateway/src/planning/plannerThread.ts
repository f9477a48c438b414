/**
 * The entry point of the planning thread (see plannerWorker.ts): loads supergraphs and plans
 * operations on them, answering with plain data. Messages are handled one at a time, in order.
 */
import { parentPort } from 'node:worker_threads';
import { printSchema } from '@apollo/federation-internals';
import { GraphQLError, parse } from 'graphql';
import { buildHivePlanner, type HiveQueryPlanner } from './hivePlanner';
import { buildSupergraphPlanner, type SupergraphPlanner } from './loadSupergraph';
import { overrideLabelsOf } from './overrides';
import { UnplannableOperationError } from './planOperation';
import { planWith } from './planner';
import type { PlannerReply, PlannerRequest } from './plannerWorker';

/**
 * Supergraphs kept, by hash: the one served and the one being swapped in. An older one is dropped
 * (a request still planning on it has the gateway load it again).
 */
const KEPT = 2;
const supergraphs = new Map<string, { sdl: string; apollo: SupergraphPlanner; hive?: HiveQueryPlanner }>();

function handle(request: PlannerRequest): PlannerReply {
  try {
    if (request.type === 'load') {
      const built = buildSupergraphPlanner(request.sdl);
      supergraphs.delete(request.hash);
      supergraphs.set(request.hash, { sdl: request.sdl, apollo: built });
      for (const hash of supergraphs.keys()) if (supergraphs.size > KEPT) supergraphs.delete(hash);
      const subgraphs = [...built.supergraph.subgraphs().values()];
      return {
        id: request.id,
        ok: true,
        loaded: {
          apiSchema: printSchema(built.apiSchema),
          supergraphSchema: printSchema(built.supergraph.schema),
          overrideLabels: overrideLabelsOf(built.supergraph),
          subgraphs: subgraphs.map((s) => ({ name: s.name, url: s.url, schema: printSchema(s.schema) })),
        },
      };
    }
    const entry = supergraphs.get(request.hash);
    if (!entry) return { id: request.id, ok: false, error: { kind: 'unknown-supergraph', message: 'supergraph not loaded on the planning thread' } };
    // Refresh its place: the supergraph being served is the last dropped.
    supergraphs.delete(request.hash);
    supergraphs.set(request.hash, entry);
    const document = parse(request.text, { noLocation: true });
    // Hive's is built on first use: a supergraph served with Apollo's planner never loads it.
    const planners = { apollo: entry.apollo, hive: () => (entry.hive ??= buildHivePlanner(entry.sdl)) };
    const { plan, fallback } = planWith(planners, request.planner, { document, text: request.text, operationName: request.operationName, overrides: request.overrides });
    return { id: request.id, ok: true, plan, ...(fallback ? { fallback } : {}) };
  } catch (err) {
    if (err instanceof UnplannableOperationError) return { id: request.id, ok: false, error: { kind: 'unplannable', message: err.message, field: err.field } };
    if (err instanceof GraphQLError) return { id: request.id, ok: false, error: { kind: 'graphql', message: err.message } };
    // A supergraph that does not load is the operator's to fix: its message says why. A plan that
    // fails is a bug: the stack goes to the log.
    const message = request.type === 'load' ? String((err as Error)?.message ?? err) : String((err as Error)?.stack ?? err);
    return { id: request.id, ok: false, error: { kind: 'failed', message } };
  }
}

parentPort?.on('message', (request: PlannerRequest) => {
  const reply = handle(request);
  try {
    parentPort!.postMessage(reply);
  } catch (err) {
    // A plan that cannot be copied to the gateway's thread is a bug to report, not a reason to die.
    parentPort!.postMessage({ id: request.id, ok: false, error: { kind: 'failed', message: `the plan could not be sent: ${String(err)}` } });
  }
});
