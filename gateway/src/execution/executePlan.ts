/**
 * Junction's query plan executor.
 *
 * Vocabulary (from @apollo/query-planner): a *plan* is a tree of nodes. `Fetch` sends one operation to
 * one subgraph; `Sequence` runs children in order, `Parallel` at once; `Flatten` runs its child at a
 * path of the results so far (`@` steps into every list element); `Condition` picks a branch from a
 * boolean variable (`@skip`/`@include` on a whole fetch). A fetch with `requires` is an *entity fetch*:
 * for every object at its path it sends a *representation* (the key and `@requires` fields, selected
 * by `requires`) in one `_entities(representations:)` request, however many objects there are.
 *
 * The executor merges every answer into one tree of plain objects; response shaping then cuts the
 * client's response out of it. Errors from subgraphs keep their message and code, gain `serviceName`,
 * and have their `_entities` paths rewritten to the client-visible paths of the entities.
 */
import type { FetchDataRewrite, FetchNode, PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../deps';
import { GatewayErrorCode } from '../errors/gatewayError';
import { SubgraphError, subgraphErrorFrom } from '../errors/subgraphError';
import type { SubgraphResponse } from './subgraphClient';

type ResultMap = Record<string, unknown>;
type Path = Array<string | number>;

/** Sends one fetch node's request; supplied by the gateway (hooks, HTTP, dedup live there). */
export type SendFetch = (fetch: FetchNode, body: string) => Promise<SubgraphResponse>;

export interface ExecutePlanOptions {
  plan: QueryPlan;
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
  path: Path;
  data: ResultMap | ResultMap[] | unknown;
}

interface ExecutionState {
  readonly options: ExecutePlanOptions;
  readonly root: ResultMap;
  readonly errors: GraphQLError[];
}

export async function executePlan(options: ExecutePlanOptions): Promise<PlanExecutionResult> {
  const root: ResultMap = Object.create(null);
  const state: ExecutionState = { options, root, errors: [] };
  const node = options.plan.node;
  if (node) {
    if (node.kind === 'Subscription') throw new Error('subscriptions are not executed by executePlan');
    await executeNode(state, node, { path: [], data: root });
  }
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
      return executeNode(state, node.node, moveIntoCursor(cursor, node.path));
    case 'Fetch':
      try {
        await executeFetch(state, node, cursor);
      } catch (err) {
        if (err instanceof GraphQLError) {
          state.errors.push(err);
          return;
        }
        // A bug (ours or a plugin's): the client gets a code and the request id, the log gets the rest.
        const { logger, requestId } = state.options;
        logger.error('subgraph fetch failed unexpectedly', { requestId, subgraph: node.serviceName, error: String((err as Error)?.stack ?? err) });
        state.errors.push(
          new GraphQLError(`Fetch from "${node.serviceName}" failed.`, { extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR, serviceName: node.serviceName, requestId } }),
        );
      }
      return;
    case 'Condition': {
      const branch = state.options.coercedVariables[node.condition] === true ? node.ifClause : node.elseClause;
      if (branch) await executeNode(state, branch, cursor);
      return;
    }
    case 'Defer':
      throw new Error('@defer is not supported');
  }
}

function moveIntoCursor(cursor: Cursor, path: Path): Cursor | undefined {
  const data = flattenAtPath(cursor.data, path, 0);
  return data === undefined || data === null ? undefined : { path: cursor.path.concat(path), data };
}

function flattenAtPath(value: unknown, path: Path, i: number): unknown {
  if (i === path.length || value === undefined || value === null) return value;
  const step = path[i];
  if (step === '@') {
    if (!Array.isArray(value)) return undefined;
    const out: unknown[] = [];
    for (const element of value) {
      const v = flattenAtPath(element, path, i + 1);
      if (Array.isArray(v)) for (const x of v) out.push(x);
      else out.push(v);
    }
    return out;
  }
  if (Array.isArray(value) || typeof value !== 'object') return undefined;
  return flattenAtPath(ownValue(value as ResultMap, step as string), path, i + 1);
}

// The request body prefix of a fetch node never changes: build it once per plan node.
const bodyPrefixes = new WeakMap<FetchNode, string>();
function bodyPrefix(fetch: FetchNode): string {
  let prefix = bodyPrefixes.get(fetch);
  if (prefix === undefined) {
    prefix = '{"query":' + JSON.stringify(fetch.operation);
    if (fetch.operationName) prefix += ',"operationName":' + JSON.stringify(fetch.operationName);
    prefix += ',"variables":';
    bodyPrefixes.set(fetch, prefix);
  }
  return prefix;
}

async function executeFetch(state: ExecutionState, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const entities: ResultMap[] = [];
  if (Array.isArray(cursor.data)) {
    for (const e of cursor.data) if (e !== null && e !== undefined && typeof e === 'object') entities.push(e as ResultMap);
  } else if (cursor.data !== null && typeof cursor.data === 'object') {
    entities.push(cursor.data as ResultMap);
  }
  if (entities.length === 0) return;

  const { requestVariables, supergraphSchema } = state.options;
  let variables: ResultMap | undefined;
  if (fetch.variableUsages) {
    for (const name of fetch.variableUsages) {
      if (Object.prototype.hasOwnProperty.call(requestVariables, name) && requestVariables[name] !== undefined) {
        (variables ??= Object.create(null) as ResultMap)[name] = requestVariables[name];
      }
    }
  }

  if (!fetch.requires) {
    const response = await state.options.send(fetch, bodyPrefix(fetch) + (variables ? JSON.stringify(variables) : '{}') + '}');
    if (response.errors) recordErrors(state, fetch, cursor, response.errors, undefined);
    const data = response.data;
    if (data) {
      applyRewrites(supergraphSchema, fetch.outputRewrites, data);
      for (const entity of entities) deepMerge(entity, data);
    }
    return;
  }

  // Entity fetch. Identical representations (the same product under several reviews) are sent once:
  // `slot[i]` is the representation index of entity i, or -1 when it has none.
  const requires = fetch.requires;
  const slots = new Int32Array(entities.length).fill(-1);
  const indexByJson = new Map<string, number>();
  const jsons: string[] = [];
  for (let i = 0; i < entities.length; i++) {
    const representation = selectRepresentation(supergraphSchema, entities[i], requires);
    if (!representation || !representation.__typename) continue;
    applyRewrites(supergraphSchema, fetch.inputRewrites, representation);
    const json = JSON.stringify(representation);
    let index = indexByJson.get(json);
    if (index === undefined) {
      index = jsons.length;
      jsons.push(json);
      indexByJson.set(json, index);
    }
    slots[i] = index;
  }
  if (jsons.length === 0) return;
  if (variables && 'representations' in variables) throw new Error('Variables cannot contain key "representations"');

  const others = variables ? JSON.stringify(variables) : '{}';
  const variablesJson = (others === '{}' ? '{' : others.slice(0, -1) + ',') + '"representations":[' + jsons.join(',') + ']}';
  const response = await state.options.send(fetch, bodyPrefix(fetch) + variablesJson + '}');
  if (response.errors) recordErrors(state, fetch, cursor, response.errors, slots);
  const data = response.data;
  if (!data) return;
  const received = data._entities;
  if (!Array.isArray(received)) {
    throw subgraphShapeError(fetch.serviceName, 'Expected "data._entities" in response to be an array');
  }
  if (received.length !== jsons.length) {
    throw subgraphShapeError(fetch.serviceName, `Expected "data._entities" to contain ${jsons.length} elements`);
  }
  for (const e of received) {
    if (e && typeof e === 'object') applyRewrites(supergraphSchema, fetch.outputRewrites, e as ResultMap);
  }
  for (let i = 0; i < entities.length; i++) {
    const slot = slots[i];
    if (slot < 0) continue;
    const receivedEntity = received[slot] as ResultMap | null;
    if (receivedEntity && typeof receivedEntity === 'object' && !receivedEntity.__typename) {
      receivedEntity.__typename = entities[i].__typename;
    }
    deepMerge(entities[i], receivedEntity);
  }
}

function subgraphShapeError(serviceName: string, reason: string): GraphQLError {
  return new GraphQLError(`Subgraph "${serviceName}" sent an invalid response.`, {
    extensions: { code: GatewayErrorCode.SUBGRAPH_INVALID_RESPONSE, serviceName, reason },
  });
}

/**
 * Subgraph errors keep their message and code, and gain `serviceName` (as @apollo/gateway does);
 * other extensions only where `subgraphErrors.allowedExtensions` names them (see subgraphErrorFrom).
 * Paths: `_entities/<i>/rest` becomes the path of every entity sent as representation i; other paths
 * are prefixed with the fetch's position.
 */
function recordErrors(
  state: ExecutionState,
  fetch: FetchNode,
  cursor: Cursor,
  errors: readonly GraphQLFormattedError[],
  slots: Int32Array | undefined,
): void {
  let entityPaths: Path[] | undefined;
  for (const raw of errors) {
    if (!raw || typeof raw !== 'object') continue;
    const { message, path: errorPath, extensions } = subgraphErrorFrom(raw, fetch.serviceName, state.options.allowedErrorExtensions);

    if (slots && errorPath && typeof errorPath[1] === 'number') {
      entityPaths ??= hydratePaths(state.root, cursor.path);
      const slot = errorPath[1];
      const rest = errorPath.slice(2);
      let matched = false;
      for (let i = 0; i < slots.length; i++) {
        if (slots[i] !== slot) continue;
        matched = true;
        state.errors.push(new SubgraphError(message, { path: [...(entityPaths[i] ?? []), ...rest], extensions }));
      }
      if (!matched) state.errors.push(new SubgraphError(message, { path: rest, extensions }));
    } else {
      state.errors.push(new SubgraphError(message, { path: errorPath ? [...cursor.path, ...errorPath] : undefined, extensions }));
    }
  }
}

/**
 * The concrete path of every non-null object at `path` (with `@` expanded to indexes), in the order
 * flattenAtPath visits them: entity i of a fetch is at hydratePaths(...)[i].
 */
function hydratePaths(root: ResultMap, path: Path): Path[] {
  const out: Path[] = [];
  const walk = (value: unknown, i: number, prefix: Path) => {
    if (value === null || value === undefined) return;
    if (i === path.length) {
      if (Array.isArray(value)) {
        value.forEach((v, j) => {
          if (v !== null && v !== undefined) out.push([...prefix, j]);
        });
      } else out.push(prefix.slice());
      return;
    }
    const step = path[i];
    if (step === '@') {
      if (!Array.isArray(value)) return;
      value.forEach((v, j) => walk(v, i + 1, [...prefix, j]));
    } else if (Array.isArray(value)) {
      value.forEach((v, j) => walk(v, i, [...prefix, j]));
    } else if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, step)) {
      walk((value as ResultMap)[step as string], i + 1, [...prefix, step]);
    }
  };
  walk(root, 0, []);
  return out;
}

/** Selects a representation out of an entity (the planner's `requires`). Null when an input is missing. */
function selectRepresentation(schema: GraphQLSchema, source: unknown, selections: readonly QueryPlanSelectionNode[]): ResultMap | null {
  if (source === null || typeof source !== 'object') return null;
  const obj = source as ResultMap;
  const result: ResultMap = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = ownValue(obj, name);
      // A missing input means an earlier fetch failed for this entity (and reported it): skip the entity.
      if (value === undefined) return null;
      const sub = selection.selections;
      if (Array.isArray(value)) {
        result[name] = sub ? value.map((v) => selectRepresentation(schema, v, sub)) : value;
      } else if (sub) {
        result[name] = selectRepresentation(schema, value, sub);
      } else {
        result[name] = value;
      }
    } else if (selection.typeCondition && isObjectOfType(schema, obj, selection.typeCondition)) {
      // As in @apollo/gateway, a fragment with a missing input contributes nothing rather than dropping the entity.
      deepMerge(result, selectRepresentation(schema, obj, selection.selections));
    }
  }
  return result;
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
// Fetch data rewrites (planner `inputRewrites` / `outputRewrites`): paths of field names and
// `... on Type` steps, ending in a field to set or rename.

const FRAGMENT_PREFIX = '... on ';

function applyRewrites(schema: GraphQLSchema, rewrites: FetchDataRewrite[] | undefined, value: ResultMap): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    const parent = rewrite.path.slice(0, -1);
    const field = rewrite.path[rewrite.path.length - 1];
    applyAtPath(schema, parent, value, (obj) => {
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

function applyAtPath(schema: GraphQLSchema, path: string[], value: unknown, fn: (obj: ResultMap) => void): void {
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
  if (first.startsWith(FRAGMENT_PREFIX)) {
    if (isObjectOfType(schema, value as ResultMap, first.slice(FRAGMENT_PREFIX.length), true)) applyAtPath(schema, rest, value, fn);
  } else {
    applyAtPath(schema, rest, ownValue(value as ResultMap, first), fn);
  }
}
