/**
 * Response shaping: the last step of a request. Plan execution leaves a merged tree of everything the
 * subgraphs returned, including keys and `@requires` inputs the client never asked for, in no
 * particular order. Shaping walks the client's operation over that tree and produces the response:
 * only the requested fields, in query order, with aliases, `@skip`/`@include`, `__typename`,
 * abstract-type fragments, leaf value checks and null propagation for non-null fields
 * (https://spec.graphql.org/October2021/#sec-Handling-Field-Errors).
 *
 * The operation is compiled once into a `SelectionShape[]` tree (cached with the plan), so a request
 * only walks plain objects. The semantics follow @apollo/gateway's `computeResponse`, our oracle.
 */
import {
  GraphQLError,
  GraphQLSchema,
  Kind,
  getNamedType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLAbstractType,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { deferCondition } from '../graphql/deferDirectives';
import { conditionsHold, inclusionConditions, type InclusionCondition } from '../graphql/isIncluded';
import { GatewayErrorCode } from '../errors/gatewayError';

type TypeShape =
  | { readonly kind: 'nonNull'; readonly of: TypeShape; readonly printed: string }
  | { readonly kind: 'list'; readonly of: TypeShape; readonly printed: string }
  | { readonly kind: 'leaf'; readonly check: (value: unknown) => boolean; readonly printed: string }
  | { readonly kind: 'composite'; readonly printed: string };

/**
 * Authorization marks the fields it removed with this directive in the document the response is
 * shaped to (see plugins/authorization): they are answered null whatever the data holds.
 */
export const UNAUTHORIZED_MARKER = 'junction__unauthorized';

export interface FieldShape {
  readonly kind: 'field';
  readonly responseName: string;
  /** `unauthorized`: answered null whatever the data holds (authorization removed it). */
  readonly special: 'typename' | 'introspection' | 'unauthorized' | undefined;
  readonly node: FieldNode;
  readonly type: TypeShape;
  readonly selections: readonly SelectionShape[] | undefined;
  readonly conditions: readonly InclusionCondition[] | undefined;
}

export interface FragmentShape {
  readonly kind: 'fragment';
  /** Undefined for an inline fragment without type condition. */
  readonly typeCondition: string | undefined;
  /** Object types the condition matches. */
  readonly possibleTypes: ReadonlySet<string> | undefined;
  readonly selections: readonly SelectionShape[];
  readonly conditions: readonly InclusionCondition[] | undefined;
  /**
   * `@defer`: its label, and when it defers (`true`, or the variable whose value `true` does). A
   * deferred fragment is left out of the response it is in, and shaped apart (applyDeferredShape).
   */
  readonly defer: { readonly label: string | undefined; readonly when: true | string; readonly parentType: string } | undefined;
}

export type SelectionShape = FieldShape | FragmentShape;

export interface OperationShape {
  readonly rootTypeName: string;
  readonly selections: readonly SelectionShape[];
  readonly hasIntrospection: boolean;
  /** The deferred fragments by label (every `@defer` has one by then: see graphql/deferDirectives.ts). */
  readonly deferred: ReadonlyMap<string, FragmentShape>;
}

// ---------------------------------------------------------------------------------------------
// Compilation

const INT_TEXT = /^[+-]?\d+$/;

/** Leaf checks as @apollo/federation-internals' isValidLeafValue applies them. */
function leafCheck(schema: GraphQLSchema, name: string): (value: unknown) => boolean {
  switch (name) {
    case 'Boolean':
      return (v) => typeof v === 'boolean';
    case 'Int':
      return (v) => typeof v === 'number' && Number.isFinite(v) && INT_TEXT.test(String(v));
    case 'Float':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'String':
      return (v) => typeof v === 'string';
    case 'ID':
      return (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v) && INT_TEXT.test(String(v)));
  }
  const type = schema.getType(name);
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (v) => typeof v === 'string' && values.has(v);
  }
  return () => true; // custom scalars: any value
}

export function compileOperationShape(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): OperationShape {
  const root = schema.getRootType(operation.operation);
  if (!root) throw new Error(`Schema has no ${operation.operation} root type`);
  const ctx: CompileContext = {
    schema,
    fragments,
    typeShapes: new Map(),
    compiled: new Map(),
    stringType: schema.getType('String') as GraphQLOutputType,
    hasIntrospection: false,
    deferred: new Map(),
  };
  const selections = compileSelectionSet(ctx, operation.selectionSet, root);
  return { rootTypeName: root.name, selections, hasIntrospection: ctx.hasIntrospection, deferred: ctx.deferred };
}

interface CompileContext {
  readonly schema: GraphQLSchema;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** By printed type (`[Int!]`), so equal types share one shape. */
  readonly typeShapes: Map<string, TypeShape>;
  /** Compiled selections by selection set, then by parent type name. */
  readonly compiled: Map<SelectionSetNode, Map<string, SelectionShape[]>>;
  /** The type `__typename` and introspection fields are given; their values are never checked against it. */
  readonly stringType: GraphQLOutputType;
  hasIntrospection: boolean;
  readonly deferred: Map<string, FragmentShape>;
}

function typeShape(ctx: CompileContext, type: GraphQLOutputType): TypeShape {
  const printed = String(type);
  let shape = ctx.typeShapes.get(printed);
  if (shape) return shape;
  if (isNonNullType(type)) shape = { kind: 'nonNull', of: typeShape(ctx, type.ofType), printed };
  else if (isListType(type)) shape = { kind: 'list', of: typeShape(ctx, type.ofType), printed };
  else if (isCompositeType(type)) shape = { kind: 'composite', printed };
  else shape = { kind: 'leaf', check: leafCheck(ctx.schema, type.name), printed };
  ctx.typeShapes.set(printed, shape);
  return shape;
}

function possibleTypeNames(schema: GraphQLSchema, type: GraphQLCompositeType): ReadonlySet<string> {
  return new Set(isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name]);
}

// A fragment's selections compile once per parent type, however often it is spread: a chain of
// fragments that each spread the next one twice costs its length, not 2^length. The shapes are
// shared, never changed after compiling.
function compileSelectionSet(ctx: CompileContext, selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): SelectionShape[] {
  let byType = ctx.compiled.get(selectionSet);
  if (!byType) ctx.compiled.set(selectionSet, (byType = new Map()));
  let shapes = byType.get(parentType.name);
  if (!shapes) {
    shapes = compileSelections(ctx, selectionSet, parentType, new Set());
    byType.set(parentType.name, shapes);
  }
  return shapes;
}

/**
 * `applied`: the fragments already spread in this field's selections wherever its object is (no
 * condition, a type condition every possible type meets). A second spread of one of them selects
 * nothing new (graphql-js's collectFields skips it too), so it is left out, and applying the shape
 * stays linear too.
 */
function compileSelections(ctx: CompileContext, selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, applied: Set<string>): SelectionShape[] {
  const out: SelectionShape[] = [];
  for (const selection of selectionSet.selections) {
    const inclusion = inclusionConditions(selection.directives);
    if (inclusion === false) continue; // statically skipped
    const conditions = inclusion === true ? undefined : inclusion;
    if (selection.kind === Kind.FIELD) {
      out.push(compileField(ctx, selection, parentType, conditions));
    } else {
      const fragment = compileFragment(ctx, selection, parentType, applied, conditions);
      if (fragment) out.push(fragment);
    }
  }
  return out;
}

function compileField(
  ctx: CompileContext,
  selection: FieldNode,
  parentType: GraphQLCompositeType,
  conditions: readonly InclusionCondition[] | undefined,
): FieldShape {
  const name = selection.name.value;
  const responseName = selection.alias?.value ?? name;
  if (name === '__typename') {
    return { kind: 'field', responseName, special: 'typename', node: selection, type: typeShape(ctx, ctx.stringType), selections: undefined, conditions };
  }
  if (name === '__schema' || name === '__type') {
    ctx.hasIntrospection = true;
    return { kind: 'field', responseName, special: 'introspection', node: selection, type: typeShape(ctx, ctx.stringType), selections: undefined, conditions };
  }
  if (isAbstractType(parentType) && !('getFields' in parentType)) {
    throw new Error(`Cannot select ${name} on union ${parentType.name}`);
  }
  const def = (parentType as { getFields(): Record<string, { type: GraphQLOutputType }> }).getFields()[name];
  if (!def) throw new Error(`Unknown field ${parentType.name}.${name}`);
  const named = getNamedType(def.type);
  return {
    kind: 'field',
    responseName,
    special: selection.directives?.some((d) => d.name.value === UNAUTHORIZED_MARKER) ? 'unauthorized' : undefined,
    node: selection,
    type: typeShape(ctx, def.type),
    selections: selection.selectionSet && isCompositeType(named) ? compileSelectionSet(ctx, selection.selectionSet, named) : undefined,
    conditions,
  };
}

/** Undefined for a spread of a fragment already applied here (see compileSelections). */
function compileFragment(
  ctx: CompileContext,
  selection: InlineFragmentNode | FragmentSpreadNode,
  parentType: GraphQLCompositeType,
  applied: Set<string>,
  conditions: readonly InclusionCondition[] | undefined,
): FragmentShape | undefined {
  const { schema } = ctx;
  let typeConditionName: string | undefined;
  let selSet: SelectionSetNode;
  if (selection.kind === Kind.INLINE_FRAGMENT) {
    typeConditionName = selection.typeCondition?.name.value;
    selSet = selection.selectionSet;
  } else {
    const fragment = ctx.fragments.get(selection.name.value);
    if (!fragment) throw new Error(`Unknown fragment ${selection.name.value}`);
    if (applied.has(fragment.name.value)) return undefined;
    typeConditionName = fragment.typeCondition.name.value;
    selSet = fragment.selectionSet;
  }
  const conditionType = typeConditionName ? schema.getType(typeConditionName) : parentType;
  if (!conditionType || !isCompositeType(conditionType)) throw new Error(`Unknown type ${typeConditionName}`);
  const deferred = deferCondition(selection.directives);
  const defer = deferred && deferred.when !== false ? { label: deferred.label, when: deferred.when, parentType: parentType.name } : undefined;
  // A deferred fragment is shaped on its own: what it selects is not this selection set's.
  const always =
    defer === undefined &&
    conditions === undefined &&
    (conditionType === parentType || (isObjectType(parentType) && schema.isSubType(conditionType as GraphQLCompositeType & GraphQLAbstractType, parentType)));
  if (always && selection.kind === Kind.FRAGMENT_SPREAD) applied.add(selection.name.value);
  const shape: FragmentShape = {
    kind: 'fragment',
    typeCondition: typeConditionName,
    possibleTypes: typeConditionName ? possibleTypeNames(schema, conditionType) : undefined,
    // Within a fragment that always applies, what it spreads is spread in this field too.
    selections: always ? compileSelections(ctx, selSet, conditionType, applied) : compileSelectionSet(ctx, selSet, conditionType),
    conditions,
    defer,
  };
  if (defer?.label !== undefined && !ctx.deferred.has(defer.label)) ctx.deferred.set(defer.label, shape);
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Application

export interface ShapeResult {
  data: Record<string, unknown> | null;
  /** Value-completion problems (non-null violations, invalid leaf values, unknown __typename). */
  errors: GraphQLError[];
}

interface ShapeContext {
  readonly variables: Readonly<Record<string, unknown>>;
  /** Leave deferred fragments out (a part of an incremental response), or shape them in place (the whole response). */
  readonly deferred: 'apart' | 'inline';
  readonly kinds: TypeKinds;
  readonly introspect: (field: FieldShape) => unknown;
  readonly errors: GraphQLError[];
  readonly path: Array<string | number>;
  // Out-parameters of completeValue, read right after each call (saves an allocation per field).
  invalid: boolean;
  hasErrors: boolean;
}

/** For each type name in the API schema: 'object', or 'abstract' for interfaces and unions. */
export type TypeKinds = ReadonlyMap<string, 'object' | 'abstract'>;

const typeKindsCache = new WeakMap<GraphQLSchema, TypeKinds>();
export function typeKindsOf(schema: GraphQLSchema): TypeKinds {
  let kinds = typeKindsCache.get(schema);
  if (!kinds) {
    const map = new Map<string, 'object' | 'abstract'>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (isObjectType(type)) map.set(type.name, 'object');
      else if (isAbstractType(type)) map.set(type.name, 'abstract');
    }
    kinds = map;
    typeKindsCache.set(schema, kinds);
  }
  return kinds;
}

const hasOwn = Object.prototype.hasOwnProperty;

export interface ApplyOptions {
  schema: GraphQLSchema;
  variables: Readonly<Record<string, unknown>>;
  introspect: (field: FieldShape) => unknown;
  /** `apart`: the deferred fragments are left out, for the parts that deliver them. Default `inline`. */
  deferred?: 'apart' | 'inline';
}

export function applyOperationShape(shape: OperationShape, input: Record<string, unknown>, options: ApplyOptions): ShapeResult {
  const ctx: ShapeContext = {
    deferred: options.deferred ?? 'inline',
    variables: options.variables,
    kinds: typeKindsOf(options.schema),
    introspect: options.introspect,
    errors: [],
    path: [],
    invalid: false,
    hasErrors: false,
  };
  const data: Record<string, unknown> = Object.create(null);
  const bubbled = applySelections(ctx, input, shape.selections, data, shape.rootTypeName);
  return { data: bubbled ? null : data, errors: ctx.errors };
}

/**
 * A deferred fragment's part of an incremental response: its selections on the object at `path`
 * (of runtime type `typeName`), the fragments deferred within it left out for their own parts. A
 * null that bubbles up stays in the part (its data is null): the object was sent already.
 */
export function applyDeferredShape(fragment: FragmentShape, input: Record<string, unknown>, typeName: string, path: ReadonlyArray<string | number>, options: ApplyOptions): ShapeResult {
  const ctx: ShapeContext = {
    deferred: 'apart',
    variables: options.variables,
    kinds: typeKindsOf(options.schema),
    introspect: options.introspect,
    errors: [],
    path: [...path],
    invalid: false,
    hasErrors: false,
  };
  const data: Record<string, unknown> = Object.create(null);
  const bubbled = applySelections(ctx, input, fragment.selections, data, fragment.typeCondition ?? typeName);
  return { data: bubbled ? null : data, errors: ctx.errors };
}

/** Whether a deferred fragment is deferred for these variables (`@defer(if: $v)`). */
export function deferActive(defer: NonNullable<FragmentShape['defer']>, variables: Readonly<Record<string, unknown>>): boolean {
  return defer.when === true || (Object.hasOwn(variables, defer.when) && variables[defer.when] === true);
}

/** Returns true when a null must bubble up to the parent. */
function applySelections(
  ctx: ShapeContext,
  input: Record<string, unknown>,
  selections: readonly SelectionShape[],
  output: Record<string, unknown>,
  parentType: string,
): boolean {
  for (let i = 0; i < selections.length; i++) {
    const selection = selections[i];
    if (selection.conditions !== undefined && !conditionsHold(selection.conditions, ctx.variables)) continue;

    if (selection.kind === 'field') {
      const responseName = selection.responseName;
      const outputValue = output[responseName];
      if (selection.special === 'introspection') {
        if (outputValue === undefined) output[responseName] = ctx.introspect(selection);
        continue;
      }
      let inputValue = selection.special !== 'unauthorized' && hasOwn.call(input, responseName) ? (input[responseName] ?? null) : null;
      if (selection.special === 'typename') {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== '__typename') {
            inputValue = hasOwn.call(input, '__typename') ? (input.__typename ?? null) : null;
          }
          // The subgraph's __typename wins when it names a type of the API schema; root types and
          // @interfaceObject types can report names the supergraph does not use.
          let typeName = parentType;
          if (typeof inputValue === 'string' && ctx.kinds.has(inputValue)) typeName = inputValue;
          if (ctx.kinds.get(typeName) !== 'object') return true;
          output[responseName] = typeName;
        }
        continue;
      }
      ctx.path.push(responseName);
      const updated = completeValue(ctx, outputValue, selection.type, inputValue, selection.selections, parentType);
      output[responseName] = updated;
      ctx.path.pop();
      if (ctx.invalid) return true;
    } else {
      if (selection.defer !== undefined && ctx.deferred === 'apart' && deferActive(selection.defer, ctx.variables)) continue;
      const typename = input.__typename;
      let applies = true;
      if (selection.possibleTypes !== undefined) {
        const runtime = typeof typename === 'string' && typename ? typename : parentType;
        applies = runtime === selection.typeCondition || selection.possibleTypes.has(runtime);
      }
      if (applies && applySelections(ctx, input, selection.selections, output, selection.typeCondition ?? parentType)) {
        return true;
      }
    }
  }
  return false;
}

function describeLast(ctx: ShapeContext, type: TypeShape, parentType: string): string {
  const last = ctx.path[ctx.path.length - 1];
  return typeof last === 'string' ? `field ${parentType}.${last}` : `array element of type ${type.printed} at index ${last}`;
}

function valueError(ctx: ShapeContext, message: string): void {
  ctx.errors.push(new GraphQLError(message, { path: ctx.path.slice(), extensions: { code: GatewayErrorCode.INVALID_GRAPHQL } }));
}

/** Records that the value at ctx.path does not fit its type; the position is answered null. */
function invalidValue(ctx: ShapeContext, message: string): null {
  valueError(ctx, message);
  ctx.hasErrors = true;
  return null;
}

type ListShape = Extract<TypeShape, { kind: 'list' }>;
type CompositeShape = Extract<TypeShape, { kind: 'composite' }>;

// completeValue and the functions it dispatches to take the same arguments and allocate nothing but
// the output containers: they run for every value of every response.

/**
 * Computes the output value for one position. Sets ctx.invalid when the value is a null where the
 * type is non-null (the caller must bubble it), and ctx.hasErrors when an error was already recorded
 * for it (so bubbling records no second one).
 */
function completeValue(
  ctx: ShapeContext,
  outputValue: unknown,
  type: TypeShape,
  inputValue: unknown,
  selections: readonly SelectionShape[] | undefined,
  parentType: string,
): unknown {
  ctx.invalid = false;
  ctx.hasErrors = false;
  // Already computed: a repeated leaf, or a null (bubbling, if any, already happened then).
  if (outputValue === null || (outputValue !== undefined && selections === undefined)) return outputValue;

  switch (type.kind) {
    case 'nonNull': {
      const updated = completeValue(ctx, outputValue, type.of, inputValue, selections, parentType);
      if (updated === null) {
        if (!ctx.hasErrors) valueError(ctx, `Cannot return null for non-nullable ${describeLast(ctx, type.of, parentType)}.`);
        ctx.invalid = true;
        ctx.hasErrors = true;
        return null;
      }
      ctx.invalid = false;
      ctx.hasErrors = false;
      return updated;
    }
    case 'list':
      return completeList(ctx, outputValue, type, inputValue, selections, parentType);
    case 'composite':
      return completeObject(ctx, outputValue, type, inputValue, selections, parentType);
    case 'leaf': {
      if (inputValue === null) return null;
      if (!type.check(inputValue)) return invalidValue(ctx, `Invalid value found for ${describeLast(ctx, type, parentType)}.`);
      return inputValue;
    }
  }
}

/** A list completes item by item; a non-null violation in any item nulls the whole list. */
function completeList(
  ctx: ShapeContext,
  outputValue: unknown,
  type: ListShape,
  inputValue: unknown,
  selections: readonly SelectionShape[] | undefined,
  parentType: string,
): unknown {
  if (inputValue === null) return null;
  if (!Array.isArray(inputValue) || (outputValue !== undefined && (!Array.isArray(outputValue) || outputValue.length !== inputValue.length))) {
    return invalidValue(ctx, `Invalid value found for ${describeLast(ctx, type, parentType)}.`);
  }
  const list: unknown[] = outputValue === undefined ? new Array(inputValue.length) : (outputValue as unknown[]);
  let nullify = false;
  let hasErrors = false;
  for (let i = 0; i < inputValue.length; i++) {
    ctx.path.push(i);
    list[i] = completeValue(ctx, list[i], type.of, inputValue[i] === undefined ? null : inputValue[i], selections, parentType);
    ctx.path.pop();
    nullify ||= ctx.invalid;
    hasErrors ||= ctx.hasErrors;
  }
  ctx.invalid = false;
  ctx.hasErrors = hasErrors;
  return nullify ? null : list;
}

/** An object completes by applying its selections, at the runtime type its __typename names. */
function completeObject(
  ctx: ShapeContext,
  outputValue: unknown,
  type: CompositeShape,
  inputValue: unknown,
  selections: readonly SelectionShape[] | undefined,
  parentType: string,
): unknown {
  if (inputValue === null) return null;
  if (typeof inputValue !== 'object' || Array.isArray(inputValue) || selections === undefined) {
    return invalidValue(ctx, `Invalid value found for ${describeLast(ctx, type, parentType)}.`);
  }
  const obj = inputValue as Record<string, unknown>;
  const typename = obj.__typename;
  let objType = type.printed;
  if (typeof typename === 'string' && typename !== '') {
    // An unknown name is typically an @inaccessible implementation: do not leak it in the message.
    if (!ctx.kinds.has(typename)) return invalidValue(ctx, `Invalid __typename found for object at ${describeLast(ctx, type, parentType)}.`);
    objType = typename;
  }
  const out = (outputValue ?? Object.create(null)) as Record<string, unknown>;
  const bubbled = applySelections(ctx, obj, selections, out, objType);
  ctx.invalid = false;
  ctx.hasErrors = bubbled;
  return bubbled ? null : out;
}
