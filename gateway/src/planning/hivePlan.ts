/**
 * Hive's query plan (`@graphql-hive/router-query-planner`) as Junction's `Plan` (plan.ts), so that
 * execution, cost and tracing never learn which planner made a plan. Hive's JSON differs from ours
 * in spelling (paths, rewrites, BatchFetch), in what it leaves out (`variableUsages`) or sets to
 * null (`ifClause`), in where a subscription's follow-up fetches sit, and in what an alias in
 * `requires` means. Every difference is settled here, once, at planning time.
 *
 * The input is checked only as far as the conversion reads it: a kind, segment or rewrite we do not
 * know throws rather than being dropped, since a plan that silently skips a step answers wrongly.
 */
import type {
  BatchFetchNode,
  ConditionNode,
  DataRewrite,
  DeferNode,
  EntityBatch,
  FetchNode,
  FlattenNode,
  PathStep,
  Plan,
  PlanNode,
  RequiresField,
  RequiresFragment,
  RequiresSelection,
  RewriteStep,
  SubgraphOperation,
  SubscriptionNode,
} from './plan';

// Hive's shapes, after the package's dist/index.d.ts (0.0.38). Copied rather than imported so that
// this file compiles without the package; fields Hive really emits but does not declare
// (`customScalarPaths`) are left out, as the conversion drops them.

export interface HiveQueryPlan {
  kind: 'QueryPlan';
  node?: HivePlanNode;
}

export type HivePlanNode =
  | HiveFetchNode
  | HiveBatchFetchNode
  | HiveSequenceNode
  | HiveParallelNode
  | HiveFlattenNode
  | HiveConditionNode
  | HiveSubscriptionNode
  | HiveDeferNode;

interface HiveOperation {
  serviceName: string;
  variableUsages?: string[];
  operationKind?: 'query' | 'mutation' | 'subscription';
  operationName?: string;
  operation: string;
}

export interface HiveFetchNode extends HiveOperation {
  kind: 'Fetch';
  requires?: HiveRequiresSelection[];
  inputRewrites?: HiveRewrite[];
  outputRewrites?: HiveRewrite[];
}

export interface HiveBatchFetchNode extends HiveOperation {
  kind: 'BatchFetch';
  entityBatch: { aliases: HiveEntityBatchAlias[] };
}

export interface HiveEntityBatchAlias {
  alias: string;
  representationsVariableName: string;
  paths: HivePathSegment[][];
  requires: HiveRequiresSelection[];
  inputRewrites?: HiveRewrite[];
  outputRewrites?: HiveRewrite[];
}

/** Its `primary` is serialized without `kind` (a bare Rust `FetchNode`). */
export interface HiveSubscriptionNode {
  kind: 'Subscription';
  primary: Omit<HiveFetchNode, 'kind'> & { kind?: 'Fetch' };
}

export type HiveRewriteStep = { TypenameEquals: string[] } | { Key: string };

export interface HiveValueSetter {
  path: HiveRewriteStep[];
  setValueTo: string;
}

export interface HiveKeyRenamer {
  path: HiveRewriteStep[];
  renameKeyTo: string;
}

/** The flat form is declared "sometimes" by the package; the addon was only seen emitting the wrapped ones. */
export type HiveRewrite = { ValueSetter: HiveValueSetter } | { KeyRenamer: HiveKeyRenamer } | ({ kind: 'ValueSetter' } & HiveValueSetter);

/** A Field's `skipIf`/`includeIf` are not in the d.ts but in the Rust type it is serialized from. */
export type HiveRequiresSelection =
  | { kind: 'InlineFragment'; typeCondition: string; selections: HiveRequiresSelection[]; skipIf?: string; includeIf?: string }
  | { kind: 'Field'; name: string; alias?: string; selections?: HiveRequiresSelection[]; skipIf?: string; includeIf?: string }
  | { kind: 'FragmentSpread'; value: string };

export interface HiveSequenceNode {
  kind: 'Sequence';
  nodes: HivePlanNode[];
}

export interface HiveParallelNode {
  kind: 'Parallel';
  nodes: HivePlanNode[];
}

export type HivePathSegment = { Field: string } | { TypeCondition: string[] } | '@';

export interface HiveFlattenNode {
  kind: 'Flatten';
  path: HivePathSegment[];
  node: HivePlanNode;
}

/** `ifClause` is typed optional but arrives as `null` for `@skip` (Rust serializes the `None`). */
export interface HiveConditionNode {
  kind: 'Condition';
  condition: string;
  ifClause?: HivePlanNode | null;
  elseClause?: HivePlanNode | null;
}

/** Rust serializes an absent `primary.subselection` or `primary.node` as `null`. */
export interface HiveDeferNode {
  kind: 'Defer';
  primary: { subselection?: string | null; node?: HivePlanNode | null };
  deferred: Array<{
    depends: Array<{ id: string; deferLabel?: string }>;
    label?: string;
    queryPath: string[];
    subselection?: string;
    node?: HivePlanNode;
  }>;
}

/** Junction's plan for a plan Hive's planner returned. Throws on a shape it cannot carry over faithfully. */
export function fromHivePlan(plan: unknown): Plan {
  if (!isObject(plan) || !('kind' in plan) || plan.kind !== 'QueryPlan') throw new Error(`Hive query plan: expected a QueryPlan, got ${describe(plan)}`);
  const root = (plan as HiveQueryPlan).node;
  if (root == null) return { kind: 'Plan' };
  return { kind: 'Plan', node: subscriptionRoot(root) ?? convertNode(root) };
}

/**
 * Hive puts a subscription's per-event fetches after it, as its siblings in a Sequence; ours hangs
 * them under the Subscription as `rest`, so that the executor sees at once what runs per event.
 */
function subscriptionRoot(root: HivePlanNode): SubscriptionNode | undefined {
  if (root.kind === 'Subscription') return { kind: 'Subscription', primary: convertFetch(root.primary) };
  if (root.kind !== 'Sequence' || root.nodes[0]?.kind !== 'Subscription') return undefined;
  const [first, ...others] = root.nodes as [HiveSubscriptionNode, ...HivePlanNode[]];
  const rest = others.map(convertNode);
  const primary = convertFetch(first.primary);
  if (rest.length === 0) return { kind: 'Subscription', primary };
  return { kind: 'Subscription', primary, rest: rest.length === 1 ? rest[0] : { kind: 'Sequence', nodes: rest } };
}

function convertNode(node: HivePlanNode): PlanNode {
  if (!isObject(node)) throw new Error(`Hive query plan: expected a plan node, got ${describe(node)}`);
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map(convertNode) };
    case 'Fetch':
      return convertFetch(node);
    case 'BatchFetch':
      return convertBatchFetch(node);
    case 'Flatten':
      return { kind: 'Flatten', path: node.path.map(convertPathSegment), node: convertNode(node.node) } satisfies FlattenNode;
    case 'Condition':
      return convertCondition(node);
    case 'Defer':
      return convertDefer(node);
    case 'Subscription':
      // Only the root (or the head of the root Sequence) can open an event stream.
      throw new Error('Hive query plan: a Subscription node elsewhere than at the start of the plan');
    default:
      throw new Error(`Hive query plan: unknown node kind ${describe((node as { kind: unknown }).kind)}`);
  }
}

function convertOperation(node: HiveOperation): SubgraphOperation {
  return {
    serviceName: node.serviceName,
    operation: node.operation,
    ...(node.operationName != null && { operationName: node.operationName }),
    // Hive leaves both out when they are the obvious value.
    operationKind: node.operationKind ?? 'query',
    variableUsages: node.variableUsages ?? [],
  };
}

function convertFetch(node: Omit<HiveFetchNode, 'kind'>): FetchNode {
  return {
    kind: 'Fetch',
    ...convertOperation(node),
    ...(nonEmpty(node.requires) && { requires: node.requires.map(convertRequires) }),
    ...(nonEmpty(node.inputRewrites) && { inputRewrites: node.inputRewrites.map(convertRewrite) }),
    ...(nonEmpty(node.outputRewrites) && { outputRewrites: node.outputRewrites.map(convertRewrite) }),
  };
}

function convertBatchFetch(node: HiveBatchFetchNode): BatchFetchNode {
  const entities = node.entityBatch.aliases.map(
    (a): EntityBatch => ({
      alias: a.alias,
      representationsVariable: a.representationsVariableName,
      paths: a.paths.map((path) => path.map(convertPathSegment)),
      requires: a.requires.map(convertRequires),
      ...(nonEmpty(a.inputRewrites) && { inputRewrites: a.inputRewrites.map(convertRewrite) }),
      ...(nonEmpty(a.outputRewrites) && { outputRewrites: a.outputRewrites.map(convertRewrite) }),
    }),
  );
  return { kind: 'BatchFetch', ...convertOperation(node), entities };
}

function convertCondition(node: HiveConditionNode): ConditionNode {
  return {
    kind: 'Condition',
    condition: node.condition,
    ...(node.ifClause != null && { ifClause: convertNode(node.ifClause) }),
    ...(node.elseClause != null && { elseClause: convertNode(node.elseClause) }),
  };
}

function convertDefer(node: HiveDeferNode): DeferNode {
  const { subselection, node: primaryNode } = node.primary;
  return {
    kind: 'Defer',
    primary: { ...(subselection != null && { subselection }), ...(primaryNode != null && { node: convertNode(primaryNode) }) },
    deferred: node.deferred.map((d) => ({
      depends: d.depends.map(({ id, deferLabel }) => ({ id, ...(deferLabel != null && { deferLabel }) })),
      ...(d.label != null && { label: d.label }),
      queryPath: [...d.queryPath],
      ...(d.subselection != null && { subselection: d.subselection }),
      ...(d.node != null && { node: convertNode(d.node) }),
    })),
  };
}

function convertPathSegment(segment: HivePathSegment): PathStep {
  if (segment === '@') return '@';
  if (isObject(segment) && 'Field' in segment && typeof segment.Field === 'string') return segment.Field;
  if (isObject(segment) && 'TypeCondition' in segment && Array.isArray(segment.TypeCondition)) return { typeCondition: [...segment.TypeCondition] };
  throw new Error(`Hive query plan: unknown path segment ${describe(segment)}`);
}

function convertRewriteStep(step: HiveRewriteStep): RewriteStep {
  if (isObject(step) && 'Key' in step && typeof step.Key === 'string') return step.Key;
  if (isObject(step) && 'TypenameEquals' in step && Array.isArray(step.TypenameEquals)) return { typeCondition: [...step.TypenameEquals] };
  throw new Error(`Hive query plan: unknown rewrite path step ${describe(step)}`);
}

function convertRewrite(rewrite: HiveRewrite): DataRewrite {
  if (!isObject(rewrite)) throw new Error(`Hive query plan: unknown rewrite ${describe(rewrite)}`);
  if ('ValueSetter' in rewrite) return valueSetter(rewrite.ValueSetter);
  if ('KeyRenamer' in rewrite) {
    const { path, renameKeyTo } = rewrite.KeyRenamer;
    return { kind: 'KeyRenamer', path: path.map(convertRewriteStep), renameKeyTo };
  }
  if (rewrite.kind === 'ValueSetter') return valueSetter(rewrite);
  throw new Error(`Hive query plan: unknown rewrite ${describe(rewrite)}`);
}

function valueSetter({ path, setValueTo }: HiveValueSetter): DataRewrite {
  return { kind: 'ValueSetter', path: path.map(convertRewriteStep), setValueTo };
}

/**
 * Hive's alias in `requires` is the reverse of GraphQL's: `{name: "_internal_qp_alias_0", alias:
 * "price"}` reads the entity's `_internal_qp_alias_0` and sends it as `price` (the planner fetched
 * `price` twice with different arguments and renamed the second). Ours says so by name.
 */
function convertRequires(selection: HiveRequiresSelection): RequiresSelection {
  if (!isObject(selection)) throw new Error(`Hive query plan: unknown requires selection ${describe(selection)}`);
  switch (selection.kind) {
    case 'Field':
      return withConditions(selection, {
        kind: 'Field',
        name: selection.alias ?? selection.name,
        from: selection.name,
        ...(selection.selections != null && { selections: selection.selections.map(convertRequires) }),
      });
    case 'InlineFragment':
      return {
        kind: 'InlineFragment',
        ...(selection.typeCondition != null && { typeCondition: selection.typeCondition }),
        selections: selection.selections.map(convertRequires),
        ...conditionsOf(selection),
      };
    case 'FragmentSpread':
      // Hive inlines fragments in `requires`; a spread would need the fragment's definition, which the plan does not carry.
      throw new Error(`Hive query plan: a fragment spread (...${selection.value}) in the requires of an entity fetch`);
    default:
      throw new Error(`Hive query plan: unknown requires selection kind ${describe((selection as { kind: unknown }).kind)}`);
  }
}

type Conditional = { skipIf?: string | null; includeIf?: string | null };

function conditionsOf({ skipIf, includeIf }: Conditional): Pick<RequiresFragment, 'skipIf' | 'includeIf'> {
  return { ...(skipIf != null && { skipIf }), ...(includeIf != null && { includeIf }) };
}

/**
 * Hive's field type can carry `@skip`/`@include` (not seen in `requires`, whose fields come from
 * `@key`/`@requires` field sets); ours puts conditions on fragments only, and a fragment without a
 * type condition says the same of its one field.
 */
function withConditions(selection: Conditional, field: RequiresField): RequiresSelection {
  const conditions = conditionsOf(selection);
  return Object.keys(conditions).length === 0 ? field : { kind: 'InlineFragment', selections: [field], ...conditions };
}

function nonEmpty<T>(list: T[] | undefined | null): list is T[] {
  return Array.isArray(list) && list.length > 0;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Short, since the value may be a whole plan. */
function describe(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
