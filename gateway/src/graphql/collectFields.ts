import { Kind, type FieldNode, type FragmentDefinitionNode, type FragmentSpreadNode, type InlineFragmentNode, type NamedTypeNode, type SelectionSetNode } from 'graphql';

export interface CollectFieldsVisitor<S> {
  /** Each field, in the document's order, with the scope of the fragment it stands in. Return `true` to stop. */
  field(field: FieldNode, scope: S): boolean | void;
  /**
   * Each fragment, inline or spread (spreads of unknown fragments are passed over), with its type
   * condition (undefined for an inline fragment without one): the scope inside it, or `false` to
   * leave it out. A spread left out is not yet spread: a later spread of the same name is asked again.
   */
  fragment(typeCondition: NamedTypeNode | undefined, scope: S, selection: InlineFragmentNode | FragmentSpreadNode): S | false;
}

/**
 * The fields of one selection set, its inline fragments and fragment spreads expanded, in the
 * document's order, as graphql-js's collectFields gathers them
 * (https://spec.graphql.org/October2021/#CollectFields()): a named fragment spread again into the
 * same set adds nothing, so the walk is linear in the set's expansion without repeats. It does not
 * go into the fields' own selection sets: each caller does that its own way (and memoizes it).
 *
 * `scope` is what a caller tracks through fragments (usually the type the fields are selected on).
 * An explicit stack, not recursion: fragments can nest thousands of levels deep.
 */
export function collectFields<S>(
  selectionSet: SelectionSetNode,
  scope: S,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visitor: CollectFieldsVisitor<S>,
): void {
  const spread = new Set<string>();
  const stack: Array<{ set: SelectionSetNode; scope: S; next: number }> = [{ set: selectionSet, scope, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.set.selections.length) {
      stack.pop();
      continue;
    }
    const sel = top.set.selections[top.next++];
    if (sel.kind === Kind.FIELD) {
      if (visitor.field(sel, top.scope) === true) return;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const inner = visitor.fragment(sel.typeCondition, top.scope, sel);
      if (inner !== false) stack.push({ set: sel.selectionSet, scope: inner, next: 0 });
    } else {
      const fragment = fragments.get(sel.name.value);
      if (!fragment || spread.has(sel.name.value)) continue;
      const inner = visitor.fragment(fragment.typeCondition, top.scope, sel);
      if (inner === false) continue;
      spread.add(sel.name.value);
      stack.push({ set: fragment.selectionSet, scope: inner, next: 0 });
    }
  }
}
