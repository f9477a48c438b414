import { GraphQLError, type GraphQLErrorOptions, type GraphQLFormattedError } from 'graphql';

/**
 * Every error code Junction itself sends, to GraphQL clients and from its admin API: the one catalogue.
 * Subgraph errors keep their own codes, composition errors @apollo/composition's. Each code has a row
 * in one of the README's error tables (test/readme.test.ts checks both ways); for a GraphQL request the
 * HTTP status is what a request failing with only that error gets.
 */
export const GatewayErrorCode = {
  /** The HTTP request is not a GraphQL request: bad JSON, no query, bad parameters. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The query text does not parse. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The operation is not valid against the API schema. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** Variables missing or of the wrong type. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** `operationName` names no operation in the document, or the document has several and none is named. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** A subgraph could not be reached or timed out. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  /** A subgraph answered, but not with a GraphQL response (HTTP error page, bad JSON). */
  SUBGRAPH_INVALID_RESPONSE: 'SUBGRAPH_INVALID_RESPONSE',
  /**
   * A subgraph's response body was larger than `limits.maxSubgraphResponseBytes`; reading stopped there.
   * Also the admin API's answer (422) to a registration whose SDL answer is larger than `registry.maxSdlBytes`.
   */
  SUBGRAPH_RESPONSE_TOO_LARGE: 'SUBGRAPH_RESPONSE_TOO_LARGE',
  /**
   * A subscription's upstream side ended abnormally: the subgraph closed or lost the connection, was
   * unreachable, never acknowledged it, or sent an invalid or too large event. The last payload of
   * that subscription; `extensions.serviceName` names the subgraph and `extensions.reason` says how
   * it ended (never its address). Clients subscribe again.
   */
  SUBSCRIPTION_UPSTREAM_CLOSED: 'SUBSCRIPTION_UPSTREAM_CLOSED',
  /** A subgraph answered with an error that carried no code of its own. */
  DOWNSTREAM_SERVICE_ERROR: 'DOWNSTREAM_SERVICE_ERROR',
  /** No supergraph is loaded yet. */
  SUPERGRAPH_NOT_READY: 'SUPERGRAPH_NOT_READY',
  /** A valid operation the supergraph cannot serve (no subgraph reaches a field), or a planner failure. */
  QUERY_PLANNING_FAILED: 'QUERY_PLANNING_FAILED',
  /** Planning the operation took longer than `limits.planningTimeoutMs`: refused, and refused at once when sent again. HTTP 400. */
  QUERY_PLANNING_TIMEOUT: 'QUERY_PLANNING_TIMEOUT',
  /** Anything unexpected; the message is masked and the request id points to the log line. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The selection is nested deeper than `limits.maxDepth`. */
  DEPTH_LIMIT_EXCEEDED: 'DEPTH_LIMIT_EXCEEDED',
  /** More aliases than `limits.maxAliases`. */
  ALIAS_LIMIT_EXCEEDED: 'ALIAS_LIMIT_EXCEEDED',
  /** More root fields than `limits.maxRootFields`. */
  ROOT_FIELD_LIMIT_EXCEEDED: 'ROOT_FIELD_LIMIT_EXCEEDED',
  /** More field selections, fragments expanded, than `limits.maxSelections`. */
  SELECTION_LIMIT_EXCEEDED: 'SELECTION_LIMIT_EXCEEDED',
  /** More `__schema` / `__type` fields than `limits.maxIntrospectionFields`. */
  INTROSPECTION_LIMIT_EXCEEDED: 'INTROSPECTION_LIMIT_EXCEEDED',
  /** More directives than `limits.maxDirectives`. */
  DIRECTIVE_LIMIT_EXCEEDED: 'DIRECTIVE_LIMIT_EXCEEDED',
  /** The request (headers, then body) was not received within `limits.headersTimeoutMs` / `limits.requestTimeoutMs` (HTTP 408). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** A request body larger than `limits.maxBodyBytes` (HTTP 413). */
  BODY_LIMIT_EXCEEDED: 'BODY_LIMIT_EXCEEDED',
  /** A batch (JSON array body) with more operations than `batching.maxSize`. */
  BATCH_LIMIT_EXCEEDED: 'BATCH_LIMIT_EXCEEDED',
  /** More lexical tokens than `limits.maxTokens`: refused while parsing, before the document is built. */
  TOKEN_LIMIT_EXCEEDED: 'TOKEN_LIMIT_EXCEEDED',
  /** `__schema` / `__type` asked while `limits.introspection` is false. */
  INTROSPECTION_DISABLED: 'INTROSPECTION_DISABLED',
  /** Credentials are missing (and required) or invalid: bad token, unknown API key. HTTP 401. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller lacks what @authenticated, @requiresScopes or @policy require for a field or type. */
  UNAUTHORIZED_FIELD_OR_TYPE: 'UNAUTHORIZED_FIELD_OR_TYPE',
  /** The operation's estimated cost is over `cost.maxCost`; `extensions.cost` has both numbers. */
  COST_ESTIMATED_TOO_EXPENSIVE: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** The operation cannot be costed as written (e.g. several slicing arguments where @listSize wants one). */
  COST_QUERY_PARSE_FAILURE: 'COST_QUERY_PARSE_FAILURE',
  /** The client's budget of cost points cannot pay for the operation now. HTTP 429, Retry-After. */
  BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  /** The budget store cannot be reached and `budgets.failMode` is closed. HTTP 503. */
  BUDGET_STORE_UNAVAILABLE: 'BUDGET_STORE_UNAVAILABLE',
  /** The gateway is shutting down (SIGTERM): a request that reached it while it drains. HTTP 503, connection closed. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /**
   * A request a browser could have sent from any site without a CORS preflight (a GET or form POST)
   * carrying none of `csrfPrevention.requestHeaders`: refused before anything runs. HTTP 400.
   */
  CSRF_PREVENTED: 'CSRF_PREVENTED',
  /** A subscription sent over a transport that cannot stream (plain JSON over HTTP), or while subscriptions are off. */
  OPERATION_NOT_SUPPORTED: 'OPERATION_NOT_SUPPORTED',
  /** A WebSocket connection has `subscriptions.maxOperationsPerConnection` operations under way already. */
  CONNECTION_OPERATION_LIMIT_EXCEEDED: 'CONNECTION_OPERATION_LIMIT_EXCEEDED',
  /** The client has `subscriptions.maxPerClient` subscriptions open already. HTTP 429. */
  SUBSCRIPTION_LIMIT_EXCEEDED: 'SUBSCRIPTION_LIMIT_EXCEEDED',
  /**
   * The supergraph changed (a subgraph registered, updated or removed) and this subscription's plan
   * with it: the subscription ends with this error; subscribing again uses the new plan.
   */
  SUBSCRIPTION_SCHEMA_CHANGED: 'SUBSCRIPTION_SCHEMA_CHANGED',
  /**
   * Automatic persisted queries: the hash is not in the store (never registered, or dropped). HTTP
   * 200, as Apollo Client and the Apollo mobile clients expect: they send the query again with it.
   * Also a `documentId` that names no trusted document for the client: HTTP 404.
   */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** `apq.enabled` is false, or a persisted query protocol version other than 1. HTTP 200: clients then send the query text. */
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  /** A query sent with a persisted query hash that is not its SHA-256: nothing is stored or run. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /**
   * `trustedDocuments.allowArbitrary` is false and the operation is in no manifest for this client
   * (by text, id or hash), and the caller is not exempt: refused before it is parsed. HTTP 400.
   */
  PERSISTED_QUERY_NOT_ALLOWED: 'PERSISTED_QUERY_NOT_ALLOWED',
  /**
   * A subgraph value that does not fit the schema (only inside `extensions.valueCompletion`); also a
   * subgraph SDL that does not parse, refused by composition (the code @apollo/composition uses for it).
   */
  INVALID_GRAPHQL: 'INVALID_GRAPHQL',

  // The admin API and the registry behind it. Their HTTP statuses are decided in admin/ alone;
  // @apollo/composition's own codes pass through them as data and are not listed here.
  /** The admin API's subgraph routes on a gateway that serves a supergraph file. */
  NO_REGISTRY: 'NO_REGISTRY',
  /** The admin API's budget route while `budgets.enabled` is false. */
  BUDGETS_OFF: 'BUDGETS_OFF',
  /** A subgraph name that is not 1-64 letters, digits, `_` or `-`, starting with a letter or `_`. */
  INVALID_SUBGRAPH_NAME: 'INVALID_SUBGRAPH_NAME',
  /** A subgraph URL that is not absolute http(s), or carries credentials. */
  INVALID_SUBGRAPH_URL: 'INVALID_SUBGRAPH_URL',
  /** A subgraph URL whose host is not in `registry.allowedHosts`. */
  URL_NOT_ALLOWED: 'URL_NOT_ALLOWED',
  /** Removing a subgraph that is not registered. */
  SUBGRAPH_NOT_FOUND: 'SUBGRAPH_NOT_FOUND',
  /** An update that breaks the API schema, without `allowBreaking`. */
  BREAKING_CHANGE: 'BREAKING_CHANGE',
  /** Nothing to compose: the last subgraph cannot be removed. */
  NO_SUBGRAPHS: 'NO_SUBGRAPHS',
  /** Composition ran out of stack, memory or time. */
  COMPOSITION_TOO_COMPLEX: 'COMPOSITION_TOO_COMPLEX',
  /** Composition or loading the composed supergraph threw unexpectedly. */
  COMPOSITION_FAILED: 'COMPOSITION_FAILED',
  /** A composition error that @apollo/composition reported without a code of its own. */
  COMPOSITION_ERROR: 'COMPOSITION_ERROR',
  /** A subgraph's URL does not answer as a GraphQL service (refused, timed out, not GraphQL). */
  SUBGRAPH_UNREACHABLE: 'SUBGRAPH_UNREACHABLE',
  /** The registry store (Redis) cannot be reached; nothing was changed. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** Another replica held the registry lock too long; nothing was changed. */
  REGISTRY_BUSY: 'REGISTRY_BUSY',
  /** At startup: a stored registry record is not whole and its SDL cannot be fetched again. */
  INCOMPLETE_REGISTRY_RECORD: 'INCOMPLETE_REGISTRY_RECORD',
  /** The admin API's document routes while `trustedDocuments.enabled` is false. */
  TRUSTED_DOCUMENTS_OFF: 'TRUSTED_DOCUMENTS_OFF',
  /** A trusted-document manifest that is not one (bad JSON, an entry that is not GraphQL...): refused whole, with `line` and `reason`. */
  INVALID_MANIFEST: 'INVALID_MANIFEST',
  /** A manifest body larger than `trustedDocuments.maxManifestBytes`. */
  MANIFEST_TOO_LARGE: 'MANIFEST_TOO_LARGE',
  /** Storing a manifest would put more than `trustedDocuments.maxDocuments` documents in the manifests together. */
  TOO_MANY_DOCUMENTS: 'TOO_MANY_DOCUMENTS',
  /** A client name or version that is not 1-128 printable ASCII characters. */
  INVALID_CLIENT_NAME: 'INVALID_CLIENT_NAME',
  /** No manifest is stored for that client name and version. */
  MANIFEST_NOT_FOUND: 'MANIFEST_NOT_FOUND',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

declare module 'graphql' {
  interface GraphQLErrorExtensions {
    /** Ours come from GatewayErrorCode; forwarded subgraph codes pass through. */
    code?: string;
    serviceName?: string;
    http?: { status?: number; headers?: Record<string, string> };
  }
}

export function gatewayError(
  code: GatewayErrorCode,
  message: string,
  options: GraphQLErrorOptions & { status?: number; headers?: Record<string, string> } = {},
): GraphQLError {
  const { status, headers, ...rest } = options;
  const extensions: Record<string, unknown> = { ...rest.extensions, code };
  if (status !== undefined || headers !== undefined) extensions.http = { status, headers };
  return new GraphQLError(message, { ...rest, extensions });
}

/** Response headers an error asks for (e.g. WWW-Authenticate). */
export function headersOf(error: GraphQLError): Record<string, string> | undefined {
  return (error.extensions?.http as { headers?: Record<string, string> } | undefined)?.headers;
}

/** The HTTP status an error asks for, if any. */
export function statusOf(error: GraphQLError): number | undefined {
  const http = error.extensions?.http as { status?: number } | undefined;
  return http?.status;
}

/**
 * The client-facing form of an error: message, locations, path and extensions, never the original
 * error, a stack or the internal `http` hint.
 */
export function formatError(error: GraphQLError): GraphQLFormattedError {
  const formatted: { -readonly [K in keyof GraphQLFormattedError]: GraphQLFormattedError[K] } = { message: error.message };
  if (error.locations !== undefined) formatted.locations = error.locations;
  if (error.path !== undefined) formatted.path = error.path;
  const extensions = error.extensions;
  if (extensions && Object.keys(extensions).length > 0) {
    const { http: _http, ...visible } = extensions as Record<string, unknown>;
    if (Object.keys(visible).length > 0) formatted.extensions = visible;
  }
  return formatted;
}
