import type { ApolloCompositionCode, CompositionCode } from '../composition/composeSupergraph';
import type { GatewayErrorCode } from '../errors/gatewayError';
import type { RegistryErrorCode } from '../registry/subgraphRegistry';
import type { DocumentsErrorCode } from '../registry/trustedDocumentRegistry';

/** Every code the admin API and the operations routes send: the registry's, composition's and their own. */
export type AdminErrorCode =
  | RegistryErrorCode
  | DocumentsErrorCode
  | CompositionCode
  | Extract<GatewayErrorCode, 'BAD_REQUEST' | 'UNAUTHENTICATED' | 'NO_REGISTRY' | 'BUDGETS_OFF' | 'TRUSTED_DOCUMENTS_OFF' | 'MANIFEST_TOO_LARGE' | 'BUDGET_STORE_UNAVAILABLE' | 'SUPERGRAPH_NOT_READY'>;

/**
 * The HTTP status of each admin error code: the only place the registry's codes become statuses. A
 * Record, so a code added to the registry without a status here does not compile. The README's admin
 * table states the same (test/readme.test.ts compares them).
 */
export const ADMIN_ERROR_STATUS: Readonly<Record<AdminErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_SUBGRAPH_NAME: 400,
  INVALID_SUBGRAPH_URL: 400,
  URL_NOT_ALLOWED: 400,
  INVALID_MANIFEST: 400,
  INVALID_CLIENT_NAME: 400,
  UNAUTHENTICATED: 401,
  NO_REGISTRY: 404,
  BUDGETS_OFF: 404,
  TRUSTED_DOCUMENTS_OFF: 404,
  MANIFEST_NOT_FOUND: 404,
  SUBGRAPH_NOT_FOUND: 404,
  BREAKING_CHANGE: 409,
  MANIFEST_TOO_LARGE: 413,
  TOO_MANY_DOCUMENTS: 422,
  INVALID_GRAPHQL: 422,
  NO_SUBGRAPHS: 422,
  COMPOSITION_TOO_COMPLEX: 422,
  COMPOSITION_FAILED: 422,
  COMPOSITION_ERROR: 422,
  // The subgraph answered, and would answer the same again: refused like an SDL that does not
  // compose, not a 502 to retry.
  SUBGRAPH_RESPONSE_TOO_LARGE: 422,
  // Only at startup, which it stops; never an answer of the admin API.
  INCOMPLETE_REGISTRY_RECORD: 500,
  SUBGRAPH_UNREACHABLE: 502,
  REGISTRY_UNAVAILABLE: 503,
  REGISTRY_BUSY: 503,
  BUDGET_STORE_UNAVAILABLE: 503,
  SUPERGRAPH_NOT_READY: 503,
};

/** @apollo/composition's own codes (passed through, not in the catalogue) all mean "does not compose". */
const PASSED_THROUGH_COMPOSITION_STATUS = 422;

/** The status of a failure whose first (deciding) error has this code. */
export function adminStatus(code: AdminErrorCode | ApolloCompositionCode): number {
  return Object.prototype.hasOwnProperty.call(ADMIN_ERROR_STATUS, code) ? ADMIN_ERROR_STATUS[code as AdminErrorCode] : PASSED_THROUGH_COMPOSITION_STATUS;
}

/** One error of the admin API's envelope, `{ errors: [{ code, message, subgraphs? }] }`. */
export interface AdminError {
  code: AdminErrorCode | ApolloCompositionCode;
  message: string;
  subgraphs?: string[];
}
