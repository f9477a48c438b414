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
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import { UNAUTHORIZED_MARKER } from '../types';
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
  /**
   * The document to shape the response with: removed fields stay, marked with
   * `@junction__unauthorized` (answered null whatever the subgraphs returned, e.g. a protected
   * @key field fetched for a join); removed fragments are gone.
   */
  responseDocument: DocumentNode;
  removals: Removal[];
}


const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
const MARKER = { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: UNAUTHORIZED_MARKER } } as const;

interface Filtered {
  /** Selections to plan. */
  plan: SelectionNode[];
  /** Selections to shape the response with. */
  response: SelectionNode[];
  changed: boolean;
}

export function filterOperation(
  schema: GraphQLSchema,
  metadata: AuthorizationMetadata,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  check: CheckRequirement,
): FilterResult {
  const fragments = fragmentsOf(document);
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

  const checkAll = (reqs: Array<Requirement | undefined>): Missing | undefined => {
    let missing: Missing | undefined;
    for (const r of reqs) {
      const m = r && check(r);
      if (m) missing = mergeMissing(missing, m);
    }
    return missing;
  };

  /** What a field needs: its own requirement (and, through an interface, each implementation's) and its return type's. */
  const fieldRequirements = (parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>): Array<Requirement | undefined> => {
    const reqs = [metadata.fieldRequirement(parent.name, field.name)];
    const named = getNamedType(field.type);
    // An abstract return type is decided with its selection set (see below): composition copies the
    // requirements of implementations onto the interface, and type-specific fragments may avoid them.
    if (!isAbstractType(named)) reqs.push(metadata.typeRequirement(named.name));
    if (isInterfaceType(parent)) for (const impl of schema.getPossibleTypes(parent)) reqs.push(metadata.fieldRequirement(impl.name, field.name));
    return reqs;
  };

  // Fragments make the document a graph: a fragment spread twice in each of a chain of fragments
  // would be walked 2^n times. Both walks below are memoized per selection set, so each is walked
  // once per (parent type, path) it is reached at: a repeated spread at the same place is free.
  const shared = new Map<SelectionSetNode, boolean>();
  /** Selections that apply whatever the concrete type: anything but type-specific fragments and __typename. */
  const hasSharedSelections = (set: SelectionSetNode): boolean => {
    let known = shared.get(set);
    if (known !== undefined) return known;
    shared.set(set, false); // a fragment cycle (refused by validation) stops here
    known = set.selections.some((sel) => {
      if (sel.kind === Kind.FIELD) return sel.name.value !== '__typename';
      const def = sel.kind === Kind.FRAGMENT_SPREAD ? fragments.get(sel.name.value) : undefined;
      const typeName = sel.kind === Kind.INLINE_FRAGMENT ? sel.typeCondition?.name.value : def?.typeCondition.name.value;
      const selectionSet = sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : def?.selectionSet;
      if (typeName && isObjectType(schema.getType(typeName))) return false;
      return selectionSet ? hasSharedSelections(selectionSet) : false;
    });
    shared.set(set, known);
    return known;
  };

  const filtered = new Map<SelectionSetNode, Map<string, Filtered>>();
  const filterSet = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): Filtered => {
    let byPlace = filtered.get(set);
    if (!byPlace) filtered.set(set, (byPlace = new Map()));
    const place = parent.name + '\u0000' + path.join('\u0000');
    let result = byPlace.get(place);
    if (!result) {
      result = filterSelections(set, parent, path);
      byPlace.set(place, result);
    }
    return result;
  };

  const filterSelections = (set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): Filtered => {
    let changed = false;
    const plan: SelectionNode[] = [];
    const response: SelectionNode[] = [];
    const keep = (sel: SelectionNode) => {
      plan.push(sel);
      response.push(sel);
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const field = name.startsWith('__') || !('getFields' in parent) ? undefined : parent.getFields()[name];
        if (!field) {
          keep(sel);
          continue;
        }
        const fieldPath = [...path, sel.alias?.value ?? name];
        const named = getNamedType(field.type);
        let missing = checkAll(fieldRequirements(parent, field));
        if (!missing && sel.selectionSet && isAbstractType(named) && hasSharedSelections(sel.selectionSet)) {
          // Selected as the abstract type itself: every possible type must be allowed.
          missing = checkAll([metadata.typeRequirement(named.name), ...schema.getPossibleTypes(named).map((t) => metadata.typeRequirement(t.name))]);
        }
        if (missing) {
          remove(fieldPath, missing);
          changed = true;
          response.push({ ...sel, directives: [...(sel.directives ?? []), MARKER] });
          continue;
        }
        if (!sel.selectionSet) {
          keep(sel);
          continue;
        }
        const sub = filterSet(sel.selectionSet, named as GraphQLCompositeType, [...fieldPath, ...listMarkers(field.type)]);
        if (!sub.changed) {
          keep(sel);
          continue;
        }
        changed = true;
        plan.push({ ...sel, selectionSet: { ...sel.selectionSet, selections: sub.plan.length > 0 ? sub.plan : [TYPENAME] } });
        response.push({ ...sel, selectionSet: { ...sel.selectionSet, selections: sub.response.length > 0 ? sub.response : [TYPENAME] } });
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
      let conditionType = (fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent) as GraphQLCompositeType | undefined;
      if (!conditionType) continue;
      // `... on Watch { ...OnGadget }`: inside, the object is still a Watch.
      if (isObjectType(parent) && isAbstractType(conditionType) && schema.isSubType(conditionType, parent)) conditionType = parent;
      const missing = isObjectType(conditionType) && conditionType !== parent ? checkAll([metadata.typeRequirement(conditionType.name)]) : undefined;
      if (missing) {
        remove(path, missing);
        changed = true;
        continue;
      }
      const sub = filterSet(fragment.selectionSet, conditionType, path);
      if (!sub.changed) {
        keep(sel);
        continue;
      }
      changed = true;
      if (sub.plan.length > 0) plan.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: sub.plan } });
      if (sub.response.length > 0) response.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: sub.response } });
    }
    return { plan, response, changed };
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return { document, responseDocument: document, removals };
  const result = filterSet(operation.selectionSet, root, []);
  if (!result.changed) return { document, responseDocument: document, removals };
  const withSelections = (selections: SelectionNode[]): DocumentNode => ({
    kind: Kind.DOCUMENT,
    // Untouched spreads still need their fragments; the other operations of the document are dropped.
    definitions: [{ ...operation, selectionSet: { ...operation.selectionSet, selections: selections.length > 0 ? selections : [TYPENAME] } }, ...fragments.values()],
  });
  return { document: withSelections(result.plan), responseDocument: withSelections(result.response), removals };
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
  if (b.requiresScopes) out.requiresScopes = union(a.requiresScopes, b.requiresScopes);
  if (b.policies) out.policies = union(a.policies, b.policies);
  return out;
}

/** Alternatives of both, each once (composition copies an implementation's requirement onto its interface). */
function union(a: string[][] | undefined, b: string[][]): string[][] {
  const out = [...(a ?? [])];
  for (const alternative of b) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(alternative))) out.push(alternative);
  return out;
}
