/**
 * Incremental delivery (`@defer`), in the format Apollo Router sends and Apollo's clients read
 * (deferSpec=20220824): a first payload `{ data, errors?, hasNext: true }` as soon as the plan's
 * primary fetches are done, then, as each deferred fragment's own fetches are done (side by side),
 * `{ incremental: [{ data, path, label?, errors? }], hasNext }`, one item per object the fragment is
 * on. A null that bubbles up inside a deferred fragment stays in its item.
 */
import { formatError } from '../errors/gatewayError';
import { activeRoot, executeIncremental, type ExecutedPart } from '../execution/executePlan';
import { applyDeferredShape, type OperationShape } from '../execution/responseShape';
import type { DeferNode, Plan } from '../planning/plan';
import { clientLabel } from '../graphql/deferDirectives';
import { conditionsHold } from '../graphql/isIncluded';
import type { ExecutionResultBody, GatewayContext, GatewayRequest, IncrementalItem } from '../plugins/types';
import type { HookRunner } from './hooks';
import { maskedErrors, planExecution, shapeOptions, shapeResult, type ExecuteOptions } from './execute';
import { PayloadQueue } from './payloadQueue';
import { errorResponse } from './requestError';
import type { GatewayStream } from './result';

type Data = Record<string, unknown>;

/** The deferred parts the plan delivers for these variables (`@defer(if:)` decided); 0 when it defers nothing. */
export function deferredParts(plan: Plan, variables: Readonly<Record<string, unknown>>): number {
  const node = activeRoot(plan, variables);
  return node?.kind === 'Defer' ? countParts(node) : 0;
}

function countParts(node: DeferNode): number {
  return node.deferred.reduce((sum, d) => sum + 1 + (d.node?.kind === 'Defer' ? countParts(d.node) : 0), 0);
}

/** What an incremental execution needs beyond an operation's: the request's hooks, for its phases. */
export interface IncrementalOptions extends ExecuteOptions {
  request: GatewayRequest;
  context: GatewayContext;
  hooks: HookRunner;
}

/** Runs an operation whose plan defers `parts` fragments, as a stream of payloads. */
export function executeIncrementally(options: IncrementalOptions, parts: number): GatewayStream {
  // A client that leaves ends nothing: the fetches under way finish (nothing is queued then).
  const queue = new PayloadQueue(() => {});
  const endExecute = options.hooks.startPhase('execute', options.request, options.context);
  const phases = partPhases(options);
  let remaining = parts;
  const onPart = (part: ExecutedPart, data: Data) => {
    // The first payload: the operation without its deferred fragments.
    if (part.kind === 'initial') queue.push({ ...shapeResult(options, { data, errors: [...part.errors] }, 'apart'), hasNext: remaining > 0 });
    else {
      remaining--;
      const items = itemsOf(options, part, data);
      if (items.length > 0) queue.push({ incremental: items, hasNext: remaining > 0 });
      else if (remaining === 0) queue.push({ hasNext: false });
    }
    phases.sent(part.kind === 'initial' ? INITIAL : part.label);
  };
  const execution = executeIncremental(planExecution(options), onPart);
  void execution.then(
    () => endExecute?.({}),
    (error: unknown) => endExecute?.({ error }),
  );
  // The whole response, as one body: what onResult sees (actual cost, the log) once the last part is out.
  const finished = execution.then(
    (whole) => {
      queue.end();
      return shapeResult(options, whole);
    },
    (err: unknown) => {
      // A bug: the client gets a code and the request id, the log the rest.
      queue.push({ errors: errorResponse(err, options.requestId, options.logger).body.errors, hasNext: false });
      queue.end();
      return undefined;
    },
  );
  // Never dropped: what can wait for a slow reader is bounded by the plan (one payload per part).
  return { status: 200, kind: 'incremental', payloads: queue, onDropped: () => {}, finished };
}

const INITIAL = Symbol('initial part');

/**
 * The `part` phases of an incremental response: the first starts now; when a part is sent, the
 * parts deferred directly in it start (their fetches start then).
 */
function partPhases(options: IncrementalOptions) {
  const children = new Map<string | symbol | undefined, Array<string | undefined>>();
  const walk = (node: DeferNode, parent: string | symbol | undefined) => {
    for (const d of node.deferred) {
      const list = children.get(parent) ?? [];
      list.push(d.label);
      children.set(parent, list);
      if (d.node?.kind === 'Defer') walk(d.node, d.label);
    }
  };
  const root = activeRoot(options.prepared.plan, options.variables);
  if (root?.kind === 'Defer') walk(root, INITIAL);
  const open = new Map<string | symbol | undefined, ReturnType<HookRunner['startPhase']>>();
  const start = (key: string | symbol | undefined) => open.set(key, options.hooks.startPhase('part', options.request, options.context));
  start(INITIAL);
  return {
    sent(key: string | symbol | undefined) {
      open.get(key)?.({});
      open.delete(key);
      for (const child of children.get(key) ?? []) start(child);
    },
  };
}

/** A deferred part's items: the fragment on each object at its path, each with the errors under it. */
function itemsOf(options: ExecuteOptions, part: Extract<ExecutedPart, { kind: 'deferred' }>, data: Data): IncrementalItem[] {
  const shape: OperationShape = options.prepared.shape;
  const fragment = part.label === undefined ? undefined : shape.deferred.get(part.label);
  if (!fragment) {
    options.logger.error('a deferred part names no fragment of the operation', { requestId: options.requestId, label: part.label });
    return [];
  }
  const errors = maskedErrors(options, part.errors).map(formatError);
  // `... @defer @include(if: false)`: the fragment is not there, nor its part.
  if (fragment.conditions !== undefined && !conditionsHold(fragment.conditions, options.variables)) return [];
  const items: IncrementalItem[] = [];
  for (const { object, path } of objectsAt(data, part.queryPath)) {
    const typename = typeof object.__typename === 'string' ? object.__typename : undefined;
    if (fragment.possibleTypes && typename !== undefined && !fragment.possibleTypes.has(typename)) continue;
    const shaped = applyDeferredShape(fragment, object, typename ?? fragment.defer?.parentType ?? '', path, shapeOptions(options));
    const item: IncrementalItem = { data: shaped.data, path };
    const label = clientLabel(part.label);
    if (label !== undefined) item.label = label;
    const own = errors.filter((e) => isUnder(e.path, path));
    // As for a whole response: value-completion problems are reported when nothing else failed there.
    if (shaped.data === null && own.length === 0) own.push(...shaped.errors.map(formatError));
    if (own.length > 0) item.errors = own;
    items.push(item);
  }
  // Errors outside every item (a failed fetch with no path): on the first, or on an empty item.
  const placed = new Set(items.flatMap((i) => i.errors ?? []));
  const stray = errors.filter((e) => !placed.has(e));
  if (stray.length > 0) (items[0] ??= { data: null, path: [] }).errors = [...(items[0].errors ?? []), ...stray];
  return items;
}

function isUnder(errorPath: ReadonlyArray<string | number> | undefined, path: ReadonlyArray<string | number>): boolean {
  return errorPath !== undefined && path.every((step, i) => errorPath[i] === step);
}

/** The objects at a deferred part's path (response keys, `... on T` conditions), through lists, with their concrete paths. */
function objectsAt(data: Data, queryPath: readonly string[]): Array<{ object: Data; path: Array<string | number> }> {
  let current: Array<{ value: unknown; path: Array<string | number> }> = [{ value: data, path: [] }];
  for (const step of queryPath) {
    const next: typeof current = [];
    const condition = step.startsWith('... on ') ? step.slice(7).trim() : undefined;
    for (const { value, path } of current) {
      for (const { object, at } of expand(value, path)) {
        if (condition !== undefined) {
          if (object.__typename === undefined || object.__typename === condition) next.push({ value: object, path: at });
        } else if (Object.hasOwn(object, step)) {
          next.push({ value: object[step], path: [...at, step] });
        }
      }
    }
    current = next;
  }
  return current.flatMap(({ value, path }) => expand(value, path).map(({ object, at }) => ({ object, path: at })));
}

/** A value as the objects it is: itself, or a list's (nested lists too), each with its path. */
function expand(value: unknown, path: Array<string | number>): Array<{ object: Data; at: Array<string | number> }> {
  if (value === null || value === undefined || typeof value !== 'object') return [];
  if (!Array.isArray(value)) return [{ object: value as Data, at: path }];
  return value.flatMap((element, i) => expand(element, [...path, i]));
}
