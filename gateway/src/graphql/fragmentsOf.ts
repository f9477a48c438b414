import { Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/**
 * The fragment definitions of a document by name. A Map, not an object: fragment names come from
 * clients, and `constructor` or `__proto__` must find their own fragment, never Object.prototype's.
 *
 * Two definitions with one name are refused by UniqueFragmentNamesRule, but some callers see a
 * document before that rule runs (the operation limits run first). `duplicates` says which one
 * they see: `last`, as graphql-js's ValidationContext.getFragment does, or `first`.
 */
export function fragmentsOf(document: DocumentNode, duplicates: 'first' | 'last' = 'last'): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (duplicates === 'last' || !fragments.has(def.name.value)) fragments.set(def.name.value, def);
  }
  return fragments;
}
