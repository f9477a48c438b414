import { GraphQLError, getOperationAST, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../deps';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import { compileOperationShape } from '../execution/responseShape';
import { fragmentsOf } from '../graphql/fragmentsOf';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import type { OverrideDraw } from '../planning/overrides';
import type { Plan } from '../planning/plan';
import { UnplannableOperationError } from '../planning/planOperation';
import { PlanningTimeoutError } from '../planning/plannerWorker';
import type { OperationReplacement } from '../plugins/types';
import type { PreparedOperation } from './execute';
import { RequestError } from './requestError';

/**
 * Longer query texts are parsed, validated and planned every time rather than cached: real
 * operations are far shorter, and caching hostile documents would only hold memory.
 */
export const MAX_CACHED_QUERY = 16 * 1024;

/**
 * Caches are keyed by query text, which clients choose: besides the entry count, bound the total key
 * size (in characters) so that a stream of large distinct queries cannot grow them without limit.
 */
export function boundedCache<V extends {}>(max: number): LRUCache<string, V> {
  // A parsed document or plan takes a few dozen bytes per character of its query text: budget
  // about 64 MB per cache.
  return new LRUCache<string, V>({ max, maxSize: 64 * 1024 * 1024, sizeCalculation: (_value, key) => (key.length + 1) * 24 });
}

/** The plans of one supergraph: made, and being made. */
export interface PlanCache {
  readonly operations: LRUCache<string, PreparedOperation>;
  /** Plans being made, by the same key as `operations`. */
  readonly planning: Map<string, Promise<PreparedOperation>>;
}

export interface PrepareRequest {
  /** The request that asked: named in the log if planning fails unexpectedly (it may be shared). */
  requestId: string;
  document: DocumentNode;
  query: string;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  /** What a plugin put in place of the operation (authorization), if anything. */
  replacement: OperationReplacement | undefined;
  /** The progressive override labels this request drew, when the supergraph has any. */
  overrides?: OverrideDraw;
  /** False when `document` is not the parse of `query` (its @defers were labelled). Default true. */
  documentIsText?: boolean;
}

/**
 * The plan and response shape of an operation, cached. A plugin may have replaced the document to
 * plan (authorization removes what the caller may not see): the plan comes from the replacement,
 * cached under its key, while the shape is always the client's operation. `outcome.cached` says
 * whether the cache answered.
 */
export function prepareOperation(cache: PlanCache, loaded: LoadedSupergraph, request: PrepareRequest, logger: Logger, outcome: { cached?: boolean }): Promise<PreparedOperation> {
  // A plan holds for one set of active override labels: requests that drew another set never share it.
  const overrides = request.overrides ? request.overrides.active.join(',') : '';
  const key = (request.operationName ?? '') + '\u0000' + (request.replacement ? request.replacement.cacheKey : '') + '\u0000' + overrides + '\u0000' + request.query;
  const prepared = cache.operations.get(key);
  outcome.cached = prepared !== undefined;
  if (prepared) return Promise.resolve(prepared);
  // Planning is asynchronous (on the planning thread): identical operations that miss the cache at
  // once share one plan rather than queue the same work.
  let planning = cache.planning.get(key);
  if (!planning) {
    planning = planAndShape(loaded, request, logger);
    cache.planning.set(key, planning);
    void planning.then(
      (done) => {
        cache.planning.delete(key);
        if (request.query.length <= MAX_CACHED_QUERY) cache.operations.set(key, done);
      },
      () => cache.planning.delete(key),
    );
  }
  return planning;
}

async function planAndShape(loaded: LoadedSupergraph, request: PrepareRequest, logger: Logger): Promise<PreparedOperation> {
  const { requestId, document, query, operation, operationName, replacement, overrides } = request;
  let plan: Plan;
  try {
    // The query's text is the document's unless the pipeline changed it (labelled its @defers).
    const text = request.documentIsText === false ? undefined : query;
    plan = await loaded.plan(replacement ? { document: replacement.document, operationName, overrides } : { document, text, operationName, overrides });
  } catch (err) {
    if (err instanceof GraphQLError) {
      throw new RequestError([new GraphQLError(err.message, { extensions: { code: GatewayErrorCode.GRAPHQL_VALIDATION_FAILED } })], 400);
    }
    if (err instanceof PlanningTimeoutError) {
      throw new RequestError([gatewayError(GatewayErrorCode.QUERY_PLANNING_TIMEOUT, err.message, { extensions: { timeoutMs: err.timeoutMs } })], 400);
    }
    if (err instanceof UnplannableOperationError) {
      throw new RequestError([gatewayError(GatewayErrorCode.QUERY_PLANNING_FAILED, err.message, { extensions: { field: err.field } })], 500);
    }
    logger.error('query planning failed', { requestId, error: String((err as Error)?.stack ?? err) });
    throw new RequestError([gatewayError(GatewayErrorCode.QUERY_PLANNING_FAILED, 'The operation could not be planned.')], 500);
  }
  const responseDocument = replacement?.responseDocument ?? document;
  const responseOperation = responseDocument === document ? operation : getOperationAST(responseDocument, operationName);
  if (!responseOperation) throw new Error('the replaced response document lost its operation');
  return { operation, plan, shape: compileOperationShape(loaded.schema, responseOperation, fragmentsOf(responseDocument)), document };
}
