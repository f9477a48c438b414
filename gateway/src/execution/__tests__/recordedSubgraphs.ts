/**
 * A harness for plan execution and response shaping over recorded subgraph answers: no sockets, no
 * Gateway. `run` plans a client operation with the real planner over four small inline subgraphs,
 * answers every fetch with the JSON written in the test, and returns what the client would get: the
 * shaped `data`, the errors execution reports (subgraph errors, their paths) and the
 * value-completion errors shaping reports. `oracle` is graphql-js's own `execute` over the same
 * merged answers, for the cases where the data is valid.
 */
import { executeSync, getOperationAST, getVariableValues, parse, validate, type GraphQLFormattedError } from 'graphql';
import { composeSupergraph } from '../../composition/composeSupergraph';
import type { Logger } from '../../deps';
import { formatError } from '../../errors/gatewayError';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import { loadSupergraph } from '../../planning/loadSupergraph';
import type { Plan } from '../../planning/plan';
import { executePlan, type SendFetch } from '../executePlan';
import { applyOperationShape, compileOperationShape } from '../responseShape';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

const PRODUCTS = `${FEDERATION}
  type Query {
    product(upc: ID!): Product
    "The same list three times, nullable to different depths: a null bubbles to the nearest nullable."
    top: [Product]
    topNonNullItems: [Product!]
    topNonNull: [Product!]!
    search: [SearchResult]
    media: [Media!]
  }
  type Product @key(fields: "upc") { upc: ID! name: String! price: Int weight: Float category: Category }
  enum Category { FURNITURE BOOKS }
  type Author { id: ID! fullName: String }
  union SearchResult = Product | Author
  interface Media { id: ID! title: String }
  type Book implements Media { id: ID! title: String pages: Int }
  type Film implements Media { id: ID! title: String minutes: Int }
`;
const INVENTORY = `${FEDERATION}
  type Product @key(fields: "upc") { upc: ID! inStock: Boolean! stock: [Int!] }
`;
const REVIEWS = `${FEDERATION}
  type Product @key(fields: "upc") { upc: ID! reviews: [Review] }
  type Review { id: ID! body: String author: User }
  type User @key(fields: "id") { id: ID! }
`;
const ACCOUNTS = `${FEDERATION}
  type User @key(fields: "id") { id: ID! name: String }
`;

const composed = composeSupergraph([
  { name: 'products', url: 'http://products.test/graphql', sdl: PRODUCTS },
  { name: 'inventory', url: 'http://inventory.test/graphql', sdl: INVENTORY },
  { name: 'reviews', url: 'http://reviews.test/graphql', sdl: REVIEWS },
  { name: 'accounts', url: 'http://accounts.test/graphql', sdl: ACCOUNTS },
]);
if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
export const supergraph = loadSupergraph(composed.supergraphSdl);

/** What one subgraph answers: one answer for every fetch, or one per fetch in order; an Error is thrown by the transport. */
export type Answer = Record<string, unknown> | Error;
export type Recorded = Partial<Record<'products' | 'inventory' | 'reviews' | 'accounts', Answer | Answer[]>>;

export interface Outcome {
  data: Record<string, unknown> | null;
  /** Errors execution reports (subgraph errors, Junction's errors about subgraphs), as the client sees them. */
  errors: GraphQLFormattedError[];
  /** Errors shaping reports (non-null violations, invalid values). */
  valueCompletion: GraphQLFormattedError[];
  /** Each fetch sent: its subgraph and variables. */
  sent: Array<{ subgraph: string; variables: Record<string, unknown> }>;
  logged: Array<Record<string, unknown> | undefined>;
  /** The merged answers shaping worked on. */
  merged: Record<string, unknown>;
}

/** Runs a plan written in the test (as another planner would make it) over recorded answers: what was sent, merged and reported. */
export async function runPlan(plan: Plan, recorded: Recorded, variables: Record<string, unknown> = {}): Promise<Pick<Outcome, 'errors' | 'sent' | 'merged' | 'logged'>> {
  const { execution, sent, logged } = await executeRecorded(plan, recorded, variables, variables, []);
  return { errors: execution.errors.map(formatError), sent, merged: execution.data, logged };
}

/** Executes `plan` over the recorded answers, recording what was sent and logged. */
async function executeRecorded(plan: Plan, recorded: Recorded, variables: Record<string, unknown>, coercedVariables: Record<string, unknown>, allowedErrorExtensions: string[]) {
  const { send, sent } = recordedTransport(recorded);
  const logged: Outcome['logged'] = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_message, fields) => void logged.push(fields) };
  const execution = await executePlan({
    plan,
    supergraphSchema: supergraph.supergraphSchema,
    requestVariables: variables,
    coercedVariables,
    allowedErrorExtensions: new Set(allowedErrorExtensions),
    logger,
    requestId: 'req-1',
    send,
  });
  return { execution, sent, logged };
}

/** Answers every fetch with the recorded JSON for its subgraph, and records what was sent. */
function recordedTransport(recorded: Recorded): { send: SendFetch; sent: Outcome['sent'] } {
  const sent: Outcome['sent'] = [];
  const calls = new Map<string, number>();
  const send: SendFetch = async (fetch, body) => {
    const subgraph = fetch.serviceName as keyof Recorded;
    sent.push({ subgraph, variables: JSON.parse(body).variables });
    const n = calls.get(subgraph) ?? 0;
    calls.set(subgraph, n + 1);
    const answers = recorded[subgraph];
    const answer = Array.isArray(answers) ? answers[n] : answers;
    if (answer === undefined) throw new Error(`no recorded answer for fetch ${n} of ${subgraph}`);
    if (answer instanceof Error) throw answer;
    // A copy, as a parsed HTTP body would be: execution merges into what it receives.
    return JSON.parse(JSON.stringify(answer));
  };
  return { send, sent };
}

export async function run(query: string, recorded: Recorded, variables: Record<string, unknown> = {}, allowedErrorExtensions: string[] = []): Promise<Outcome> {
  const schema = supergraph.schema;
  const document = parse(query);
  expect(validate(schema, document)).toEqual([]);
  const operation = getOperationAST(document)!;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0];
  const plan = await supergraph.plan({ document, operationName: undefined });

  const { execution, sent, logged } = await executeRecorded(plan, recorded, variables, coerced.coerced, allowedErrorExtensions);
  const shape = compileOperationShape(schema, operation, fragmentsOf(document));
  const shaped = applyOperationShape(shape, execution.data, { schema, variables: coerced.coerced, introspect: () => null });
  return {
    data: shaped.data,
    errors: execution.errors.map(formatError),
    valueCompletion: shaped.errors.map(formatError),
    sent,
    logged,
    merged: execution.data,
  };
}

/**
 * graphql-js executing the operation over the merged answers: each field reads its response name,
 * each abstract type resolves by `__typename`.
 */
export function oracle(query: string, merged: Record<string, unknown>, variables: Record<string, unknown> = {}) {
  const result = executeSync({
    schema: supergraph.schema,
    document: parse(query),
    rootValue: merged,
    variableValues: variables,
    fieldResolver: (source, _args, _context, info) => (source as Record<string, unknown>)[info.path.key as string],
    typeResolver: (value) => (value as { __typename?: string }).__typename,
  });
  return { data: result.data ?? null, paths: (result.errors ?? []).map((e) => e.path) };
}

/** Data compared as JSON text: key order is part of a response (the client's query order). */
export function expectJson(actual: unknown, expected: unknown): void {
  expect(JSON.stringify(actual, null, 2)).toBe(JSON.stringify(expected, null, 2));
}

/** A recorded `top` list of products from the products subgraph, with the keys the planner asks for. */
export const products = (...items: Array<Record<string, unknown> | null>) => ({ data: { top: items.map((p) => (p ? { __typename: 'Product', ...p } : null)) } });
export const entities = (...items: unknown[]) => ({ data: { _entities: items } });

