import { operationFromDocument } from '@apollo/federation-internals';
import type { QueryPlan } from '@apollo/query-planner';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { SupergraphPlanner } from './loadSupergraph';

/**
 * Plans one operation of an already validated document with @apollo/query-planner. Pure, and the
 * expensive step of a cold request: callers cache the result.
 */
export function planOperation(loaded: Pick<SupergraphPlanner, 'apiSchema' | 'planner'>, document: DocumentNode, operationName: string | undefined): QueryPlan {
  const operation = operationFromDocument(loaded.apiSchema, document, { operationName, validate: false });
  const plan = loaded.planner.buildQueryPlan(operation);
  if (!plan.node) {
    const field = firstFetchedRootField(document, operationName);
    // The planner returns an empty plan, not an error, when no subgraph can reach a selection (e.g.
    // an @interfaceObject behind a non-resolvable key). Executing it would answer null without a word.
    if (field !== undefined) throw new UnplannableOperationError(field);
  }
  return plan;
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
  const fragments = new Map<string, FragmentDefinitionNode>();
  let selectionSet: SelectionSetNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || def.name?.value === operationName)) {
      selectionSet ??= def.selectionSet;
    }
  }
  const visit = (set: SelectionSetNode, seen: Set<string>): string | undefined => {
    for (const sel of set.selections) {
      if (sel.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include')) continue;
      if (sel.kind === Kind.FIELD) {
        if (!sel.name.value.startsWith('__')) return sel.name.value;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const found = visit(sel.selectionSet, seen);
        if (found) return found;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        const found = fragment && visit(fragment.selectionSet, seen);
        if (found) return found;
      }
    }
    return undefined;
  };
  return selectionSet && visit(selectionSet, new Set());
}
