import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { GatewayConfig } from '../../config';
import type { Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import { ANONYMOUS, type Identity } from '../auth/identity';
import type { GatewayPlugin, GatewayRequest } from '../types';
import { authorizationMetadata, type AuthorizationMetadata, type Requirement } from './authorizationMetadata';
import { filterOperation, mergeMissing, type FilterResult, type Missing } from './filterOperation';

/** Decides a `@policy` name for a caller; registered through `authorization.policyModule`. */
export type PolicyEvaluator = (policy: string, identity: Identity, request: GatewayRequest) => boolean | Promise<boolean>;

/**
 * Per document, supergraph and operation: every distinct requirement the operation meets, and the
 * filtered documents already computed, by outcome.
 */
interface Analysis {
  requirements: Requirement[];
  /** Each requirement's position in `requirements`. */
  index: Map<Requirement, number>;
  policies: string[];
  /** Filter results by outcome key (see outcomeKey); a handful of distinct outcomes per operation. */
  filtered: Map<string, FilterResult>;
}

/** Filter results kept per operation: distinct outcomes are as many as distinct kinds of callers. */
const MAX_OUTCOMES = 32;

/**
 * Authorization from the supergraph's `@authenticated`, `@requiresScopes` and `@policy`, after
 * validation and before planning: unauthorized selections are removed from the operation that gets
 * planned (so no subgraph is asked for them) and answered null with an `UNAUTHORIZED_FIELD_OR_TYPE`
 * error each; or, in `reject` mode, the operation is refused with 403.
 *
 * What is removed depends on nothing but the operation and, for each requirement it meets, what
 * the caller lacks of it. That outcome, one entry per requirement, is the key of the filtered
 * document and of the plan cache: two callers share a plan exactly when filtering gives them the
 * same document. (A key made of what was removed is not enough: the same path can hold a field
 * with one requirement on one type and another on another.)
 */
export function useAuthorization(
  config: GatewayConfig['authorization'],
  deps: { logger: Logger; evaluatePolicy?: PolicyEvaluator },
): GatewayPlugin {
  const analyses = new WeakMap<DocumentNode, WeakMap<GraphQLSchema, Map<string, Analysis>>>();

  const analyse = (schema: GraphQLSchema, metadata: AuthorizationMetadata, document: DocumentNode, operation: OperationDefinitionNode): Analysis => {
    let bySchema = analyses.get(document);
    if (!bySchema) analyses.set(document, (bySchema = new WeakMap()));
    let byOperation = bySchema.get(schema);
    if (!byOperation) bySchema.set(schema, (byOperation = new Map()));
    const key = operation.name?.value ?? '';
    let analysis = byOperation.get(key);
    if (!analysis) {
      const policies = new Set<string>();
      const index = new Map<Requirement, number>();
      filterOperation(schema, metadata, document, operation, (req) => {
        if (!index.has(req)) index.set(req, index.size);
        for (const alternatives of req.policies) for (const all of alternatives) for (const p of all) policies.add(p);
        return undefined;
      });
      analysis = { requirements: [...index.keys()], index, policies: [...policies], filtered: new Map() };
      byOperation.set(key, analysis);
    }
    return analysis;
  };

  return {
    name: 'authorization',
    async onValidated({ request, context, document, operation, supergraph, reject, replaceOperation }) {
      const metadata = authorizationMetadata(supergraph.supergraphSchema);
      if (!metadata.active) return;
      const analysis = analyse(supergraph.schema, metadata, document, operation);
      if (analysis.requirements.length === 0) return;

      const identity = context.identity ?? ANONYMOUS;
      const granted = new Set<string>();
      await Promise.all(
        analysis.policies.map(async (policy) => {
          if (!deps.evaluatePolicy) return;
          try {
            if ((await deps.evaluatePolicy(policy, identity, request)) === true) granted.add(policy);
          } catch (err) {
            // A failing policy denies: fail closed, and say why in the log.
            deps.logger.error('policy evaluation failed', { policy, requestId: context.requestId, reason: String((err as Error)?.message ?? err) });
          }
        }),
      );

      const outcome = analysis.requirements.map((req) => checkRequirement(req, identity, granted));
      if (outcome.every((missing) => missing === undefined)) return;
      const key = outcomeKey(outcome);
      let result = analysis.filtered.get(key);
      if (!result) {
        result = filterOperation(supergraph.schema, metadata, document, operation, (req) => outcome[analysis.index.get(req)!]);
        if (analysis.filtered.size >= MAX_OUTCOMES) analysis.filtered.clear();
        analysis.filtered.set(key, result);
      }
      const { document: filtered, responseDocument, removals } = result;
      if (removals.length === 0) return;
      const errors = removals.map((r) =>
        gatewayError(GatewayErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, 'Unauthorized field or type', {
          path: r.path,
          extensions: missingExtensions(r.missing),
          status: config.mode === 'reject' ? 403 : undefined,
        }),
      );
      if (config.mode === 'reject') {
        reject(errors);
        return;
      }
      replaceOperation({ document: filtered, responseDocument, cacheKey: key, errors });
    },
  };
}

/** One entry per requirement, in the analysis' order: empty when it holds, else what is missing. */
export function outcomeKey(outcome: ReadonlyArray<Missing | undefined>): string {
  return JSON.stringify(outcome.map((missing) => missing ?? 0));
}

/** Undefined when the caller meets the requirement; otherwise what is missing. */
export function checkRequirement(req: Requirement, identity: Identity, grantedPolicies: ReadonlySet<string>): Missing | undefined {
  let missing: Missing | undefined;
  if (req.authenticated && identity.via === 'anonymous') missing = { authenticated: true };
  // Outer list: any alternative will do; inner list: all of it.
  for (const alternatives of req.scopes) {
    if (!alternatives.some((all) => all.every((s) => identity.scopes.includes(s)))) {
      missing = mergeMissing(missing, { requiresScopes: alternatives.map((a) => [...a]) });
    }
  }
  for (const alternatives of req.policies) {
    if (!alternatives.some((all) => all.every((p) => grantedPolicies.has(p)))) {
      missing = mergeMissing(missing, { policies: alternatives.map((a) => [...a]) });
    }
  }
  return missing;
}

function missingExtensions(missing: Missing): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (missing.authenticated) out.authenticated = true;
  if (missing.requiresScopes) out.requiresScopes = missing.requiresScopes;
  if (missing.policies) out.policies = missing.policies;
  return { missing: out };
}
