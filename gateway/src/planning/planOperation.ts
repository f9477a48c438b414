import { operationFromDocument } from '@apollo/federation-internals';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import { collectFields } from '../graphql/collectFields';
import { fragmentsOf } from '../graphql/fragmentsOf';
import { fromApolloPlan } from './apolloPlan';
import type { SupergraphPlanner } from './loadSupergraph';
import type { OverrideDraw } from './overrides';
import type { Plan } from './plan';

/**
 * Plans one operation of an already validated document with @apollo/query-planner. Pure, and the
 * expensive step of a cold request: callers cache the result.
 */
export function planOperation(loaded: Pick<SupergraphPlanner, 'apiSchema' | 'planner'>, document: DocumentNode, operationName: string | undefined, overrides?: OverrideDraw): Plan {
  const operation = operationFromDocument(loaded.apiSchema, document, { operationName, validate: false });
  // The draw names the labels active; the planner takes every other label of the supergraph as not.
  const overrideConditions = overrides ? new Map(overrides.active.map((label) => [label, true])) : undefined;
  const plan = loaded.planner.buildQueryPlan(operation, overrideConditions ? { overrideConditions } : undefined);
  if (!plan.node) {
    const field = firstFetchedRootField(document, operationName);
    // The planner returns an empty plan, not an error, when no subgraph can reach a selection (e.g.
    // an @interfaceObject behind a non-resolvable key). Executing it would answer null without a word.
    if (field !== undefined) throw new UnplannableOperationError(field);
  }
  return fromApolloPlan(plan);
}

/** A valid operation that the supergraph cannot serve: no subgraph can resolve `field`. */
export class UnplannableOperationError extends Error {
  constructor(readonly field: string) {
    super(`No subgraph can resolve the selection of "${field}".`);
    this.name = 'UnplannableOperationError';
  }
}

/** A root field that needs a subgraph: not __typename or introspection, not under @skip/@include. */
function firstFetchedRootField(document: DocumentNode, operationName: string | undefined): string | undefined {
  const operation = document.definitions.find(
    (def): def is OperationDefinitionNode => def.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || def.name?.value === operationName),
  );
  if (!operation) return undefined;
  let found: string | undefined;
  collectFields(operation.selectionSet, undefined, fragmentsOf(document), {
    field(sel) {
      if (conditional(sel) || sel.name.value.startsWith('__')) return;
      found = sel.name.value;
      return true;
    },
    fragment: (_typeCondition, scope, sel) => (conditional(sel) ? false : scope),
  });
  return found;
}

/** Under @skip or @include, whatever their argument: such a field may well be left out, and is no proof. */
function conditional(sel: SelectionNode): boolean {
  return sel.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include') ?? false;
}
