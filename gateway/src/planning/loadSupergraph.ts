import { createHash } from 'node:crypto';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
  Kind,
  buildASTSchema,
  parse,
  type DefinitionNode,
  type DocumentNode,
} from 'graphql';
import type { Plan } from './plan';
import { preferResolvableKeys } from './apolloKeyPreference';
import { buildHivePlanner, type HiveQueryPlanner } from './hivePlanner';
import { overrideLabelsOf, type OverrideDraw } from './overrides';
import { plannerFor, planWith, type PlannerName } from './planner';

/**
 * Everything derived from one supergraph SDL that the gateway's thread uses. The gateway swaps a whole
 * LoadedSupergraph at once, so a request that started on one keeps its schema, planner and plan cache
 * to the end.
 *
 * Vocabulary: the *supergraph schema* has every type and field plus the join directives; the *API
 * schema* is what clients see (no `@inaccessible` elements, no federation machinery).
 */
export interface LoadedSupergraph {
  readonly sdl: string;
  /** sha256 of the SDL, hex. */
  readonly hash: string;
  /** The API schema for graphql-js: validation, variable coercion, introspection, response shaping. */
  readonly schema: GraphQLSchema;
  /** The full supergraph schema for graphql-js: type checks on data sent to subgraphs (`@requires`, keys). */
  readonly supergraphSchema: GraphQLSchema;
  /** Subgraph name to URL, as the supergraph's `@join__graph` says. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** A subgraph's own schema, as the supergraph records it (with its `@cost` and `@listSize`). */
  subgraphSchema(name: string): GraphQLSchema | undefined;
  /**
   * The plan of one operation of a validated document: `text` is the document's source when the
   * document is its parse, which spares printing it. Rejects with the planner's GraphQLError, an
   * UnplannableOperationError, or another error (a bug, or the planning thread failing).
   */
  plan(operation: { document: DocumentNode; text?: string; operationName: string | undefined; overrides?: OverrideDraw }): Promise<Plan>;
  /** The progressive override labels of its `@override`s (`percent(N)` and custom ones), sorted; empty when none. */
  readonly overrideLabels: readonly string[];
}

/** The planner's inputs, as @apollo/federation-internals models them. */
export interface SupergraphPlanner {
  readonly supergraph: Supergraph;
  /** The API schema: the planner's input. */
  readonly apiSchema: Schema;
  readonly planner: QueryPlanner;
}

/**
 * Linked features the gateway can serve. A supergraph linking a SECURITY or EXECUTION feature outside
 * this set is refused: serving it would silently ignore what the feature asks (e.g. access rules).
 * The authorization plugin enforces the three security features.
 */
export const SUPPORTED_SUPERGRAPH_FEATURES: ReadonlySet<string> = new Set([
  ...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES,
  'https://specs.apollo.dev/authenticated/v0.1',
  'https://specs.apollo.dev/requiresScopes/v0.1',
  'https://specs.apollo.dev/policy/v0.1',
]);

/** Builds the federation model of a supergraph and its planner. Throws (with the parser's message) if the SDL is not a valid supergraph. */
export function buildSupergraphPlanner(sdl: string): SupergraphPlanner {
  preferResolvableKeys();
  const supergraph = Supergraph.build(sdl, { supportedFeatures: SUPPORTED_SUPERGRAPH_FEATURES as Set<string> });
  return {
    supergraph,
    apiSchema: supergraph.apiSchema(),
    // @apollo/gateway's planner config but one option: the planner does not try to fit the client's
    // fragments back into each subgraph fetch. That search costs a comparison per fragment and
    // selection set (190 fragments: 36 ms against 5 ms without), so a document of many small
    // fragments would cost the gateway more CPU than a request may take; Apollo Router turned it off
    // for the same reason. Fetches select the same fields, written inline.
    // `@defer` planned as Apollo Router plans it: a Defer node with the primary fetches, and each
    // deferred fragment's fetches apart (Hive's planner does not plan it: see planner.ts).
    planner: new QueryPlanner(supergraph, { reuseQueryFragments: false, incrementalDelivery: { enableDefer: true } }),
  };
}

/**
 * Loads a supergraph on this thread: schemas and planner. For embedding and tests; a served gateway
 * loads and plans on its planning thread (plannerThread.ts), where a large supergraph (a second for
 * 200 subgraphs) does not stall the requests being served.
 */
export function loadSupergraph(sdl: string, options: { planner?: PlannerName } = {}): LoadedSupergraph & SupergraphPlanner {
  const built = buildSupergraphPlanner(sdl);
  let hive: HiveQueryPlanner | undefined;
  const subgraphs = built.supergraph.subgraphs();
  return {
    ...built,
    sdl,
    hash: supergraphHash(sdl),
    schema: withDeferDirective(built.apiSchema.toGraphQLJSSchema()),
    supergraphSchema: built.supergraph.schema.toGraphQLJSSchema(),
    subgraphUrls: new Map([...subgraphs.values()].map((s) => [s.name, s.url])),
    subgraphSchema: schemasByName((name) => subgraphs.get(name)?.schema.toGraphQLJSSchema()),
    async plan(operation) {
      const planners = { apollo: built, hive: () => (hive ??= buildHivePlanner(sdl)) };
      return planWith(planners, plannerFor(options.planner ?? 'apollo', operation.document, operation.text).planner, operation).plan;
    },
    overrideLabels: overrideLabelsOf(built.supergraph),
  };
}

/**
 * `directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT` in the
 * API schema, as Apollo Router's has it: clients validate and introspect against it.
 */
export function withDeferDirective(schema: GraphQLSchema): GraphQLSchema {
  if (schema.getDirective('defer')) return schema;
  const defer = new GraphQLDirective({
    name: 'defer',
    description: 'Delivers the fragment after the rest of the response (incremental delivery).',
    locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
    args: { label: { type: GraphQLString }, if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true } },
  });
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, defer] });
}

/** `build`, remembering each schema it built: a subgraph's schema is built on first use, once. */
export function schemasByName(build: (name: string) => GraphQLSchema | undefined): (name: string) => GraphQLSchema | undefined {
  const built = new Map<string, GraphQLSchema>();
  return (name) => {
    let schema = built.get(name);
    if (!schema) {
      schema = build(name);
      if (schema) built.set(name, schema);
    }
    return schema;
  };
}

export function supergraphHash(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex');
}

/**
 * The graphql-js schema that @apollo/federation-internals' `toGraphQLJSSchema` makes of a schema, from
 * the schema's printed text (federation-internals' `printSchema`, as `toAST` prints it): so the planning thread sends text, and this thread
 * builds the same schema. Like `toGraphQLJSSchema`, a type (or the schema) that the text only extends
 * gets an empty definition first, and no astNode.
 */
export function schemaFromPrinted(text: string): GraphQLSchema {
  const document = parse(text, { noLocation: true });
  const defined = new Set<string>();
  let schemaDefined = false;
  for (const def of document.definitions) {
    if (def.kind === Kind.SCHEMA_DEFINITION) schemaDefined = true;
    else if ('name' in def && def.name && !isExtension(def.kind)) defined.add(def.name.value);
  }
  const added: DefinitionNode[] = [];
  const addedNames = new Set<string>();
  let schemaAdded = false;
  for (const def of document.definitions) {
    if (def.kind === Kind.SCHEMA_EXTENSION && !schemaDefined && !schemaAdded) {
      schemaAdded = true;
      added.push({ kind: Kind.SCHEMA_DEFINITION, operationTypes: [] });
    } else if (isExtension(def.kind) && 'name' in def && def.name && !defined.has(def.name.value) && !addedNames.has(def.name.value)) {
      addedNames.add(def.name.value);
      added.push({ kind: DEFINITION_OF[def.kind as keyof typeof DEFINITION_OF], name: def.name } as DefinitionNode);
    }
  }
  // The planning thread built and validated this schema already.
  const schema = buildASTSchema(added.length > 0 ? { ...document, definitions: [...document.definitions, ...added] } : document, { assumeValidSDL: true });
  if (schemaAdded) schema.astNode = undefined;
  for (const name of addedNames) {
    const type = schema.getType(name);
    if (type) type.astNode = undefined;
  }
  return schema;
}

const DEFINITION_OF = {
  [Kind.SCALAR_TYPE_EXTENSION]: Kind.SCALAR_TYPE_DEFINITION,
  [Kind.OBJECT_TYPE_EXTENSION]: Kind.OBJECT_TYPE_DEFINITION,
  [Kind.INTERFACE_TYPE_EXTENSION]: Kind.INTERFACE_TYPE_DEFINITION,
  [Kind.UNION_TYPE_EXTENSION]: Kind.UNION_TYPE_DEFINITION,
  [Kind.ENUM_TYPE_EXTENSION]: Kind.ENUM_TYPE_DEFINITION,
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: Kind.INPUT_OBJECT_TYPE_DEFINITION,
} as const;

function isExtension(kind: Kind): boolean {
  return kind in DEFINITION_OF;
}
