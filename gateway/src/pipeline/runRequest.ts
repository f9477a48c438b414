import { OperationTypeNode, type DocumentNode } from 'graphql';
import type { LRUCache } from 'lru-cache';
import type { GatewayConfig } from '../config';
import type { Logger } from '../deps';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import type { SubgraphClient } from '../execution/subgraphClient';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import type { GatewayContext, GatewayRequest, OperationReplacement } from '../plugins/types';
import { labelDefers, mayUseDefer } from '../graphql/deferDirectives';
import { deferredParts, executeIncrementally } from './deferred';
import { executeOperation, type ExecuteOptions } from './execute';
import type { HookRunner } from './hooks';
import { parseDocument } from './parse';
import { drawOverrides } from '../planning/overrides';
import { MAX_CACHED_QUERY, prepareOperation, type PlanCache, type PrepareRequest } from './prepare';
import { RequestError } from './requestError';
import type { GatewayResult } from './result';
import type { Revision, SubscribeOptions, SubscriptionHub } from './subscribe';
import { fetchesOf } from '../planning/plan';
import { LARGE_DOCUMENT, resolveOperation, validateDocument, yieldToEventLoop } from './validate';

/** One supergraph and the caches that are only valid for it; replaced whole on a schema change. */
export interface SupergraphState extends PlanCache {
  readonly loaded: LoadedSupergraph;
  /** Query texts that validated against this supergraph. */
  readonly validated: LRUCache<string, true>;
}

/** What the pipeline uses that outlives a supergraph: set up once by the gateway. */
export interface PipelineEnv {
  readonly hooks: HookRunner;
  /** Parsed documents by query text; only documents that validated are kept. */
  readonly documents: LRUCache<string, DocumentNode>;
  readonly client: SubgraphClient;
  readonly logger: Logger;
  readonly config: Pick<GatewayConfig, 'maskSubgraphErrors' | 'unmaskedCodes' | 'limits'>;
  readonly allowedErrorExtensions: ReadonlySet<string>;
  /** Counts plan cache lookups. */
  onPlanLookup(cached: boolean): void;
  /** A number in [0, 1): each request's draw for `percent(N)` override labels. */
  random(): number;
  /** Documents with their `@defer`s labelled, by the parsed document (kept as long as it is). */
  readonly labelled: WeakMap<DocumentNode, DocumentNode>;
  /** Where subscriptions run; undefined when they are off (`subscriptions.enabled: false`). */
  readonly subscriptions: SubscriptionHub | undefined;
}

/**
 * How the transport can answer: `streaming`, a subscription's sequence of payloads; `incremental`,
 * an incremental (`@defer`) response's parts. Without it, a deferred fragment is waited for and
 * sent in the one response.
 */
export interface TransportAbilities {
  readonly streaming: boolean;
  readonly incremental?: boolean;
}

/**
 * A request's way through the pipeline: the plugins' hooks between parse, validate, plan and
 * execute. Throws a RequestError for what the client must fix.
 */
export async function runRequest(
  state: SupergraphState | undefined,
  received: GatewayRequest,
  context: GatewayContext,
  env: PipelineEnv,
  transport: TransportAbilities = { streaming: false },
): Promise<GatewayResult> {
  if (!state) throw new RequestError([gatewayError(GatewayErrorCode.SUPERGRAPH_NOT_READY, 'The gateway has no supergraph loaded yet.')], 503);
  const { loaded } = state;
  // From here on, the request with the query text the onRequest hooks supplied (a persisted query).
  const request = await env.hooks.onRequest(received, context);
  const query = request.query;
  if (typeof query !== 'string' || query.trim() === '') {
    throw new RequestError([gatewayError(GatewayErrorCode.BAD_REQUEST, 'GraphQL operations must contain a non-empty `query`.')], 400);
  }
  // Each phase of a large document costs the CPU of tens of ms, all synchronous: between phases,
  // other requests (and /healthz) get the event loop, so one request never holds it for the sum.
  const large = query.length > LARGE_DOCUMENT;
  const parsed = env.hooks.phase('parse', request, context, (outcome) => parse(query, outcome, env));
  if (large) await yieldToEventLoop();
  await env.hooks.run('onParsed', { request, context, document: parsed });

  const { document, operation, variables } = await env.hooks.phase('validate', request, context, async () => {
    // Only successes are cached: a stream of distinct invalid documents must not fill the caches.
    if (!state.validated.has(query)) {
      await validateDocument(loaded.schema, parsed, env.config.limits, large, query);
      if (query.length <= MAX_CACHED_QUERY) {
        state.validated.set(query, true);
        env.documents.set(query, parsed);
      }
    }
    // From here on every @defer has a label: the plan's deferred parts name their fragments by it.
    const labelled = mayUseDefer(query) ? labelledDocument(parsed, env) : parsed;
    return { document: labelled, ...resolveOperation(loaded.schema, labelled, request, transport.streaming && env.subscriptions !== undefined) };
  });
  if (large) await yieldToEventLoop();
  const operationEvent = { request, context, document, operation, operationKind: operation.operation, variables, supergraph: loaded };
  let replacement: OperationReplacement | undefined;
  const replaceOperation = (r: OperationReplacement) => {
    replacement = r;
  };
  await env.hooks.run('onValidated', { ...operationEvent, replaceOperation });

  if (large) await yieldToEventLoop();
  const overrides = drawOverrides(loaded.overrideLabels, env.random() * 100, context.overrideLabels);
  const planRequest: PrepareRequest = { requestId: context.requestId, document, query, operation, operationName: request.operationName, replacement, overrides, documentIsText: document === parsed };
  const prepared = await env.hooks.phase('plan', request, context, (outcome) => {
    const planned = prepareOperation(state, loaded, planRequest, env.logger, outcome);
    env.onPlanLookup(outcome.cached === true);
    return planned;
  });
  if (large) await yieldToEventLoop();
  await env.hooks.run('onPlanned', { ...operationEvent, plan: prepared.plan });

  const options: ExecuteOptions = {
    loaded,
    prepared,
    requestVariables: request.variables ?? {},
    variables,
    replacementErrors: replacement?.errors ?? [],
    client: env.client,
    before: env.hooks.beforeSubgraphRequest(request, context),
    requestId: context.requestId,
    logger: env.logger,
    allowedErrorExtensions: env.allowedErrorExtensions,
    mask: { enabled: env.config.maskSubgraphErrors, unmaskedCodes: env.config.unmaskedCodes },
  };
  // resolveOperation let a subscription through only with a streaming transport and subscriptions on.
  if (operation.operation === OperationTypeNode.SUBSCRIPTION) return env.subscriptions!.subscribe({ ...options, request, context, hooks: env.hooks, planRequest });
  const parts = transport.incremental ? deferredParts(prepared.plan, variables) : 0;
  if (parts > 0) return executeIncrementally({ ...options, request, context, hooks: env.hooks }, parts);
  return env.hooks.phase('execute', request, context, () => executeOperation(options));
}

/**
 * A subscription's plan on a new supergraph: when the operation still validates and plans to the
 * same plan, with the same subgraph URLs, the subscription goes on (with the new supergraph);
 * otherwise it ends with SUBSCRIPTION_SCHEMA_CHANGED, and subscribing again gets the new plan.
 */
export async function revisionOn(state: SupergraphState, options: SubscribeOptions, env: PipelineEnv): Promise<Revision> {
  const changed = { error: gatewayError(GatewayErrorCode.SUBSCRIPTION_SCHEMA_CHANGED, 'The supergraph changed, and this subscription\'s plan with it: subscribe again.') };
  const { loaded } = state;
  try {
    await validateDocument(loaded.schema, options.planRequest.document, env.config.limits, false, options.planRequest.query);
    const prepared = await prepareOperation(state, loaded, options.planRequest, env.logger, {});
    if (JSON.stringify(prepared.plan) !== JSON.stringify(options.prepared.plan)) return changed;
    for (const fetch of fetchesOf(prepared.plan.node)) {
      if (loaded.subgraphUrls.get(fetch.serviceName) !== options.loaded.subgraphUrls.get(fetch.serviceName)) return changed;
    }
    return { loaded, prepared };
  } catch {
    return changed;
  }
}

/** `document` with its `@defer`s labelled (see graphql/deferDirectives.ts), once per parsed document. */
function labelledDocument(document: DocumentNode, env: PipelineEnv): DocumentNode {
  let labelled = env.labelled.get(document);
  if (!labelled) env.labelled.set(document, (labelled = labelDefers(document)));
  return labelled;
}

/**
 * Parses a query, or takes it from the document cache. Only documents that validated are cached:
 * hostile or broken queries, each different, must not fill the caches.
 */
function parse(query: string, outcome: { cached?: boolean }, env: PipelineEnv): DocumentNode {
  const cached = env.documents.get(query);
  outcome.cached = cached !== undefined;
  return cached ?? parseDocument(query, env.config.limits.maxTokens);
}
