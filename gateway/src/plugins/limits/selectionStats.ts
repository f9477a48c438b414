import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * What an operation selects once its fragments are expanded, each spread counted every time it is
 * used (a fragment spread ten times counts ten times): the numbers the operation limits compare.
 * A document of a few hundred bytes can expand to 2^n selections through a chain of fragments that
 * each spread the next one twice, so nothing here walks the expansion: each fragment is summarized
 * once, and a spread adds its fragment's summary. The cost is linear in the document's size.
 * Counts grow as doubles and saturate at Infinity, which still compares as over any limit.
 */
export interface SelectionStats {
  /** Deepest field nesting; root fields are at depth 1. */
  readonly depth: number;
  /** Aliased fields. */
  readonly aliases: number;
  /** Fields at the root of the operation. */
  readonly rootFields: number;
  /** Every field selection, `__typename` included. */
  readonly selections: number;
  /** `__schema` and `__type` fields. */
  readonly introspectionFields: number;
}

const NONE: SelectionStats = { depth: 0, aliases: 0, rootFields: 0, selections: 0, introspectionFields: 0 };

/**
 * The stats of each operation of a document. The fragments are summarized once, here: a document
 * may hold many operations, and summarizing its fragments again for each would be quadratic.
 */
export function selectionStatsOf(fragments: ReadonlyMap<string, FragmentDefinitionNode>): (operation: OperationDefinitionNode) => SelectionStats {
  const summaries = new Map<string, SelectionStats>();
  const summarize = (set: SelectionSetNode): SelectionStats => {
    let depth = 0;
    let aliases = 0;
    let rootFields = 0;
    let selections = 0;
    let introspectionFields = 0;
    for (const sel of set.selections) {
      let inner: SelectionStats;
      if (sel.kind === Kind.FIELD) {
        const sub = sel.selectionSet ? summarize(sel.selectionSet) : NONE;
        const name = sel.name.value;
        // A field is one level above its selections, and one root field where it stands.
        inner = {
          depth: sub.depth + 1,
          aliases: sub.aliases + (sel.alias ? 1 : 0),
          rootFields: 1,
          selections: sub.selections + 1,
          introspectionFields: sub.introspectionFields + (name === '__schema' || name === '__type' ? 1 : 0),
        };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = summarize(sel.selectionSet);
      } else {
        inner = summaries.get(sel.name.value) ?? NONE;
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      rootFields += inner.rootFields;
      selections += inner.selections;
      introspectionFields += inner.introspectionFields;
    }
    return { depth, aliases, rootFields, selections, introspectionFields };
  };

  // Fragments first, each after those it spreads (see fragmentOrder), so a spread finds its summary.
  for (const name of fragmentOrder(fragments)) summaries.set(name, summarize(fragments.get(name)!.selectionSet));
  return (operation) => summarize(operation.selectionSet);
}

/**
 * The fragments in an order where each comes after every fragment it spreads (a post-order of the
 * spread graph), found with an explicit stack: a chain of thousands of fragments must not overflow
 * the call stack. On a cycle, the spread that closes it finds no summary yet and counts as nothing:
 * NoFragmentCyclesRule refuses such documents anyway.
 */
function fragmentOrder(fragments: ReadonlyMap<string, FragmentDefinitionNode>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const start of fragments.keys()) {
    if (seen.has(start)) continue;
    seen.add(start);
    const stack = [{ name: start, spreads: spreadNames(fragments.get(start)!.selectionSet), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.spreads.length) {
        const child = top.spreads[top.next++];
        const fragment = fragments.get(child);
        if (fragment && !seen.has(child)) {
          seen.add(child);
          stack.push({ name: child, spreads: spreadNames(fragment.selectionSet), next: 0 });
        }
      } else {
        stack.pop();
        order.push(top.name);
      }
    }
  }
  return order;
}

/** The fragment names a selection set spreads directly (not through the fragments it spreads). */
function spreadNames(set: SelectionSetNode): string[] {
  const names: string[] = [];
  const sets = [set];
  while (sets.length > 0) {
    for (const sel of sets.pop()!.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) names.push(sel.name.value);
      else if (sel.selectionSet) sets.push(sel.selectionSet);
    }
  }
  return names;
}
