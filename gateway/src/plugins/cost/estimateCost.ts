/**
 * Static and actual cost, as Apollo Router's demand control computes them (IBM cost spec):
 * - a field costs `count × (weight + selections) + arguments`, where `weight` is its @cost (or its
 *   type's), else 1 for objects, interfaces and unions and 0 for scalars and enums; `count` is 1, or
 *   for a list the size from a parent's `@listSize(sizedFields:)`, else its own `@listSize` (largest
 *   slicing argument given, defaults included, else `assumedSize`), else the default list size;
 * - an argument costs its @cost (input objects 1 plus their fields, lists the sum of their items);
 * - a mutation starts at 10;
 * - fragments add up; `@skip`/`@include` that exclude a field remove its cost;
 * - a query plan costs the sum of its fetches, each scored with its subgraph's schema (so entity
 *   fetches count); a Condition costs its more expensive branch.
 * The actual cost walks the response with the same weights and the real list lengths.
 */
import type { BatchFetchNode, FetchNode, Plan, PlanNode } from '../../planning/plan';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getNamedType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { collectFields } from '../../graphql/collectFields';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import { isIncluded } from '../../graphql/isIncluded';
import { GatewayErrorCode } from '../../errors/gatewayError';
import type { CostSchema, ListSizeSpec } from './costSchema';

type Variables = Readonly<Record<string, unknown>>;

/** What a mutation costs before any field, as in the IBM cost spec and Apollo Router. */
export const MUTATION_BASE_COST = 10;

/** A @listSize applied to one field of the operation: its size, and which child fields it sizes. */
interface AppliedListSize {
  expectedSize: number | undefined;
  sizedFields: readonly string[];
}

export class CostError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: GatewayErrorCode.COST_QUERY_PARSE_FAILURE } });
  }
}

interface Context {
  cs: CostSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Variables;
  defaultListSize: number;
}

export function estimateOperation(
  cs: CostSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Variables,
  defaultListSize: number,
): number {
  const root = cs.schema.getRootType(operation.operation);
  if (!root) throw new CostError(`The schema has no ${operation.operation} type.`);
  const ctx: Context = { cs, fragments, variables, defaultListSize };
  return bounded((operation.operation === OperationTypeNode.MUTATION ? MUTATION_BASE_COST : 0) + scoreSelectionSet(ctx, operation.selectionSet, root, []));
}

function scoreSelectionSet(ctx: Context, set: SelectionSetNode, parent: GraphQLNamedType, sizes: readonly AppliedListSize[]): number {
  let cost = 0;
  for (const sel of set.selections) {
    if (!isIncluded(sel.directives, ctx.variables)) continue;
    if (sel.kind === Kind.FIELD) {
      const fromParent = sizes.filter((s) => s.sizedFields.includes(sel.name.value) && s.expectedSize !== undefined).map((s) => s.expectedSize!);
      cost += scoreField(ctx, sel, parent, fromParent.length > 0 ? Math.max(...fromParent) : undefined);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const type = sel.typeCondition ? ctx.cs.schema.getType(sel.typeCondition.name.value) : parent;
      if (type) cost += scoreSelectionSet(ctx, sel.selectionSet, type, sizes);
    } else {
      const fragment = ctx.fragments.get(sel.name.value);
      const type = fragment && ctx.cs.schema.getType(fragment.typeCondition.name.value);
      if (fragment && type) cost += scoreSelectionSet(ctx, fragment.selectionSet, type, sizes);
    }
  }
  return cost;
}

function fieldOf(parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  return 'getFields' in parent && typeof parent.getFields === 'function' && !isInputObjectType(parent)
    ? (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[name]
    : undefined;
}

function scoreField(ctx: Context, field: FieldNode, parent: GraphQLNamedType, sizeFromParent: number | undefined): number {
  const name = field.name.value;
  if (name.startsWith('__')) return 0;
  const def = fieldOf(parent, name);
  if (!def) throw new CostError(`Field ${parent.name}.${name} is not in the schema.`);
  const applied = ctx.cs.listSizes(parent.name, name).map((spec) => applyListSize(spec, field, def, ctx.variables));
  const expected = applied.map((a) => a.expectedSize).filter((s): s is number => s !== undefined);
  const count = !isList(def.type) ? 1 : sizeFromParent ?? (expected.length > 0 ? Math.max(...expected) : ctx.defaultListSize);

  const named = getNamedType(def.type);
  let typeCost = ctx.cs.fieldCost(parent.name, name) ?? (isCompositeType(named) ? 1 : 0);
  if (field.selectionSet) typeCost += scoreSelectionSet(ctx, field.selectionSet, named, applied);

  let argumentsCost = 0;
  for (const arg of field.arguments ?? []) {
    const argDef = def.args.find((a) => a.name === arg.name.value);
    if (!argDef) throw new CostError(`Argument ${arg.name.value} of ${parent.name}.${name} is not in the schema.`);
    argumentsCost += scoreArgument(ctx, arg.value, argDef.type, ctx.cs.argumentCost(parent.name, name, argDef.name));
  }
  return count * typeCost + argumentsCost;
}

function scoreArgument(ctx: Context, value: ValueNode, type: GraphQLInputType, weight: number | undefined): number {
  switch (value.kind) {
    case Kind.VARIABLE:
      return value.name.value in ctx.variables ? scoreValue(ctx, ctx.variables[value.name.value], type, weight) : 0;
    case Kind.NULL:
      return 0;
    case Kind.LIST:
      return value.values.reduce((sum, v) => sum + scoreArgument(ctx, v, elementType(type), weight), weight ?? 0);
    case Kind.OBJECT: {
      const input = getNamedType(type);
      if (!isInputObjectType(input)) return weight ?? 0;
      let cost = weight ?? 1;
      for (const f of value.fields) {
        const fieldDef = input.getFields()[f.name.value];
        if (fieldDef) cost += scoreArgument(ctx, f.value, fieldDef.type, ctx.cs.inputFieldCost(input.name, f.name.value));
      }
      return cost;
    }
    default:
      return weight ?? 0;
  }
}

function scoreValue(ctx: Context, value: unknown, type: GraphQLInputType, weight: number | undefined): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + scoreValue(ctx, v, elementType(type), weight), weight ?? 0);
  const input = getNamedType(type);
  if (typeof value === 'object' && isInputObjectType(input)) {
    let cost = weight ?? 1;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const fieldDef = input.getFields()[k];
      if (fieldDef) cost += scoreValue(ctx, v, fieldDef.type, ctx.cs.inputFieldCost(input.name, k));
    }
    return cost;
  }
  return weight ?? 0;
}

function elementType(type: GraphQLInputType): GraphQLInputType {
  const t = isNonNullType(type) ? type.ofType : type;
  return isListType(t) ? t.ofType : t;
}

function isList(type: GraphQLOutputType): boolean {
  const t = isNonNullType(type) ? type.ofType : type;
  return isListType(t);
}

/** The size a @listSize gives one field of the operation. */
function applyListSize(spec: ListSizeSpec, field: FieldNode, def: GraphQLField<unknown, unknown>, variables: Variables): AppliedListSize {
  if (spec.slicingArguments.length === 0) return { expectedSize: spec.assumedSize, sizedFields: spec.sizedFields };
  // Defaults first, then what the operation gives: the largest size wins.
  const values = new Map<string, { value: ValueNode | unknown; fromVariable: boolean }>();
  for (const arg of def.args) if (arg.astNode?.defaultValue) values.set(arg.name, { value: arg.astNode.defaultValue, fromVariable: false });
  let given = 0;
  for (const arg of field.arguments ?? []) {
    if (arg.value.kind === Kind.VARIABLE) {
      if (arg.value.name.value in variables && variables[arg.value.name.value] != null) {
        values.set(arg.name.value, { value: variables[arg.value.name.value], fromVariable: true });
        if (spec.slicingArguments.some((p) => p.split('.')[0] === arg.name.value)) given++;
      }
    } else if (arg.value.kind !== Kind.NULL) {
      values.set(arg.name.value, { value: arg.value, fromVariable: false });
      if (spec.slicingArguments.some((p) => p.split('.')[0] === arg.name.value)) given++;
    }
  }
  if (spec.requireOneSlicingArgument && given > 1) {
    throw new CostError(`Exactly one slicing argument is required on ${def.name} (${spec.slicingArguments.join(', ')}).`);
  }
  const sizes: number[] = [];
  for (const path of spec.slicingArguments) {
    const [argName, ...rest] = path.split('.');
    const entry = values.get(argName);
    if (!entry) continue;
    const size = entry.fromVariable ? sizeOfJson(walkJson(entry.value, rest)) : sizeOfAst(walkAst(entry.value as ValueNode, rest), variables);
    if (size !== undefined) sizes.push(size);
  }
  return { expectedSize: sizes.length > 0 ? Math.max(...sizes) : spec.assumedSize, sizedFields: spec.sizedFields };
}

function walkAst(value: ValueNode | undefined, path: string[]): ValueNode | undefined {
  let v = value;
  for (const step of path) v = v?.kind === Kind.OBJECT ? v.fields.find((f) => f.name.value === step)?.value : undefined;
  return v;
}

function walkJson(value: unknown, path: string[]): unknown {
  let v = value;
  for (const step of path) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[step] : undefined;
  return v;
}

function sizeOfAst(value: ValueNode | undefined, variables: Variables): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return listSize(Number(value.value));
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) return sizeOfJson(variables[value.name.value]);
  return undefined;
}

function sizeOfJson(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  return typeof value === 'number' && Number.isInteger(value) ? listSize(value) : undefined;
}

/**
 * A slicing argument as a list size: a negative one asks for no items, so it is sized 0. It must
 * never make an estimate smaller (a negative estimate passes every limit and fills a budget).
 */
function listSize(n: number): number {
  return n > 0 ? n : 0;
}

/**
 * The largest estimate. Sizes multiply through nested lists, so a few huge slicing arguments could
 * reach numbers that lose precision or overflow to Infinity; an estimate this large is over every
 * limit and budget anyway, and stays a finite number the budget stores can hold.
 */
export const MAX_ESTIMATE = Number.MAX_SAFE_INTEGER;

function bounded(cost: number): number {
  return Number.isFinite(cost) ? Math.min(Math.max(cost, 0), MAX_ESTIMATE) : MAX_ESTIMATE;
}

// ---------------------------------------------------------------------------------------------
// Query plans

interface ParsedFetch {
  operation: OperationDefinitionNode;
  fragments: Map<string, FragmentDefinitionNode>;
}
const parsedFetches = new WeakMap<FetchNode | BatchFetchNode, ParsedFetch>();

function parsedFetch(fetch: FetchNode | BatchFetchNode): ParsedFetch {
  let parsed = parsedFetches.get(fetch);
  if (!parsed) {
    const doc = parse(fetch.operation);
    const operation = doc.definitions.find((def): def is OperationDefinitionNode => def.kind === Kind.OPERATION_DEFINITION);
    if (!operation) throw new CostError(`A fetch to ${fetch.serviceName} has no operation.`);
    parsed = { operation, fragments: fragmentsOf(doc) };
    parsedFetches.set(fetch, parsed);
  }
  return parsed;
}

/** The estimated cost of a plan: each fetch scored with its subgraph's cost schema. */
export function estimatePlan(
  plan: Plan,
  subgraphs: (name: string) => CostSchema | undefined,
  variables: Variables,
  defaultListSize: number,
): number {
  const score = (node: PlanNode | undefined): number => {
    if (!node) return 0;
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        return node.nodes.reduce((sum, n) => sum + score(n), 0);
      case 'Flatten':
        return score(node.node);
      case 'Condition':
        return Math.max(score(node.ifClause), score(node.elseClause));
      case 'Defer':
        return score(node.primary.node) + node.deferred.reduce((sum, d) => sum + score(d.node), 0);
      case 'Fetch':
      case 'BatchFetch': {
        const cs = subgraphs(node.serviceName);
        if (!cs) throw new CostError(`No schema for subgraph ${node.serviceName}.`);
        const { operation, fragments } = parsedFetch(node);
        return estimateOperation(cs, operation, fragments, variables, defaultListSize);
      }
    }
  };
  const root = plan.node;
  if (root && root.kind === 'Subscription') return bounded(score(root.primary) + score(root.rest));
  return bounded(score(root));
}

// ---------------------------------------------------------------------------------------------
// Actual cost

/** The cost of a response: the same weights, the real list lengths. */
export function actualCost(
  cs: CostSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Variables,
  data: Record<string, unknown> | null | undefined,
): number {
  const root = cs.schema.getRootType(operation.operation);
  if (!root || !data) return 0;
  const ctx: Context = { cs, fragments, variables, defaultListSize: 0 };
  return bounded(visitObject(ctx, operation.selectionSet, root, data));
}

function visitObject(ctx: Context, set: SelectionSetNode, parent: GraphQLNamedType, obj: Record<string, unknown>): number {
  let cost = 0;
  // Each response key once, however many fragments select it; each named fragment once, however
  // often it is spread (a chain of fragments each spreading the next twice must not cost 2^n).
  const seen = new Set<string>();
  collectFields(set, parent, ctx.fragments, {
    field(sel, type) {
      const key = sel.alias?.value ?? sel.name.value;
      if (seen.has(key) || !(key in obj) || sel.name.value.startsWith('__')) return;
      const def = fieldOf(type, sel.name.value) ?? fieldOf(parent, sel.name.value);
      if (!def) return;
      seen.add(key);
      cost += visitValue(ctx, sel, type, def, obj[key], true);
    },
    fragment: (typeCondition, type) => (typeCondition ? ctx.cs.schema.getType(typeCondition.name.value) : type) ?? false,
  });
  return cost;
}

function visitValue(ctx: Context, field: FieldNode, parent: GraphQLNamedType, def: GraphQLField<unknown, unknown>, value: unknown, withArguments: boolean): number {
  let cost = 0;
  if (Array.isArray(value)) {
    for (const item of value) cost += visitValue(ctx, field, parent, def, item, false);
  } else if (value !== null && typeof value === 'object') {
    cost += ctx.cs.fieldCost(parent.name, def.name) ?? 1;
    const named = getNamedType(def.type);
    const typename = (value as Record<string, unknown>).__typename;
    const runtime = (typeof typename === 'string' && ctx.cs.schema.getType(typename)) || named;
    if (field.selectionSet) cost += visitObject(ctx, field.selectionSet, runtime, value as Record<string, unknown>);
  } else {
    cost += ctx.cs.fieldCost(parent.name, def.name) ?? 0;
  }
  if (withArguments) {
    for (const arg of field.arguments ?? []) {
      const argDef = def.args.find((a) => a.name === arg.name.value);
      if (argDef) cost += scoreArgument(ctx, arg.value, argDef.type, ctx.cs.argumentCost(parent.name, def.name, argDef.name));
    }
  }
  return cost;
}
