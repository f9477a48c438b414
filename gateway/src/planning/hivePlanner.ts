/**
 * Hive's query planner (`@graphql-hive/router-query-planner`, Rust through N-API): plans the
 * federation cases Apollo's gets wrong (see the README's planner section) in a tenth of the time.
 * Its binaries cover Linux (x64, arm64; glibc) and macOS; elsewhere (Alpine's musl, Windows) the
 * module does not load, and `planner: auto` uses Apollo's.
 *
 * It plans operation text and neither validates it nor answers introspection: the gateway validates
 * first, answers `__schema` and `__type` itself, and sends Hive the rest.
 */
import { Kind, getOperationAST, print, visit, type DocumentNode, type SelectionNode, type SelectionSetNode } from 'graphql';
import { collectFields } from '../graphql/collectFields';
import { fragmentsOf } from '../graphql/fragmentsOf';
import { fromHivePlan } from './hivePlan';
import { percentOf, type OverrideDraw } from './overrides';
import type { Plan } from './plan';

/** What the module exports, as far as Junction uses it. */
export interface HiveQueryPlanner {
  plan(query: string, operationName: string | null, activeLabels: Set<string>, percentage: number): unknown;
  readonly overrideLabels: string[];
  readonly overridePercentages: number[];
}
type HiveModule = { QueryPlanner: new (supergraphSdl: string) => HiveQueryPlanner };

const MODULE = '@graphql-hive/router-query-planner';

/** The planner module, or why it does not load on this platform (read once: `require` caches it). */
export function loadHiveModule(): HiveModule | Error {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(MODULE) as Partial<HiveModule>;
    if (typeof mod.QueryPlanner !== 'function') return new Error(`${MODULE} exports no QueryPlanner`);
    return mod as HiveModule;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** A Hive planner for a supergraph. Throws if the module does not load or the SDL does not parse. */
export function buildHivePlanner(sdl: string): HiveQueryPlanner {
  const mod = loadHiveModule();
  if (mod instanceof Error) throw mod;
  return new mod.QueryPlanner(sdl);
}

/**
 * The plan of one operation of a validated document. An operation whose root needs no subgraph
 * (`__typename`, introspection) has an empty plan, as with Apollo's planner (Hive would send
 * `{__typename}` to a subgraph).
 */
export function planWithHive(planner: HiveQueryPlanner, document: DocumentNode, text: string | undefined, operationName: string | undefined, overrides?: OverrideDraw): Plan {
  if (!needsSubgraph(document, operationName)) return { kind: 'Plan' };
  const operation = operationCount(document) > 1 ? operationDocument(document, operationName) : document;
  // The text says when there is no introspection field to take out, sparing a walk of the document.
  const sent = text !== undefined && !text.includes('__schema') && !text.includes('__type') ? operation : withoutIntrospection(operation);
  // Unchanged, the client's own text says the same, unprinted.
  const source = sent === document ? (text ?? print(document)) : print(sent);
  let raw: unknown;
  try {
    // Hive's planner draws nothing: it is told the custom labels active and the percentage drawn.
    const labels = new Set(overrides?.active.filter((label) => percentOf(label) === undefined));
    raw = planner.plan(source, operationName ?? null, labels, overrides?.percentage ?? 0);
  } catch (err) {
    // The gateway parsed and validated the text: Hive's parser refusing it is one of its limits.
    // (Read by shape: the addon's errors are not of this realm's Error under a test runner's vm.)
    const message = (err as { message?: unknown })?.message;
    if (typeof message === 'string' && message.startsWith('Failed to parse query:')) throw new HiveParseError(message);
    throw err;
  }
  return fromHivePlan(raw);
}

/** Hive's parser refused a document graphql-js parsed: it stops at some 50 levels of nesting. */
export class HiveParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HiveParseError';
  }
}

const INTROSPECTION = new Set(['__schema', '__type']);

function operationCount(document: DocumentNode): number {
  let n = 0;
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION) n++;
  return n;
}

/**
 * The operation to plan and the fragments it spreads, without the document's other operations:
 * Hive's planner parses and normalizes all it is given, and a document may hold hundreds.
 */
function operationDocument(document: DocumentNode, operationName: string | undefined): DocumentNode {
  const operation = getOperationAST(document, operationName);
  if (!operation) return document;
  const fragments = fragmentsOf(document);
  const kept = new Set<string>();
  const queue: SelectionSetNode[] = [operation.selectionSet];
  // Each fragment's selections are walked once, however often it is spread.
  for (let set = queue.pop(); set; set = queue.pop()) {
    visit(set, {
      FragmentSpread(node) {
        const name = node.name.value;
        const fragment = fragments.get(name);
        if (fragment && !kept.has(name)) {
          kept.add(name);
          queue.push(fragment.selectionSet);
        }
      },
    });
  }
  return { kind: Kind.DOCUMENT, definitions: [operation, ...[...kept].map((name) => fragments.get(name)!)] };
}

/**
 * Whether a root field of the operation is a subgraph's: not `__typename` or introspection, and not
 * left out whatever the variables (`@skip(if: true)`, `@include(if: false)`), which Hive's planner
 * fails to plan when nothing else is selected.
 */
function needsSubgraph(document: DocumentNode, operationName: string | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (!operation) return false;
  let found = false;
  collectFields(operation.selectionSet, undefined, fragmentsOf(document), {
    field(sel) {
      found = !sel.name.value.startsWith('__') && !alwaysExcluded(sel);
      return found;
    },
    fragment: (_typeCondition, scope, sel) => (alwaysExcluded(sel) ? false : scope),
  });
  return found;
}

function alwaysExcluded(selection: SelectionNode): boolean {
  return (
    selection.directives?.some((d) => {
      const value = d.arguments?.find((a) => a.name.value === 'if')?.value;
      if (value?.kind !== Kind.BOOLEAN) return false;
      return (d.name.value === 'skip' && value.value) || (d.name.value === 'include' && !value.value);
    }) ?? false
  );
}

/**
 * The document with each introspection field (only valid on the query root) replaced by
 * `__typename`: the gateway answers them, and a selection set they alone filled stays valid. The
 * same document when it has none (graphql-js's visit copies only what it edits).
 */
function withoutIntrospection(document: DocumentNode): DocumentNode {
  return visit(document, {
    Field(node) {
      if (!INTROSPECTION.has(node.name.value)) return undefined;
      return { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
    },
  });
}
