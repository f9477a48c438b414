/**
 * Removes from an operation what the caller may not see, before planning, so that no subgraph is
 * ever asked for it. Semantics follow Apollo Router's authorization directives:
 * - a field is allowed when its own requirement and the requirement of the type it returns hold;
 * - a field selected through an interface also needs what each implementation's field requires;
 * - a field returning an abstract type with a protected implementation is removed whole, unless
 *   the query only reaches the implementations through type-specific fragments, in which case the
 *   fragments on protected types are removed;
 * - a selection set left empty keeps `__typename`, so its parent still resolves (to an object whose
 *   removed fields are null);
 * - a fragment spread whose fragment loses selections becomes a spread of a filtered copy of it (see
 *   filterFragment), so the filtered documents expand no further than the client's.
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
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type NameNode,
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
  const ctx: FilterContext = {
    schema,
    metadata,
    check,
    fragments,
    removals: [],
    reported: new Set(),
    shared: new Map(),
    filtered: new Map(),
    copies: new Map(),
    names: new Set(fragments.keys()),
    counter: { next: 0 },
    planCopies: [],
    responseCopies: [],
  };
  const root = schema.getRootType(operation.operation);
  if (!root) return { document, responseDocument: document, removals: ctx.removals };
  const result = filterSet(ctx, operation.selectionSet, root, []);
  if (!result.changed) return { document, responseDocument: document, removals: ctx.removals };
  return {
    document: documentWith(operation, ctx.fragments, result.plan, ctx.planCopies),
    responseDocument: documentWith(operation, ctx.fragments, result.response, ctx.responseCopies),
    removals: ctx.removals,
  };
}

interface FilterContext {
  readonly schema: GraphQLSchema;
  readonly metadata: AuthorizationMetadata;
  readonly check: CheckRequirement;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly removals: Removal[];
  /** Removals already reported, so that a place reached twice is reported once. */
  readonly reported: Set<string>;
  // Fragments make the document a graph: a fragment spread twice in each of a chain of fragments
  // would be walked 2^n times. Both walks are memoized per selection set, so each is walked once
  // per (parent type, path) it is reached at: a repeated spread at the same place is free.
  readonly shared: Map<SelectionSetNode, boolean>;
  readonly filtered: Map<SelectionSetNode, Map<string, Filtered>>;
  /** The filtered copy of a fragment, by the filtering it holds (one per fragment and place). */
  readonly copies: Map<Filtered, NameNode>;
  /** Fragment names taken: the document's and the copies'. */
  readonly names: Set<string>;
  /** Numbers the copies' names. */
  readonly counter: { next: number };
  /** The copies' definitions, for the document to plan and the one to shape the response with. */
  readonly planCopies: FragmentDefinitionNode[];
  readonly responseCopies: FragmentDefinitionNode[];
}

/** The operation alone, with these selections, and the fragments they may spread. */
function documentWith(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  selections: SelectionNode[],
  copies: FragmentDefinitionNode[],
): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    // Untouched spreads still need their fragments; the other operations of the document are dropped.
    definitions: [{ ...operation, selectionSet: { ...operation.selectionSet, selections: selections.length > 0 ? selections : [TYPENAME] } }, ...fragments.values(), ...copies],
  };
}

function reportRemoval(ctx: FilterContext, path: string[], missing: Missing): void {
  const trimmed = [...path];
  while (trimmed[trimmed.length - 1] === '@') trimmed.pop();
  const key = JSON.stringify([trimmed, missing]);
  if (!ctx.reported.has(key)) {
    ctx.reported.add(key);
    ctx.removals.push({ path: trimmed, missing });
  }
}

function checkAll(ctx: FilterContext, reqs: Array<Requirement | undefined>): Missing | undefined {
  let missing: Missing | undefined;
  for (const r of reqs) {
    const m = r && ctx.check(r);
    if (m) missing = mergeMissing(missing, m);
  }
  return missing;
}

/** What a field needs: its own requirement (and, through an interface, each implementation's) and its return type's. */
function fieldRequirements(ctx: FilterContext, parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>): Array<Requirement | undefined> {
  const { metadata } = ctx;
  const reqs = [metadata.fieldRequirement(parent.name, field.name)];
  const named = getNamedType(field.type);
  // An abstract return type is decided with its selection set (see filterField): composition copies the
  // requirements of implementations onto the interface, and type-specific fragments may avoid them.
  if (!isAbstractType(named)) reqs.push(metadata.typeRequirement(named.name));
  if (isInterfaceType(parent)) for (const impl of ctx.schema.getPossibleTypes(parent)) reqs.push(metadata.fieldRequirement(impl.name, field.name));
  return reqs;
}

/** Selections that apply whatever the concrete type: anything but type-specific fragments and __typename. */
function hasSharedSelections(ctx: FilterContext, set: SelectionSetNode): boolean {
  let known = ctx.shared.get(set);
  if (known !== undefined) return known;
  ctx.shared.set(set, false); // a fragment cycle (refused by validation) stops here
  known = set.selections.some((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value !== '__typename';
    const def = sel.kind === Kind.FRAGMENT_SPREAD ? ctx.fragments.get(sel.name.value) : undefined;
    const typeName = sel.kind === Kind.INLINE_FRAGMENT ? sel.typeCondition?.name.value : def?.typeCondition.name.value;
    const selectionSet = sel.kind === Kind.INLINE_FRAGMENT ? sel.selectionSet : def?.selectionSet;
    if (typeName && isObjectType(ctx.schema.getType(typeName))) return false;
    return selectionSet ? hasSharedSelections(ctx, selectionSet) : false;
  });
  ctx.shared.set(set, known);
  return known;
}

function filterSet(ctx: FilterContext, set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): Filtered {
  let byPlace = ctx.filtered.get(set);
  if (!byPlace) ctx.filtered.set(set, (byPlace = new Map()));
  const place = parent.name + '\u0000' + path.join('\u0000');
  let result = byPlace.get(place);
  if (!result) {
    result = filterSelections(ctx, set, parent, path);
    byPlace.set(place, result);
  }
  return result;
}

function filterSelections(ctx: FilterContext, set: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): Filtered {
  const out: Filtered = { plan: [], response: [], changed: false };
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) filterField(ctx, sel, parent, path, out);
    else filterFragment(ctx, sel, parent, path, out);
  }
  return out;
}

function keep(out: Filtered, sel: SelectionNode): void {
  out.plan.push(sel);
  out.response.push(sel);
}

/** A field the caller may not see is left out of the plan and marked in the response; else its selections are filtered. */
function filterField(ctx: FilterContext, sel: FieldNode, parent: GraphQLCompositeType, path: string[], out: Filtered): void {
  const name = sel.name.value;
  const field = name.startsWith('__') || !('getFields' in parent) ? undefined : parent.getFields()[name];
  if (!field) {
    keep(out, sel);
    return;
  }
  const fieldPath = [...path, sel.alias?.value ?? name];
  const named = getNamedType(field.type);
  let missing = checkAll(ctx, fieldRequirements(ctx, parent, field));
  if (!missing && sel.selectionSet && isAbstractType(named) && hasSharedSelections(ctx, sel.selectionSet)) {
    // Selected as the abstract type itself: every possible type must be allowed.
    const { metadata } = ctx;
    missing = checkAll(ctx, [metadata.typeRequirement(named.name), ...ctx.schema.getPossibleTypes(named).map((t) => metadata.typeRequirement(t.name))]);
  }
  if (missing) {
    reportRemoval(ctx, fieldPath, missing);
    out.changed = true;
    out.response.push({ ...sel, directives: [...(sel.directives ?? []), MARKER] });
    return;
  }
  if (!sel.selectionSet) {
    keep(out, sel);
    return;
  }
  const sub = filterSet(ctx, sel.selectionSet, named as GraphQLCompositeType, [...fieldPath, ...listMarkers(field.type)]);
  if (!sub.changed) {
    keep(out, sel);
    return;
  }
  out.changed = true;
  out.plan.push({ ...sel, selectionSet: { ...sel.selectionSet, selections: sub.plan.length > 0 ? sub.plan : [TYPENAME] } });
  out.response.push({ ...sel, selectionSet: { ...sel.selectionSet, selections: sub.response.length > 0 ? sub.response : [TYPENAME] } });
}

/**
 * A fragment on a type the caller may not see is removed; else its selections are filtered. An
 * untouched spread stays as it is; a spread whose fragment loses selections becomes a spread of a
 * filtered copy of the fragment, one copy per place it is filtered at, so that one fragment can be
 * filtered differently in different places.
 *
 * A copy, not the selections written inline: a fragment spread again in the selections of one field
 * adds nothing (graphql-js's collectFields skips it, so do the planner and response shaping, and
 * print writes a spread as a name), while an inline fragment adds its selections every time. A chain
 * of 30 fragments, each spreading the next twice, is 60 spreads; inlined, it would be 2^30 copies of
 * the last fragment for the planner, the shaping and the printer (for the planning thread) to walk.
 */
function filterFragment(ctx: FilterContext, sel: InlineFragmentNode | FragmentSpreadNode, parent: GraphQLCompositeType, path: string[], out: Filtered): void {
  const { schema } = ctx;
  let fragment: InlineFragmentNode;
  if (sel.kind === Kind.FRAGMENT_SPREAD) {
    const def = ctx.fragments.get(sel.name.value);
    if (!def) return;
    fragment = { kind: Kind.INLINE_FRAGMENT, typeCondition: def.typeCondition, directives: sel.directives, selectionSet: def.selectionSet };
  } else {
    fragment = sel;
  }
  let conditionType = (fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent) as GraphQLCompositeType | undefined;
  if (!conditionType) return;
  // `... on Watch { ...OnGadget }`: inside, the object is still a Watch.
  if (isObjectType(parent) && isAbstractType(conditionType) && schema.isSubType(conditionType, parent)) conditionType = parent;
  const missing = isObjectType(conditionType) && conditionType !== parent ? checkAll(ctx, [ctx.metadata.typeRequirement(conditionType.name)]) : undefined;
  if (missing) {
    reportRemoval(ctx, path, missing);
    out.changed = true;
    return;
  }
  const sub = filterSet(ctx, fragment.selectionSet, conditionType, path);
  if (!sub.changed) {
    keep(out, sel);
    return;
  }
  out.changed = true;
  if (sel.kind === Kind.FRAGMENT_SPREAD) {
    const name = copyOf(ctx, ctx.fragments.get(sel.name.value)!, sub);
    if (sub.plan.length > 0) out.plan.push({ ...sel, name });
    if (sub.response.length > 0) out.response.push({ ...sel, name });
    return;
  }
  if (sub.plan.length > 0) out.plan.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: sub.plan } });
  if (sub.response.length > 0) out.response.push({ ...fragment, selectionSet: { ...fragment.selectionSet, selections: sub.response } });
}

/** The name of the copy of `def` holding `filtered`: defined once, in each document it selects something in. */
function copyOf(ctx: FilterContext, def: FragmentDefinitionNode, filtered: Filtered): NameNode {
  let name = ctx.copies.get(filtered);
  if (name) return name;
  // Fragment names are the client's: the copy takes a name no fragment of the document has. One
  // counter for all copies, so that the names a client took cost one step each, once.
  let value: string;
  do value = `${def.name.value}__filtered${ctx.counter.next++}`;
  while (ctx.names.has(value));
  ctx.names.add(value);
  name = { kind: Kind.NAME, value };
  ctx.copies.set(filtered, name);
  if (filtered.plan.length > 0) ctx.planCopies.push({ ...def, name, selectionSet: { ...def.selectionSet, selections: filtered.plan } });
  if (filtered.response.length > 0) ctx.responseCopies.push({ ...def, name, selectionSet: { ...def.selectionSet, selections: filtered.response } });
  return name;
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
