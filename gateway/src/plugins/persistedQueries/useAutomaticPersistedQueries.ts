/**
 * Automatic persisted queries, Apollo's protocol (Apollo Client's persisted-queries link, Apollo
 * Kotlin, Apollo iOS; https://www.apollographql.com/docs/apollo-server/performance/apq): a client
 * sends `extensions.persistedQuery: { version: 1, sha256Hash }`, over POST or GET (where
 * `extensions` is a JSON query parameter), with or without the query text.
 *
 * - hash only, known: the stored text is run, as if the client had sent it;
 * - hash only, unknown: 200 PERSISTED_QUERY_NOT_FOUND, and the client sends the hash with the text;
 * - hash and text: the text must hash to it (else 400 PERSISTED_QUERY_HASH_MISMATCH); it is run, and
 *   stored once the request has passed every check before execution (validation, authorization,
 *   cost, budgets), as Apollo Server stores it only after its plugins had their say: nothing that
 *   does not validate, or that the gateway refuses to run, fills the store.
 */
import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import type { Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import type { GatewayContext, GatewayPlugin } from '../types';
import type { PersistedQueryStore } from './persistedQueryStore';

/** What a request asks of the persisted query protocol. */
export type PersistedQueryRequest =
  | { kind: 'none' }
  | { kind: 'hash'; hash: string }
  | { kind: 'unsupported'; version: number }
  | { kind: 'invalid'; message: string };

/** How a lookup or a registration went; counted in `junction_apq_total`. */
export type ApqResult = 'hit' | 'miss' | 'registered' | 'store_error';

export interface AutomaticPersistedQueriesDeps {
  /** Where texts are kept; undefined when `apq.enabled` is false (requests are then told PERSISTED_QUERY_NOT_SUPPORTED). */
  store: PersistedQueryStore | undefined;
  logger: Logger;
  count?(result: ApqResult): void;
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const NONE: PersistedQueryRequest = { kind: 'none' };

/**
 * A miss must not be cached, by the client or anything between: the same request succeeds once the
 * client has sent the text. What Apollo Server and Apollo Router send with it.
 */
const UNCACHED = { 'cache-control': 'private, no-cache, must-revalidate' };

/**
 * Reads `extensions.persistedQuery`. Only its own properties count (`extensions` is parsed JSON, so
 * a `__proto__` or `constructor` key is data and finds nothing). A null extension is no extension,
 * as Apollo Server reads it.
 */
export function persistedQueryOf(extensions: Readonly<Record<string, unknown>> | undefined): PersistedQueryRequest {
  if (!extensions || !Object.hasOwn(extensions, 'persistedQuery')) return NONE;
  const pq = extensions.persistedQuery;
  if (pq === null || pq === undefined) return NONE;
  if (typeof pq !== 'object' || Array.isArray(pq)) return { kind: 'invalid', message: 'The "extensions.persistedQuery" parameter must be an object with "version" and "sha256Hash".' };
  const version = Object.hasOwn(pq, 'version') ? (pq as { version: unknown }).version : undefined;
  if (typeof version !== 'number') return { kind: 'invalid', message: 'The "extensions.persistedQuery.version" parameter must be a number.' };
  if (version !== 1) return { kind: 'unsupported', version };
  const hash = Object.hasOwn(pq, 'sha256Hash') ? (pq as { sha256Hash: unknown }).sha256Hash : undefined;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    return { kind: 'invalid', message: 'The "extensions.persistedQuery.sha256Hash" parameter must be a SHA-256 hash: 64 hexadecimal digits.' };
  }
  // Hex is case-blind; the store's keys are lower-case, as clients send them.
  return { kind: 'hash', hash: hash.toLowerCase() };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The automatic persisted queries plugin. Runs after authentication (an unauthenticated caller learns nothing of the store) and after cost and budgets (see onPlanned). */
export function useAutomaticPersistedQueries(deps: AutomaticPersistedQueriesDeps): GatewayPlugin {
  const { store, logger } = deps;
  const count = deps.count ?? (() => {});
  // Texts to store once their request has passed every check, by request (see onPlanned).
  const toStore = new WeakMap<GatewayContext, { hash: string; query: string }>();

  /** The stored text, or undefined: a store that cannot be reached is a miss, so the client sends the text and is served. */
  async function lookup(hash: string, requestId: string): Promise<string | undefined> {
    try {
      const text = await store!.get(hash);
      count(text === undefined ? 'miss' : 'hit');
      return text;
    } catch (err) {
      count('store_error');
      logger.warn('persisted query store unavailable; answered as not found', { requestId, reason: (err as Error).message });
      return undefined;
    }
  }

  return {
    name: 'automatic-persisted-queries',
    async onRequest({ request, context, reject, setQuery }) {
      // The hash named a trusted document, whose text the trusted-documents plugin supplied.
      if (context.trustedDocument) return;
      const requested = persistedQueryOf(request.extensions);
      if (requested.kind === 'none') return;
      if (!store) return reject(notSupported('automatic persisted queries are off'));
      if (requested.kind === 'unsupported') return reject(notSupported(`version ${requested.version} is not supported; send version 1`));
      if (requested.kind === 'invalid') return reject(gatewayError(GatewayErrorCode.BAD_REQUEST, requested.message));
      if (request.query === undefined) {
        const text = await lookup(requested.hash, context.requestId);
        if (text === undefined) return reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_FOUND, 'PersistedQueryNotFound', { status: 200, headers: UNCACHED }));
        return setQuery(text);
      }
      if (sha256Hex(request.query) !== requested.hash) {
        return reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_HASH_MISMATCH, 'The query does not hash to "extensions.persistedQuery.sha256Hash".', { status: 400 }));
      }
      toStore.set(context, { hash: requested.hash, query: request.query });
    },
    // Before execution, after validation, authorization, cost and budgets (the plugins before this
    // one) let the operation through. Awaited, so that once the client has its answer every replica
    // sharing the store knows the hash; a store that fails only costs the client its text next time.
    async onPlanned({ context }) {
      const registration = toStore.get(context);
      if (!registration || !store) return;
      toStore.delete(context);
      try {
        await store.set(registration.hash, registration.query);
        count('registered');
      } catch (err) {
        count('store_error');
        logger.warn('persisted query not stored: the store is unavailable', { requestId: context.requestId, reason: (err as Error).message });
      }
    },
  };
}

/** The answer Apollo's clients take as "send the text, and stop sending hashes". */
function notSupported(reason: string): GraphQLError {
  return gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, 'PersistedQueryNotSupported', { status: 200, headers: UNCACHED, extensions: { reason } });
}
