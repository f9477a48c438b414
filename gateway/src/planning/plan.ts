/**
 * Junction's query plan: what a planner (Apollo's or Hive's, see planner.ts) makes of an operation,
 * and all that execution, cost analysis and tracing read. Plain data: it crosses from the planning
 * thread by structured clone, is cached, and prints as readable JSON in snapshots.
 *
 * Vocabulary (as in @apollo/query-planner): a *plan* is a tree of nodes. `Fetch` sends one operation
 * to one subgraph. `Sequence` runs its children in order, `Parallel` at once. `Flatten` runs its
 * child at a path of the results so far. `Condition` picks a branch from a boolean variable
 * (`@skip`/`@include` on whole fetches). A fetch with `requires` is an *entity fetch*: each object
 * at its path becomes a *representation* (selected by `requires`), all sent in one
 * `_entities(representations:)` call. `BatchFetch` is several entity fetches to one subgraph in one
 * request, each its own `_entities` alias with its own representations variable and paths.
 */

export interface Plan {
  readonly kind: 'Plan';
  /** Absent when nothing needs a subgraph (only `__typename` or introspection). */
  readonly node?: PlanNode | SubscriptionNode;
}

/** A subscription: `primary` opens the event stream; `rest` runs for each event (entity fetches). */
export interface SubscriptionNode {
  readonly kind: 'Subscription';
  readonly primary: FetchNode;
  readonly rest?: PlanNode;
}

export type PlanNode = SequenceNode | ParallelNode | FetchNode | BatchFetchNode | FlattenNode | ConditionNode | DeferNode;

export interface SequenceNode {
  readonly kind: 'Sequence';
  readonly nodes: readonly PlanNode[];
}

export interface ParallelNode {
  readonly kind: 'Parallel';
  readonly nodes: readonly PlanNode[];
}

/** What every request to a subgraph carries. */
export interface SubgraphOperation {
  readonly serviceName: string;
  /** The document sent, as text (it may hold fragment definitions after the operation). */
  readonly operation: string;
  readonly operationName?: string;
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  /** The client's variables the operation uses, sent along as the client sent them. */
  readonly variableUsages: readonly string[];
}

export interface FetchNode extends SubgraphOperation {
  readonly kind: 'Fetch';
  /** Set for an entity fetch: what each object at the fetch's path sends as its representation. */
  readonly requires?: readonly RequiresSelection[];
  /** Applied to each representation before it is sent. */
  readonly inputRewrites?: readonly DataRewrite[];
  /** Applied to each object the subgraph answers with (each entity, or the root data). */
  readonly outputRewrites?: readonly DataRewrite[];
  /** Apollo's `@fromContext` renames, applied to each representation. */
  readonly contextRewrites?: readonly DataRewrite[];
}

/**
 * Several entity fetches to one subgraph in one request (Hive's planner): `operation` selects
 * `<alias>: _entities(representations: $<representationsVariable>)` once per entry of `entities`.
 * Unlike a Fetch, it is never under a Flatten: each entry names the paths, from the root, of the
 * objects it sends.
 */
export interface BatchFetchNode extends SubgraphOperation {
  readonly kind: 'BatchFetch';
  readonly entities: readonly EntityBatch[];
}

export interface EntityBatch {
  /** The response key of its `_entities` field. */
  readonly alias: string;
  readonly representationsVariable: string;
  /** Where its objects are, each path from the root of the response. */
  readonly paths: readonly ResponsePath[];
  readonly requires: readonly RequiresSelection[];
  readonly inputRewrites?: readonly DataRewrite[];
  readonly outputRewrites?: readonly DataRewrite[];
}

export interface FlattenNode {
  readonly kind: 'Flatten';
  readonly path: ResponsePath;
  readonly node: PlanNode;
}

export interface ConditionNode {
  readonly kind: 'Condition';
  /** A variable's name: `ifClause` runs when it is true, `elseClause` otherwise. */
  readonly condition: string;
  readonly ifClause?: PlanNode;
  readonly elseClause?: PlanNode;
}

/** Incremental delivery (Apollo's planner, with `@defer`); not executed yet. */
export interface DeferNode {
  readonly kind: 'Defer';
  readonly primary: { readonly subselection?: string; readonly node?: PlanNode };
  readonly deferred: ReadonlyArray<{
    readonly depends: ReadonlyArray<{ readonly id: string; readonly deferLabel?: string }>;
    readonly label?: string;
    readonly queryPath: readonly string[];
    readonly subselection?: string;
    readonly node?: PlanNode;
  }>;
}

/**
 * A step of a path through the response: a response key, `@` (every element of a list), or a type
 * condition (only the objects whose `__typename` is one of `types` or a subtype, or that have none).
 */
export type PathStep = string | { readonly typeCondition: readonly string[] };
export type ResponsePath = readonly PathStep[];

export type RequiresSelection = RequiresField | RequiresFragment;

/**
 * A field of a representation: the value at `from` in the entity's data, sent as `name`. They differ
 * when the planner fetched the field under an internal alias (two `@requires` asking for one field
 * with different arguments).
 */
export interface RequiresField {
  readonly kind: 'Field';
  readonly name: string;
  readonly from: string;
  readonly selections?: readonly RequiresSelection[];
}

export interface RequiresFragment {
  readonly kind: 'InlineFragment';
  /** Only objects of this type (or its subtypes) contribute the selections. */
  readonly typeCondition?: string;
  readonly selections: readonly RequiresSelection[];
  /** The selections count only when this boolean variable is false (`@skip(if: $v)` on the key). */
  readonly skipIf?: string;
  /** The selections count only when this boolean variable is true (`@include(if: $v)`). */
  readonly includeIf?: string;
}

/** A rewrite of fetched or sent data: at `path` (keys and type conditions), set the last key or rename it. */
export type DataRewrite =
  | { readonly kind: 'ValueSetter'; readonly path: readonly RewriteStep[]; readonly setValueTo: unknown }
  | { readonly kind: 'KeyRenamer'; readonly path: readonly RewriteStep[]; readonly renameKeyTo: string };

/** A key, or a type condition (objects without `__typename` pass). */
export type RewriteStep = string | { readonly typeCondition: readonly string[] };

/** Every subgraph request a plan can make, in plan order. */
export function fetchesOf(node: PlanNode | SubscriptionNode | undefined, out: Array<FetchNode | BatchFetchNode> = []): Array<FetchNode | BatchFetchNode> {
  if (!node) return out;
  switch (node.kind) {
    case 'Fetch':
    case 'BatchFetch':
      out.push(node);
      break;
    case 'Sequence':
    case 'Parallel':
      for (const child of node.nodes) fetchesOf(child, out);
      break;
    case 'Flatten':
      fetchesOf(node.node, out);
      break;
    case 'Condition':
      fetchesOf(node.ifClause, out);
      fetchesOf(node.elseClause, out);
      break;
    case 'Defer':
      fetchesOf(node.primary.node, out);
      for (const d of node.deferred) fetchesOf(d.node, out);
      break;
    case 'Subscription':
      fetchesOf(node.primary, out);
      fetchesOf(node.rest, out);
      break;
  }
  return out;
}
