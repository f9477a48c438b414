/**
 * Trusted documents at request time: a request names a document by `documentId` (the GraphQL over
 * HTTP persisted documents appendix: `sha256:<hex>` or a manifest's own id) or by the hash of
 * Apollo's persisted query protocol (`extensions.persistedQuery.sha256Hash`, which Apollo Client's
 * persisted query lists send), and the manifest's text is run; a request with the text itself is
 * trusted when that text is in a manifest. The manifests a request may use are chosen by its
 * client-name headers (see TrustedDocumentIndex.lookup).
 *
 * Everything is decided in onRequest, before anything is parsed: with `allowArbitrary: false` an
 * operation outside the manifests costs the gateway a hash of its text, no more.
 */
import type { GatewayConfig } from '../../config';
import type { Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import type { Identity } from '../auth/identity';
import { assignBudget } from '../budgets/useBudgets';
import { persistedQueryOf, sha256Hex } from '../persistedQueries/useAutomaticPersistedQueries';
import type { GatewayPlugin, GatewayRequest, RequestEvent } from '../types';
import type { TrustedDocumentIndex } from './documentIndex';
import type { TrustedDocument } from './manifest';

declare module '../types' {
  interface GatewayContext {
    /**
     * The trusted document this request named (by `documentId` or persisted query hash) and runs.
     * Set by the trusted-documents plugin in onRequest; the automatic persisted queries plugin then
     * leaves the request alone.
     */
    trustedDocument?: { readonly id: string; readonly name?: string };
  }
}

/**
 * How a request went, counted in `junction_trusted_documents_total`: `trusted` (in a manifest),
 * `unknown` (in none, run because `allowArbitrary`), `exempt` (in none, run for an exempt caller),
 * `refused` (in none: PERSISTED_QUERY_NOT_ALLOWED), `not_found` (a `documentId` naming nothing).
 */
export type TrustedDocumentResult = 'trusted' | 'unknown' | 'exempt' | 'refused' | 'not_found';

export interface TrustedDocumentsDeps {
  /** The manifests; undefined when `trustedDocuments.enabled` is false (a `documentId` is then refused). */
  index: TrustedDocumentIndex | undefined;
  config: GatewayConfig['trustedDocuments'];
  /** For exemptions by tier (`budgets.assign`). */
  budgets: GatewayConfig['budgets'];
  logger: Logger;
  count?(result: TrustedDocumentResult): void;
}

/** The characters of an id a manifest may hold (see manifest.ts), and so of a documentId. */
const DOCUMENT_ID = /^[\x21-\x7e]{1,256}$/;
const SHA256_ID = /^sha256:[0-9a-f]{64}$/;
/** How much of an unknown operation's text `logUnknown` logs: enough to recognise it. */
const LOGGED_TEXT = 1024;

export function useTrustedDocuments(deps: TrustedDocumentsDeps): GatewayPlugin {
  const { index, config, logger } = deps;
  const count = deps.count ?? (() => {});
  const exemptClients = new Set(config.exempt.clientIds);
  const exemptTiers = new Set(config.exempt.tiers);

  function isExempt(identity: Identity | undefined, request: GatewayRequest): boolean {
    if (!identity) return false;
    if (identity.clientId !== undefined && exemptClients.has(identity.clientId)) return true;
    return exemptTiers.size > 0 && exemptTiers.has(assignBudget(deps.budgets, identity, request).tier);
  }

  /** An operation in no manifest: counted, logged when asked, refused unless allowed. */
  function unknown(event: RequestEvent, what: { sha256: string; text?: string }): void {
    const { request, context, reject } = event;
    const exempt = !config.allowArbitrary && isExempt(context.identity, request);
    const refused = !config.allowArbitrary && !exempt;
    count(refused ? 'refused' : exempt ? 'exempt' : 'unknown');
    if (config.logUnknown) {
      logger.warn('operation outside the trusted documents', {
        requestId: context.requestId,
        refused,
        clientName: context.client?.name,
        clientVersion: context.client?.version,
        clientId: context.identity?.clientId,
        operationName: request.operationName,
        sha256: what.sha256,
        text: what.text?.slice(0, LOGGED_TEXT),
      });
    }
    if (refused) {
      reject(
        gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_ALLOWED, 'Only trusted documents may be run here, and this operation is in no manifest for this client.', {
          status: 400,
        }),
      );
    }
  }

  function run(event: RequestEvent, document: TrustedDocument): void {
    event.context.trustedDocument = { id: document.id, ...(document.name !== undefined ? { name: document.name } : {}) };
    count('trusted');
    event.setQuery(document.body);
  }

  /** A request that names its document by `documentId`: run it, or say what is wrong. */
  function byDocumentId(event: RequestEvent, documentId: string): void {
    const { request, context, reject } = event;
    if (!index) return reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, 'A documentId is not accepted here: trusted documents are off (trustedDocuments.enabled).', { status: 400 }));
    if (request.query !== undefined || request.extensions?.persistedQuery != null) {
      return reject(gatewayError(GatewayErrorCode.BAD_REQUEST, 'Name the operation one way: a documentId, or a query (with or without a persisted query hash), not both.'));
    }
    if (!DOCUMENT_ID.test(documentId)) return reject(gatewayError(GatewayErrorCode.BAD_REQUEST, 'A documentId is 1 to 256 printable ASCII characters, without spaces.'));
    if (documentId.startsWith('sha256:') && !SHA256_ID.test(documentId)) {
      return reject(gatewayError(GatewayErrorCode.BAD_REQUEST, 'A sha256 documentId is "sha256:" and 64 lower-case hexadecimal digits.'));
    }
    const document = index.lookup(context.client?.name, context.client?.version, documentId);
    if (!document) {
      count('not_found');
      return reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_FOUND, `No trusted document has the id "${documentId}" for this client.`, { status: 404 }));
    }
    run(event, document);
  }

  /** A request with the text, or only Apollo's persisted query hash. */
  function byTextOrHash(event: RequestEvent, index: TrustedDocumentIndex): void {
    const { request, context } = event;
    const { name, version } = context.client ?? {};
    if (request.query !== undefined) {
      const sha256 = sha256Hex(request.query);
      if (index.isTrusted(sha256, name, version)) return void count('trusted');
      return unknown(event, { sha256, text: request.query });
    }
    // Only a hash: a manifest's id (Apollo's persisted query lists send theirs), or the text's
    // SHA-256. A hash that names no document is for the persisted query store, whose texts hash to
    // their keys: so that text is in no manifest either.
    const requested = persistedQueryOf(request.extensions);
    if (requested.kind !== 'hash') return;
    const document = index.lookup(name, version, requested.hash) ?? index.lookup(name, version, `sha256:${requested.hash}`);
    if (document) return run(event, document);
    unknown(event, { sha256: requested.hash });
  }

  return {
    name: 'trusted-documents',
    onRequest(event) {
      if (event.request.documentId !== undefined) return byDocumentId(event, event.request.documentId);
      if (index) byTextOrHash(event, index);
    },
  };
}
