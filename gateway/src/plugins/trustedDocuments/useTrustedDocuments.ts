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
  const check = new TrustedDocumentCheck(deps);
  return {
    name: 'trusted-documents',
    onRequest(event) {
      if (event.request.documentId !== undefined) return check.byDocumentId(event, event.request.documentId);
      check.byTextOrHash(event);
    },
  };
}

/** What the plugin decides for one request, with the config it was made with. */
class TrustedDocumentCheck {
  private readonly index: TrustedDocumentIndex | undefined;
  private readonly config: TrustedDocumentsDeps['config'];
  private readonly count: (result: TrustedDocumentResult) => void;
  private readonly exemptClients: ReadonlySet<string>;
  private readonly exemptTiers: ReadonlySet<string>;

  constructor(private readonly deps: TrustedDocumentsDeps) {
    this.index = deps.index;
    this.config = deps.config;
    this.count = deps.count ?? (() => {});
    this.exemptClients = new Set(deps.config.exempt.clientIds);
    this.exemptTiers = new Set(deps.config.exempt.tiers);
  }

  /** A request that names its document by `documentId`: run it, or say what is wrong. */
  byDocumentId(event: RequestEvent, documentId: string): void {
    const { request, context, reject } = event;
    const { index } = this;
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
      this.count('not_found');
      return reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_FOUND, `No trusted document has the id "${documentId}" for this client.`, { status: 404 }));
    }
    this.run(event, document);
  }

  /** A request with the text, or only Apollo's persisted query hash. */
  byTextOrHash(event: RequestEvent): void {
    const { index } = this;
    if (!index) return;
    const { request, context } = event;
    const { name, version } = context.client ?? {};
    if (request.query !== undefined) {
      const sha256 = sha256Hex(request.query);
      if (index.isTrusted(sha256, name, version)) return void this.count('trusted');
      return this.unknown(event, { sha256, text: request.query });
    }
    // Only a hash: a manifest's id (Apollo's persisted query lists send theirs), or the text's
    // SHA-256. A hash that names no document is for the persisted query store, whose texts hash to
    // their keys: so that text is in no manifest either.
    const requested = persistedQueryOf(request.extensions);
    if (requested.kind !== 'hash') return;
    const document = index.lookup(name, version, requested.hash) ?? index.lookup(name, version, `sha256:${requested.hash}`);
    if (document) return this.run(event, document);
    this.unknown(event, { sha256: requested.hash });
  }

  private run(event: RequestEvent, document: TrustedDocument): void {
    event.context.trustedDocument = { id: document.id, ...(document.name !== undefined ? { name: document.name } : {}) };
    this.count('trusted');
    event.setQuery(document.body);
  }

  /** An operation in no manifest: counted, logged when asked, refused unless allowed. */
  private unknown(event: RequestEvent, what: { sha256: string; text?: string }): void {
    const { request, context, reject } = event;
    const { allowArbitrary, logUnknown } = this.config;
    const exempt = !allowArbitrary && this.isExempt(context.identity, request);
    const refused = !allowArbitrary && !exempt;
    this.count(refused ? 'refused' : exempt ? 'exempt' : 'unknown');
    if (logUnknown) {
      this.deps.logger.warn('operation outside the trusted documents', {
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
      reject(gatewayError(GatewayErrorCode.PERSISTED_QUERY_NOT_ALLOWED, 'Only trusted documents may be run here, and this operation is in no manifest for this client.', { status: 400 }));
    }
  }

  /** Exemptions are by who authenticated, never by the self-declared client-name headers. */
  private isExempt(identity: Identity | undefined, request: GatewayRequest): boolean {
    if (!identity) return false;
    if (identity.clientId !== undefined && this.exemptClients.has(identity.clientId)) return true;
    return this.exemptTiers.size > 0 && this.exemptTiers.has(assignBudget(this.deps.budgets, identity, request).tier);
  }
}
