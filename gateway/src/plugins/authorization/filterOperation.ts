/**
 * Removes from an operation what the caller may not see, before planning, so that no subgraph is
 * ever asked for it. Semantics follow Apollo Router's authorization directives:
 * - a field is allowed when its own requirement and the requirement of the type it returns hold;
 * - a field selected through an interface also needs what each implementation's field requires;
 * - a field returning an abstract type with a protected implementation is removed whole, unless
 *   the query only reaches the implementations through type-specific fragments, in which case the
 *   fragments on protected types are removed;
 * - a selection set left empty keeps `__typename`, so its parent still resolves (to an object whose
 *   removed fields are null).
 * Each removal is reported with its query path (`@` for list items) and what was missing.
 */
import {
  Kind,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AuthorizationMetadata, Requirement } from './authorizationMetadata';

/** What a caller lacked for one removed selection. */
export interface Missing {
  authenticated?: true;
  requiresScopes?: string[][];
  policies?: string[][];
}

export interface Removal {
  path: string[];
  missing: Missing;
}

/** Decides one requirement for the caller: undefined when it holds, else what is missing. */
export type CheckRequirement = (requirement: Requirement) => Missing | undefined;

export interface FilterResult {
  /** The document to plan: the original when nothing was removed. */
  document: DocumentNode;
  removals: Removal[];
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

export function filterOperation(
  schema: GraphQLSchema,
  metadata: AuthorizationMetadata,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  check: CheckRequirement,
): FilterResult {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const removals: Removal[] = [];
  const seen = new Set<string>();
  const remove = (path: string[], missing: Missing) => {
    const trimmed = [...path];
    while (trimmed[trimmed.length - 1] === '@') trimmed.pop();
    const key = JSON.stringify([trimmed, missing]);
    if (!seen.has(key)) {
      seen.add(key);
      removals.push({ path: trimmed, missing });
    }
  };

  const requirementsOf = (parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>): Requirement[] => {
    const reqs: Requirement[] = [];
    const add = (r: Requirement | undefined) => r && reqs.push(r);
    add(metadata.fieldRequirement(parent.name, field.name));
    add(metadata.typeRequirement(getNamedType(field.type).name));
    if (isInterfaceType(parent)) {
      for (const impl of schema.getPossibleTypes(parent)) add(metadata.fieldRequirement(impl.name, field.name));
    }
    return reqs;
  };

  const checkAll = (reqs: Requirement[]): Missing | undefined => {
    let missing: Missing | undefined;
    for (const r of reqs) {
      const m = check(r);
      if (m) missing = mergeMissing(missing, m);
    }
    return missing;
  };

  /** Selections that apply whatever the concrete type: anything but type-specific fragments and __typename. */
  const hasSharedSelections = (set: SelectionSetNode): boolean =>
    set.selections.some((sel) => {
      if (sel.kind === Kind.FIELD) return sel.name.value !== '__typename';
      const typeName = sel.kind === Kind.INLINE_FRAGMENT ? sel.typeCondition?.name.value : fragments.get(sel.name.value)?.typeCondition.name.value;
      const selectionSet = sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : fragments.get(sel.name.value)?.selectionSet;
      const type = typeName ? schema.getType(typeName) : undefined;
      if (typeName && isObjectType(type)) return false;
      return selectionSet ? hasSharedSelections(selectionSet) : false;
    });

  const filterSet = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): { selections: SelectionNode[]; changed: boolean } => {
    let changed = false;
    const out: SelectionNode[] = [];
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__') || isAbstractType(parent) && !isInterfaceType(parent)) {
          out.push(sel);
          continue;
        }
        const field = (parent as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[name];
        if (!field) {
          out.push(sel);
          continue;
        }
        const fieldPath = [...path, sel.alias?.value ?? name];
        const missing = checkAll(requirementsOf(parent, field));
        if (missing) {
          remove(fieldPath, missing);
          changed = true;
          continue;
        }
        if (!sel.selectionSet) {
          out.push(sel);
          continue;
        }
        const named = getNamedType(field.type) as GraphQLCompositeType;
        if (isAbstractType(named)) {
          let protectedMissing: Missing | undefined;
          for (const t of schema.getPossibleTypes(named)) {
            const req = metadata.typeRequirement(t.name);
            const m = req && check(req);
            if (m) protectedMissing = mergeMissing(protectedMissing, m);
          }
          if (protectedMissing && hasSharedSelections(sel.selectionSet)) {
            remove(fieldPath, protectedMissing);
            changed = true;
            continue;
          }
        }
        const sub = filterSet(sel.selectionSet, named, [...fieldPath, ...listMarkers(field.type)]);
        if (!sub.changed) {
          out.push(sel);
          continue;
        }
        changed = true;
        out.push({ ...sel, selectionSet: { ...sel.selectionSet, selections: sub.selections.length > 0 ? sub.selections : [TYPENAME] } });
        continue;
      }

      // A spread whose fragment loses selections is inlined, so that one fragment can be filtered
      // differently in different places; an untouched spread stays as it is.
      let fragment: InlineFragmentNode;
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const def = fragments.get(sel.name.value);
        if (!def) continue;
        fragment = { kind: Kind.INLINE_FRAGMENT, typeCondition: def.typeCondition, directives: sel.directives, selectionSet: def.selectionSet };
      } else {
        fragment = sel;
      }
      const conditionType = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
      if (!conditionType || !('name' in conditionType)) continue;
      const typeReq = isObjectType(conditionType) ? metadata.typeRequirement(conditionType.name) : undefined;
      const missing = typeReq && check(typeReq);
      if (missing) {
        remove(path, missing);
        changed = true;
        continue;
      }
      const sub = filterSet(fragment.selectionSet, conditionType as GraphQLCompositeType, path);
      if (!sub.changed) {
        out.push(sel);
        continue;
      }
      changed = true;
      if (sub.selections.length > 0) out.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: sub.selections } });
    }
    return { selections: out, changed };
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return { document, removals };
  const result = filterSet(operation.selectionSet, root, []);
  if (!result.changed) return { document, removals };
  const filtered: OperationDefinitionNode = {
    ...operation,
    selectionSet: { ...operation.selectionSet, selections: result.selections.length > 0 ? result.selections : [TYPENAME] },
  };
  // Untouched spreads still need their fragments; the other operations of the document are dropped.
  return { document: { kind: Kind.DOCUMENT, definitions: [filtered, ...fragments.values()] }, removals };
}

function listMarkers(type: GraphQLOutputType): string[] {
  const markers: string[] = [];
  let t: GraphQLOutputType = type;
  while (isNonNullType(t) || isListType(t)) {
    if (isListType(t)) markers.push('@');
    t = t.ofType;
  }
  return markers;
}

export function mergeMissing(a: Missing | undefined, b: Missing): Missing {
  if (!a) return b;
  const out: Missing = { ...a };
  if (b.authenticated) out.authenticated = true;
  if (b.requiresScopes) out.requiresScopes = [...(a.requiresScopes ?? []), ...b.requiresScopes];
  if (b.policies) out.policies = [...(a.policies ?? []), ...b.policies];
  return out;
}
