/**
 * Junction's query plan executor.
 *
 * Vocabulary (planning/plan.ts): a *plan* is a tree of nodes. `Fetch` sends one operation to one
 * subgraph; `Sequence` runs children in order, `Parallel` at once; `Flatten` runs its child at a
 * path of the results so far (`@` steps into every list element, a type condition keeps the objects
 * of those types); `Condition` picks a branch from a boolean variable (`@skip`/`@include` on a whole
 * fetch). A fetch with `requires` is an *entity fetch*: for every object at its path it sends a
 * *representation* (the key and `@requires` fields, selected by `requires`) in one
 * `_entities(representations:)` request, however many objects there are. A `BatchFetch` is several
 * entity fetches to one subgraph in one request, each an `_entities` alias with its own paths.
 *
 * The executor merges every answer into one tree of plain objects; response shaping then cuts the
 * client's response out of it. Errors from subgraphs keep their message and code, gain `serviceName`,
 * and have their `_entities` paths rewritten to the client-visible paths of the entities.
 */
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../deps';
import { GatewayErrorCode } from '../errors/gatewayError';
import { SubgraphError, subgraphErrorFrom } from '../errors/subgraphError';
import type { BatchFetchNode, DataRewrite, DeferNode, FetchNode, Plan, PlanNode, RequiresSelection, ResponsePath, RewriteStep, SubgraphOperation, SubscriptionNode } from '../planning/plan';
import type { SubgraphResponse } from './subgraphClient';

type ResultMap = Record<string, unknown>;
type Path = Array<string | number>;

/** Sends one fetch node's request; supplied by the gateway (hooks, HTTP, dedup live there). */
export type SendFetch = (fetch: SubgraphOperation, body: string) => Promise<SubgraphResponse>;

export interface ExecutePlanOptions {
  plan: Plan;
  /** The full supergraph schema: type checks on representations (inaccessible types included). */
  supergraphSchema: GraphQLSchema;
  /** Variables as the client sent them: forwarded to subgraphs untouched, as @apollo/gateway does. */
  requestVariables: Readonly<Record<string, unknown>>;
  /** Coerced variables with defaults: decide `Condition` nodes. */
  coercedVariables: Readonly<Record<string, unknown>>;
  send: SendFetch;
  /** Extension keys of subgraph errors clients may see besides `code` (`subgraphErrors.allowedExtensions`). */
  allowedErrorExtensions: ReadonlySet<string>;
  /** Where an unexpected failure of a fetch (a bug, not a subgraph's answer) is reported, with the request id. */
  logger: Logger;
  requestId: string;
}

export interface PlanExecutionResult {
  data: ResultMap;
  errors: GraphQLError[];
}

interface Cursor {
  /** Where `data` is, from the root: the flatten path, `@` and type conditions included. */
  path: ResponsePath;
  data: ResultMap | ResultMap[] | unknown;
}

interface ExecutionState {
  readonly options: ExecutePlanOptions;
  readonly root: ResultMap;
  readonly errors: GraphQLError[];
}

export async function executePlan(options: ExecutePlanOptions): Promise<PlanExecutionResult> {
  return executeIncremental(options, () => {});
}

/**
 * A part of an incremental response whose fetches are done: the `initial` one (the plan's primary
 * fetches, or all of a plan without `@defer`), then each deferred fragment's (its label, the path of
 * the objects it is on, response keys only), a part always after the one it is in.
 */
export type ExecutedPart =
  | { readonly kind: 'initial'; readonly errors: readonly GraphQLError[] }
  | { readonly kind: 'deferred'; readonly label: string | undefined; readonly queryPath: readonly string[]; readonly errors: readonly GraphQLError[] };

/**
 * Runs a plan, calling `onPart` as each part of it is done (see ExecutedPart): a Defer node's primary
 * fetches first, then its deferred fragments' fetches side by side, each merging into the same tree
 * (read `data` in `onPart` for what is there so far). Resolves with the whole tree and every error.
 */
export async function executeIncremental(options: ExecutePlanOptions, onPart: (part: ExecutedPart, data: ResultMap) => void): Promise<PlanExecutionResult> {
  const root: ResultMap = Object.create(null);
  const state: ExecutionState = { options, root, errors: [] };
  const node = activeRoot(options.plan, options.coercedVariables);
  if (node?.kind === 'Subscription') throw new Error('subscriptions are not executed by executePlan');
  if (node?.kind === 'Defer') {
    await executeDefer(state, node, (errors) => onPart({ kind: 'initial', errors }, root), onPart);
  } else {
    if (node) await executeNode(state, node, { path: [], data: root });
    onPart({ kind: 'initial', errors: state.errors }, root);
  }
  return { data: root, errors: state.errors };
}

/**
 * The root of the plan that runs for these (coerced) variables: `@defer(if: $v)` plans as a Condition
 * at the root, between the deferring plan and the plain one.
 */
export function activeRoot(plan: Plan, variables: Readonly<Record<string, unknown>>): PlanNode | SubscriptionNode | undefined {
  let node = plan.node;
  while (node?.kind === 'Condition') node = variables[node.condition] === true ? node.ifClause : node.elseClause;
  return node;
}

/** A Defer node: its primary fetches, then (`done` told) each deferred fragment's, at once. Every error also goes to `state`'s. */
async function executeDefer(state: ExecutionState, node: DeferNode, done: (errors: GraphQLError[]) => void, onPart: (part: ExecutedPart, data: ResultMap) => void): Promise<void> {
  const primary: ExecutionState = { options: state.options, root: state.root, errors: [] };
  if (node.primary.node) await executeNode(primary, node.primary.node, { path: [], data: state.root });
  state.errors.push(...primary.errors);
  done(primary.errors);
  await Promise.all(
    node.deferred.map(async (deferred) => {
      const part: ExecutionState = { options: state.options, root: state.root, errors: [] };
      const finish = (errors: GraphQLError[]) => {
        state.errors.push(...errors);
        onPart({ kind: 'deferred', label: deferred.label, queryPath: deferred.queryPath, errors }, state.root);
      };
      if (deferred.node?.kind === 'Defer') return executeDefer(part, deferred.node, finish, onPart);
      if (deferred.node) await executeNode(part, deferred.node, { path: [], data: state.root });
      finish(part.errors);
    }),
  );
}

/**
 * One event of a subscription: what the subgraph sent for it stands where the primary fetch's answer
 * would (the root of the result, its errors the fetch's), and the rest of the plan (entity fetches
 * to other subgraphs) runs on it as for a query. `event` is this call's own: it is merged, not copied.
 */
export async function executeSubscriptionEvent(options: Omit<ExecutePlanOptions, 'plan'>, node: SubscriptionNode, event: SubgraphResponse): Promise<PlanExecutionResult> {
  const root: ResultMap = Object.create(null);
  const state: ExecutionState = { options: { ...options, plan: { kind: 'Plan', node } }, root, errors: [] };
  const { primary } = node;
  if (event.errors) recordErrors(state, primary.serviceName, event.errors, [], undefined);
  if (event.data) {
    applyRewrites(options.supergraphSchema, primary.outputRewrites, event.data);
    deepMerge(root, event.data);
  }
  if (node.rest && event.data) await executeNode(state, node.rest, { path: [], data: root });
  return { data: root, errors: state.errors };
}

async function executeNode(state: ExecutionState, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(state, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(state, child, cursor)));
      return;
    case 'Flatten':
      return executeNode(state, node.node, moveIntoCursor(state, cursor, node.path));
    case 'Fetch':
      return guarded(state, node, () => executeFetch(state, node, cursor));
    case 'BatchFetch':
      return guarded(state, node, () => executeBatchFetch(state, node));
    case 'Condition': {
      const branch = state.options.coercedVariables[node.condition] === true ? node.ifClause : node.elseClause;
      if (branch) await executeNode(state, branch, cursor);
      return;
    }
    case 'Defer':
      // Only at the root of a plan or of a deferred fragment, where executeDefer runs it: a plan
      // that has it elsewhere runs its parts one after the other, as one response.
      return executeDefer(state, node, () => {}, () => {});
  }
}

/** Runs a fetch; what fails in it is an error of the response, never of the whole plan. */
async function guarded(state: ExecutionState, fetch: SubgraphOperation, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof GraphQLError) {
      state.errors.push(err);
      return;
    }
    // A bug (ours or a plugin's): the client gets a code and the request id, the log gets the rest.
    const { logger, requestId } = state.options;
    logger.error('subgraph fetch failed unexpectedly', { requestId, subgraph: fetch.serviceName, error: String((err as Error)?.stack ?? err) });
    state.errors.push(
      new GraphQLError(`Fetch from "${fetch.serviceName}" failed.`, { extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR, serviceName: fetch.serviceName, requestId } }),
    );
  }
}

function moveIntoCursor(state: ExecutionState, cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = flattenAtPath(state.options.supergraphSchema, cursor.data, path, 0);
  return data === undefined || data === null ? undefined : { path: cursor.path.concat(path), data };
}

function flattenAtPath(schema: GraphQLSchema, value: unknown, path: ResponsePath, i: number): unknown {
  if (i === path.length || value === undefined || value === null) return value;
  const step = path[i];
  if (step === '@') {
    if (!Array.isArray(value)) return undefined;
    const out: unknown[] = [];
    for (const element of value) {
      const v = flattenAtPath(schema, element, path, i + 1);
      if (Array.isArray(v)) for (const x of v) out.push(x);
      else out.push(v);
    }
    return out;
  }
  if (Array.isArray(value) || typeof value !== 'object') return undefined;
  if (typeof step !== 'string') return isOfAnyType(schema, value as ResultMap, step.typeCondition) ? flattenAtPath(schema, value, path, i + 1) : undefined;
  return flattenAtPath(schema, ownValue(value as ResultMap, step), path, i + 1);
}

// The request body prefix of a fetch node never changes: build it once per plan node.
const bodyPrefixes = new WeakMap<SubgraphOperation, string>();
function bodyPrefix(fetch: SubgraphOperation): string {
  let prefix = bodyPrefixes.get(fetch);
  if (prefix === undefined) {
    prefix = '{"query":' + JSON.stringify(fetch.operation);
    if (fetch.operationName) prefix += ',"operationName":' + JSON.stringify(fetch.operationName);
    prefix += ',"variables":';
    bodyPrefixes.set(fetch, prefix);
  }
  return prefix;
}

function variablesOf(state: ExecutionState, fetch: SubgraphOperation): ResultMap | undefined {
  return fetchVariables(fetch, state.options.requestVariables);
}

/** The client's variables a fetch uses, as the client sent them; undefined when none. */
export function fetchVariables(fetch: SubgraphOperation, requestVariables: Readonly<Record<string, unknown>>): ResultMap | undefined {
  let variables: ResultMap | undefined;
  for (const name of fetch.variableUsages) {
    if (Object.prototype.hasOwnProperty.call(requestVariables, name) && requestVariables[name] !== undefined) {
      (variables ??= Object.create(null) as ResultMap)[name] = requestVariables[name];
    }
  }
  return variables;
}

/** The non-null objects of a cursor: the entities (or the one object) a fetch at it serves. */
function objectsAt(data: unknown): ResultMap[] {
  const out: ResultMap[] = [];
  if (Array.isArray(data)) {
    for (const e of data) if (e !== null && e !== undefined && typeof e === 'object') out.push(e as ResultMap);
  } else if (data !== null && typeof data === 'object') {
    out.push(data as ResultMap);
  }
  return out;
}

/**
 * The representations of some entities, each distinct one once (the same product under several
 * reviews is sent once): `slots[i]` is the index in `jsons` of entity i's, or -1 when it has none.
 */
interface Representations {
  readonly slots: Int32Array;
  readonly jsons: string[];
}

function representationsOf(state: ExecutionState, entities: readonly ResultMap[], requires: readonly RequiresSelection[], inputRewrites: readonly DataRewrite[] | undefined): Representations {
  const { supergraphSchema, coercedVariables } = state.options;
  const slots = new Int32Array(entities.length).fill(-1);
  const indexByJson = new Map<string, number>();
  const jsons: string[] = [];
  for (let i = 0; i < entities.length; i++) {
    const representation = selectRepresentation(supergraphSchema, coercedVariables, entities[i], requires);
    if (!representation || !representation.__typename) continue;
    applyRewrites(supergraphSchema, inputRewrites, representation);
    const json = JSON.stringify(representation);
    let index = indexByJson.get(json);
    if (index === undefined) {
      index = jsons.length;
      jsons.push(json);
      indexByJson.set(json, index);
    }
    slots[i] = index;
  }
  return { slots, jsons };
}

/** Merges what `_entities` answered into the entities that sent each representation. */
function mergeEntities(state: ExecutionState, serviceName: string, entities: readonly ResultMap[], sent: Representations, received: unknown, outputRewrites: readonly DataRewrite[] | undefined): void {
  if (!Array.isArray(received)) throw subgraphShapeError(serviceName, 'Expected "data._entities" in response to be an array');
  if (received.length !== sent.jsons.length) throw subgraphShapeError(serviceName, `Expected "data._entities" to contain ${sent.jsons.length} elements`);
  for (const e of received) {
    if (e && typeof e === 'object') applyRewrites(state.options.supergraphSchema, outputRewrites, e as ResultMap);
  }
  for (let i = 0; i < entities.length; i++) {
    const slot = sent.slots[i];
    if (slot < 0) continue;
    const receivedEntity = received[slot] as ResultMap | null;
    if (receivedEntity && typeof receivedEntity === 'object' && !receivedEntity.__typename) {
      receivedEntity.__typename = entities[i].__typename;
    }
    deepMerge(entities[i], receivedEntity);
  }
}

async function executeFetch(state: ExecutionState, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const entities = objectsAt(cursor.data);
  if (entities.length === 0) return;
  const variables = variablesOf(state, fetch);

  if (!fetch.requires) {
    const response = await state.options.send(fetch, bodyPrefix(fetch) + (variables ? JSON.stringify(variables) : '{}') + '}');
    if (response.errors) recordErrors(state, fetch.serviceName, response.errors, cursor.path, undefined);
    const data = response.data;
    if (data) {
      applyRewrites(state.options.supergraphSchema, fetch.outputRewrites, data);
      for (const entity of entities) deepMerge(entity, data);
    }
    return;
  }

  const sent = representationsOf(state, entities, fetch.requires, fetch.inputRewrites);
  if (sent.jsons.length === 0) return;
  if (variables && 'representations' in variables) throw new Error('Variables cannot contain key "representations"');
  const others = variables ? JSON.stringify(variables) : '{}';
  const variablesJson = (others === '{}' ? '{' : others.slice(0, -1) + ',') + '"representations":[' + sent.jsons.join(',') + ']}';
  const response = await state.options.send(fetch, bodyPrefix(fetch) + variablesJson + '}');
  if (response.errors) {
    const target: EntityErrorTarget = { sent, paths: () => hydratePaths(state, [cursor.path]) };
    recordErrors(state, fetch.serviceName, response.errors, cursor.path, () => target);
  }
  if (response.data) mergeEntities(state, fetch.serviceName, entities, sent, response.data._entities, fetch.outputRewrites);
}

/**
 * Several entity fetches in one request: each entry of `batch.entities` collects its objects at its
 * paths from the root, sends their representations in its own variable, and has them answered
 * under its alias. An entry with no objects sends an empty list; with none at all, nothing is sent.
 */
async function executeBatchFetch(state: ExecutionState, batch: BatchFetchNode): Promise<void> {
  const groups = batch.entities.map((entry) => {
    const cursors = entry.paths.map((path) => moveIntoCursor(state, { path: [], data: state.root }, path));
    const entities = cursors.flatMap((c) => (c ? objectsAt(c.data) : []));
    return { entry, entities, sent: representationsOf(state, entities, entry.requires, entry.inputRewrites) };
  });
  if (groups.every((g) => g.sent.jsons.length === 0)) return;
  const others = variablesOf(state, batch);
  const lists: string[] = [];
  const named = new Set<string>();
  for (const { entry, sent } of groups) {
    // Entries with the same requires and paths share one variable (the planner names it once).
    if (named.has(entry.representationsVariable)) continue;
    if (others && Object.prototype.hasOwnProperty.call(others, entry.representationsVariable)) throw new Error(`Variables cannot contain key "${entry.representationsVariable}"`);
    named.add(entry.representationsVariable);
    lists.push(JSON.stringify(entry.representationsVariable) + ':[' + sent.jsons.join(',') + ']');
  }
  const head = others ? JSON.stringify(others) : '{}';
  const variablesJson = (head === '{}' ? '{' : head.slice(0, -1) + ',') + lists.join(',') + '}';
  const response = await state.options.send(batch, bodyPrefix(batch) + variablesJson + '}');
  if (response.errors) {
    const byAlias = new Map<unknown, EntityErrorTarget>(groups.map(({ entry, sent }) => [entry.alias, { sent, paths: () => hydratePaths(state, entry.paths) }]));
    recordErrors(state, batch.serviceName, response.errors, undefined, (alias) => byAlias.get(alias));
  }
  const data = response.data;
  if (!data) return;
  for (const { entry, entities, sent } of groups) {
    if (sent.jsons.length > 0) mergeEntities(state, batch.serviceName, entities, sent, ownValue(data, entry.alias), entry.outputRewrites);
  }
}

function subgraphShapeError(serviceName: string, reason: string): GraphQLError {
  return new GraphQLError(`Subgraph "${serviceName}" sent an invalid response.`, {
    extensions: { code: GatewayErrorCode.SUBGRAPH_INVALID_RESPONSE, serviceName, reason },
  });
}

/** The representations an `_entities` field was sent, and (computed only when an error needs them) where their entities are. */
interface EntityErrorTarget {
  sent: Representations;
  paths(): Path[];
}

/**
 * Subgraph errors keep their message and code, and gain `serviceName` (as @apollo/gateway does);
 * other extensions only where `subgraphErrors.allowedExtensions` names them (see subgraphErrorFrom).
 * Paths: `_entities/<i>/rest` (or `<alias>/<i>/rest` in a batch) becomes the path of every entity
 * sent as representation i; other paths are prefixed with the fetch's position.
 */
function recordErrors(
  state: ExecutionState,
  serviceName: string,
  errors: readonly GraphQLFormattedError[],
  position: ResponsePath | undefined,
  entityTarget: ((first: unknown) => EntityErrorTarget | undefined) | undefined,
): void {
  const hydrated = new Map<EntityErrorTarget, Path[]>();
  for (const raw of errors) {
    if (!raw || typeof raw !== 'object') continue;
    const { message, path: errorPath, extensions } = subgraphErrorFrom(raw, serviceName, state.options.allowedErrorExtensions);
    const target = errorPath && typeof errorPath[1] === 'number' ? entityTarget?.(errorPath[0]) : undefined;
    if (target && errorPath) {
      let entityPaths = hydrated.get(target);
      if (!entityPaths) hydrated.set(target, (entityPaths = target.paths()));
      const slot = errorPath[1];
      const rest = errorPath.slice(2);
      let matched = false;
      for (let i = 0; i < target.sent.slots.length; i++) {
        if (target.sent.slots[i] !== slot) continue;
        matched = true;
        state.errors.push(new SubgraphError(message, { path: [...(entityPaths[i] ?? []), ...rest], extensions }));
      }
      if (!matched) state.errors.push(new SubgraphError(message, { path: rest, extensions }));
    } else {
      // A position's type conditions are not part of a response path.
      const prefix = position?.filter((step): step is string => typeof step === 'string');
      state.errors.push(new SubgraphError(message, { path: errorPath && prefix ? [...prefix, ...errorPath] : undefined, extensions }));
    }
  }
}

/**
 * The concrete path of every non-null object at each of `paths` (with `@` expanded to indexes), in
 * the order flattenAtPath and objectsAt visit them: entity i of a fetch is at hydratePaths(...)[i].
 */
function hydratePaths(state: ExecutionState, paths: readonly ResponsePath[]): Path[] {
  const schema = state.options.supergraphSchema;
  const out: Path[] = [];
  const walk = (path: ResponsePath, value: unknown, i: number, prefix: Path) => {
    if (value === null || value === undefined) return;
    if (i === path.length) {
      if (Array.isArray(value)) {
        value.forEach((v, j) => {
          if (v !== null && v !== undefined && typeof v === 'object') out.push([...prefix, j]);
        });
      } else if (typeof value === 'object') out.push(prefix.slice());
      return;
    }
    const step = path[i];
    if (step === '@') {
      if (Array.isArray(value)) value.forEach((v, j) => walk(path, v, i + 1, [...prefix, j]));
      return;
    }
    if (Array.isArray(value) || typeof value !== 'object') return;
    if (typeof step !== 'string') {
      if (isOfAnyType(schema, value as ResultMap, step.typeCondition)) walk(path, value, i + 1, prefix);
    } else if (Object.prototype.hasOwnProperty.call(value, step)) {
      walk(path, (value as ResultMap)[step], i + 1, [...prefix, step]);
    }
  };
  for (const path of paths) walk(path, state.root, 0, []);
  return out;
}

/** Selects a representation out of an entity (the planner's `requires`). Null when an input is missing. */
function selectRepresentation(schema: GraphQLSchema, variables: Readonly<Record<string, unknown>>, source: unknown, selections: readonly RequiresSelection[]): ResultMap | null {
  if (source === null || typeof source !== 'object') return null;
  const obj = source as ResultMap;
  const result: ResultMap = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      // Read where the planner fetched it (an internal alias, when two requirements take the field
      // with different arguments), send it under the field's name.
      const value = ownValue(obj, selection.from);
      // A missing input means an earlier fetch failed for this entity (and reported it): skip the entity.
      if (value === undefined) return null;
      const sub = selection.selections;
      let selected: unknown = value;
      if (Array.isArray(value)) selected = sub ? value.map((v) => selectRepresentation(schema, variables, v, sub)) : value;
      else if (sub) selected = selectRepresentation(schema, variables, value, sub);
      Object.defineProperty(result, selection.name, { value: selected, enumerable: true, writable: true, configurable: true });
    } else if (fragmentApplies(schema, variables, obj, selection)) {
      // As in @apollo/gateway, a fragment with a missing input contributes nothing rather than dropping the entity.
      deepMerge(result, selectRepresentation(schema, variables, obj, selection.selections));
    }
  }
  return result;
}

function fragmentApplies(schema: GraphQLSchema, variables: Readonly<Record<string, unknown>>, obj: ResultMap, fragment: Extract<RequiresSelection, { kind: 'InlineFragment' }>): boolean {
  if (fragment.skipIf !== undefined && variables[fragment.skipIf] === true) return false;
  if (fragment.includeIf !== undefined && variables[fragment.includeIf] !== true) return false;
  return fragment.typeCondition === undefined || isObjectOfType(schema, obj, fragment.typeCondition);
}

function isObjectOfType(schema: GraphQLSchema, obj: ResultMap, typeCondition: string, defaultWhenUnknown = false): boolean {
  const typename = obj.__typename;
  if (typeof typename !== 'string' || !typename) return defaultWhenUnknown;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/** A path's or a rewrite's type condition: objects of one of `types`, or without `__typename` (nothing says they are not). */
function isOfAnyType(schema: GraphQLSchema, obj: ResultMap, types: readonly string[]): boolean {
  return types.some((t) => isObjectOfType(schema, obj, t, true));
}

function ownValue(obj: ResultMap, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Merges `source` into `target` in place: objects recursively, same-length lists element-wise. */
export function deepMerge(target: ResultMap, source: unknown): void {
  if (source === null || source === undefined || typeof source !== 'object') return;
  const src = source as ResultMap;
  for (const key of Object.keys(src)) {
    const value = src[key];
    if (value === undefined) continue;
    const existing = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (existing && typeof existing === 'object' && !Array.isArray(existing) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      deepMerge(existing as ResultMap, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        const t = existing[i];
        const s = value[i];
        if (t && typeof t === 'object' && !Array.isArray(t) && s && typeof s === 'object' && !Array.isArray(s)) deepMerge(t as ResultMap, s);
        else existing[i] = s;
      }
    } else if (key === '__proto__') {
      // A response key can legally be "__proto__" (an alias); never let it become a prototype.
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      target[key] = value;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fetch data rewrites (planner `inputRewrites` / `outputRewrites`): paths of keys and type
// conditions, ending in a key to set or rename.

function applyRewrites(schema: GraphQLSchema, rewrites: readonly DataRewrite[] | undefined, value: ResultMap): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    const field = rewrite.path[rewrite.path.length - 1];
    if (typeof field !== 'string') continue;
    applyAtPath(schema, rewrite.path.slice(0, -1), value, (obj) => {
      if (rewrite.kind === 'ValueSetter') {
        Object.defineProperty(obj, field, { value: rewrite.setValueTo, enumerable: true, writable: true, configurable: true });
      } else {
        const v = ownValue(obj, field);
        if (v) {
          Object.defineProperty(obj, rewrite.renameKeyTo, { value: v, enumerable: true, writable: true, configurable: true });
          obj[field] = undefined;
        }
      }
    });
  }
}

function applyAtPath(schema: GraphQLSchema, path: readonly RewriteStep[], value: unknown, fn: (obj: ResultMap) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) applyAtPath(schema, path, v, fn);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (path.length === 0) {
    fn(value as ResultMap);
    return;
  }
  const [first, ...rest] = path;
  if (typeof first !== 'string') {
    if (isOfAnyType(schema, value as ResultMap, first.typeCondition)) applyAtPath(schema, rest, value, fn);
  } else {
    applyAtPath(schema, rest, ownValue(value as ResultMap, first), fn);
  }
}
