/**
 * prepareOperation: the plan cache, plans shared by identical operations that miss it at once, and
 * what a client and the log see when planning fails. The planner is replaced by a function here;
 * the real planner's plans are in planning/__tests__.
 */
import type { Plan } from '../../planning/plan';
import { GraphQLError, buildSchema, getOperationAST, parse } from 'graphql';
import type { Logger } from '../../deps';
import type { LoadedSupergraph } from '../../planning/loadSupergraph';
import { UnplannableOperationError } from '../../planning/planOperation';
import { boundedCache, prepareOperation, type PlanCache } from '../prepare';
import { RequestError } from '../requestError';

const schema = buildSchema('type Query { hello: String }');
const QUERY = '{ hello }';
const PLAN: Plan = { kind: 'Plan' };

function supergraph(plan: () => Promise<Plan>): LoadedSupergraph & { calls: number } {
  const loaded = {
    calls: 0,
    sdl: '',
    hash: '',
    schema,
    supergraphSchema: schema,
    subgraphUrls: new Map(),
    overrideLabels: [],
    subgraphSchema: () => undefined,
    plan: () => {
      loaded.calls++;
      return plan();
    },
  };
  return loaded;
}

function logged(): { logger: Logger; errors: Array<Record<string, unknown> | undefined> } {
  const errors: Array<Record<string, unknown> | undefined> = [];
  return { errors, logger: { debug() {}, info() {}, warn() {}, error: (_message, fields) => void errors.push(fields) } };
}

function prepare(cache: PlanCache, loaded: LoadedSupergraph, logger: Logger, requestId = 'req-1', query = QUERY) {
  const document = parse(query);
  const outcome: { cached?: boolean } = {};
  const request = { requestId, document, query, operation: getOperationAST(document)!, operationName: undefined, replacement: undefined };
  return { outcome, prepared: prepareOperation(cache, loaded, request, logger, outcome) };
}

const newCache = (): PlanCache => ({ operations: boundedCache(10), planning: new Map() });

it('plans once, then answers from the cache', async () => {
  const cache = newCache();
  const loaded = supergraph(async () => PLAN);
  const { logger } = logged();
  const first = prepare(cache, loaded, logger);
  expect((await first.prepared).plan).toBe(PLAN);
  expect(first.outcome.cached).toBe(false);
  const second = prepare(cache, loaded, logger);
  expect((await second.prepared).plan).toBe(PLAN);
  expect(second.outcome.cached).toBe(true);
  expect(loaded.calls).toBe(1);
});

it('identical operations that miss the cache at once share one plan', async () => {
  const cache = newCache();
  let finish: (plan: Plan) => void = () => {};
  const loaded = supergraph(() => new Promise((resolve) => (finish = resolve)));
  const { logger } = logged();
  const waiting = [prepare(cache, loaded, logger, 'a'), prepare(cache, loaded, logger, 'b'), prepare(cache, loaded, logger, 'c')];
  finish(PLAN);
  for (const { prepared } of waiting) expect((await prepared).plan).toBe(PLAN);
  expect(loaded.calls).toBe(1);
});

it.each([
  ['the planner refuses the operation', () => new GraphQLError('Cannot query field'), 400, 'GRAPHQL_VALIDATION_FAILED', 'Cannot query field', false],
  ['no subgraph can resolve a field', () => new UnplannableOperationError('Query.hello'), 500, 'QUERY_PLANNING_FAILED', 'No subgraph can resolve the selection of "Query.hello".', false],
  ['a bug: logged with the request id, the client sees only the code', () => new TypeError('x is undefined'), 500, 'QUERY_PLANNING_FAILED', 'The operation could not be planned.', true],
])('%s', async (_name, failure, status, code, message, isLogged) => {
  const cache = newCache();
  const loaded = supergraph(() => Promise.reject(failure()));
  const { logger, errors } = logged();
  const error = await prepare(cache, loaded, logger, 'req-42').prepared.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RequestError);
  expect((error as RequestError).status).toBe(status);
  expect((error as RequestError).errors.map((e) => [e.message, e.extensions.code])).toEqual([[message, code]]);
  expect(errors).toEqual(isLogged ? [{ requestId: 'req-42', error: expect.stringContaining('TypeError: x is undefined') }] : []);
  // A failed plan is not cached: the next request plans again.
  await prepare(cache, loaded, logger).prepared.catch(() => undefined);
  expect(loaded.calls).toBe(2);
});
