import type { Plan } from '../planning/plan';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import type { DocumentNode, GraphQLError, GraphQLFormattedError, OperationDefinitionNode, OperationTypeNode } from 'graphql';

/**
 * The typed hook contract every plugin implements. Hooks run in the order the plugins are listed, in
 * this order per request:
 *
 *   onRequest -> onParsed -> onValidated -> onPlanned -> onSubgraphRequest (per fetch) -> onResult
 *
 * A subscription meets the same hooks up to onPlanned; then, for each event, onSubgraphRequest (per
 * fetch the event needs) and onSubscriptionEvent; onResult runs once, when the subscription ends.
 * A WebSocket connection meets onConnection once, when the client sends `connection_init`.
 *
 * A hook takes one payload object (new fields can be added without breaking anyone) and changes
 * behaviour only through the setters on it (`reject`, `setResult`, header maps), never through its
 * return value. A hook that wants to see a phase end returns a callback; its closure holds the
 * per-request state, so plugins need no module-level maps keyed by request id.
 */
export interface GatewayPlugin {
  readonly name: string;
  /**
   * Before anything is parsed. May reject the request (e.g. authentication, 401), or supply the query
   * text with `setQuery` (a persisted query the client named by hash or id).
   */
  onRequest?(event: RequestEvent): void | Promise<void>;
  /** After the document parsed (or came from the document cache). May reject. */
  onParsed?(event: ParsedEvent): void | Promise<void>;
  /** After validation passed and the operation and variables were resolved. May reject. */
  onValidated?(event: ValidatedEvent): void | Promise<void>;
  /** After planning (or a plan cache hit), before any subgraph fetch. May reject (cost limits). */
  onPlanned?(event: PlannedEvent): void | Promise<void>;
  /**
   * Before each subgraph HTTP request; may set headers. Return a callback to see it finish. Runs for
   * every fetch node, so keep it cheap.
   */
  onSubgraphRequest?(event: SubgraphRequestEvent): void | SubgraphRequestEnd;
  /**
   * When the response is ready, whatever the outcome. May replace the result. For a subscription:
   * when it ends (the client left, the subgraph ended it, a plugin did), with the last payload's
   * errors if any; nothing set then reaches the client.
   */
  onResult?(event: ResultEvent): void | Promise<void>;
  /**
   * A long-lived connection opens (a WebSocket's `connection_init`): `request` carries the upgrade
   * request's headers with the credentials of the `connection_init` payload. May reject it (the
   * connection is then closed, 4403). Each operation on it still meets every hook from onRequest on.
   */
  onConnection?(event: ConnectionEvent): void | Promise<void>;
  /**
   * Subscriptions: before each event is sent to this client, once the event's own fetches ran and
   * its payload was shaped. May change the payload (`setResult`) or end the subscription
   * (`reject`): the client then gets those errors as the last payload, and the stream completes.
   */
  onSubscriptionEvent?(event: SubscriptionEventEvent): void | Promise<void>;
  /**
   * When a phase of the pipeline starts (see `Phase`); return a callback to see it end. For timing
   * and tracing: it cannot change the request. The `request` phase ends last, after every
   * `onResult`, with the final status and body.
   */
  onPhase?(event: PhaseEvent): void | PhaseEnd;
}

/** What a client sent, transport aside. */
export interface GatewayRequest {
  readonly method: 'GET' | 'POST';
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: string | undefined;
  readonly operationName: string | undefined;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  readonly extensions: Readonly<Record<string, unknown>> | undefined;
  /**
   * The trusted document the client names instead of sending `query` (the GraphQL over HTTP
   * persisted documents appendix): `sha256:<hex>` or a manifest's id. Undefined when not sent.
   */
  readonly documentId?: string;
  /** The client's address as the transport saw it (for per-IP budgets of anonymous callers). */
  readonly remoteAddress?: string;
}

/**
 * Per-request state shared by plugins. Later plugins (auth, cost, budgets) add their fields by
 * augmenting this interface.
 */
export interface GatewayContext {
  readonly requestId: string;
  /** Milliseconds from the injected clock when the request arrived. */
  readonly startedAt: number;
  /**
   * The client application, from its `apollographql-client-name` / `-version` (or
   * `graphql-client-name` / `-version`) headers; set by the gateway on every request, refused ones
   * included. Self-declared: for logs, traces and metrics, not for access decisions.
   */
  readonly client?: ClientInfo;
  /**
   * Custom progressive override labels active for this request (`@override(label: "beta")`), set
   * by a plugin in `onRequest` or `onValidated`: the plan is made, and cached, for the labels active.
   * `percent(N)` labels are drawn by the gateway, not set here.
   */
  overrideLabels?: ReadonlySet<string>;
  [key: string]: unknown;
}

/** What a client says it is (see GatewayContext.client); each field undefined when not sent or not valid. */
export interface ClientInfo {
  readonly name: string | undefined;
  readonly version: string | undefined;
}

export interface RejectFn {
  /**
   * Ends the request with these errors. The first one's `extensions.http.status` sets the HTTP
   * status (default 400), its `extensions.http.headers` response headers.
   */
  (error: GraphQLError | readonly GraphQLError[]): void;
}

/** What every hook that may refuse the request gets. */
export interface RequestEventBase {
  request: GatewayRequest;
  context: GatewayContext;
  reject: RejectFn;
}

export interface RequestEvent extends RequestEventBase {
  /**
   * Makes `query` the text the pipeline parses, in place of what the client sent in `query` (which
   * may be nothing): the step that turns a persisted query's hash or a document id into its text.
   * The onRequest hooks after this one, and every hook of the pipeline after onRequest (onParsed to
   * onSubgraphRequest), see it as `request.query`; `onResult` and `onPhase` see the request as the
   * client sent it. The text is parsed, validated and cached like any other: keyed by the text, not
   * by how it was named. A later call replaces an earlier one.
   */
  setQuery(query: string): void;
}

export interface ParsedEvent extends RequestEventBase {
  document: DocumentNode;
}

/**
 * What a plugin puts in place of the client's operation (authorization: what the caller may see).
 * `document` is planned; the response is shaped to `responseDocument` (default: the client's), where
 * a field carrying the directive named UNAUTHORIZED_MARKER is answered null; `errors` are added to
 * the response. Plans are cached per `cacheKey`: two replacements share one only if they are equal.
 */
export interface OperationReplacement {
  document: DocumentNode;
  responseDocument?: DocumentNode;
  cacheKey: string;
  errors: readonly GraphQLError[];
}

export { UNAUTHORIZED_MARKER } from '../execution/responseShape';

/** A resolved operation: what every hook after validation sees. */
export interface OperationEvent extends ParsedEvent {
  operation: OperationDefinitionNode;
  operationKind: OperationTypeNode;
  /** Coerced variable values, defaults applied. */
  variables: Readonly<Record<string, unknown>>;
  /** The supergraph this request runs on (it stays the same to the end of the request). */
  supergraph: LoadedSupergraph;
}

export interface ValidatedEvent extends OperationEvent {
  /**
   * Plans `document` instead of the client's and shapes the response to `responseDocument` (default:
   * the client's document, so what the replacement drops comes back null), adds `errors` to the
   * response, and caches plan and shape under `cacheKey` beside the operation text: the key must say
   * what differs.
   */
  replaceOperation(replacement: OperationReplacement): void;
}

export interface PlannedEvent extends OperationEvent {
  plan: Plan;
}

export interface SubgraphRequestEvent {
  readonly subgraph: string;
  /**
   * True for the request that opens a subscription at the subgraph (a WebSocket or SSE stream that
   * lasts as long as the subscription; it ends when the stream does), not an HTTP fetch.
   */
  readonly subscription?: boolean;
  /** The client request this fetch serves. */
  readonly request: GatewayRequest;
  readonly url: string;
  /** Headers sent to the subgraph; plugins may add or change them. */
  readonly headers: Record<string, string>;
  readonly context: GatewayContext;
}

/**
 * The timed phases of a request: `request` spans all of it; `parse` (or the document cache lookup),
 * `validate` (validation and variable coercion), `plan` (planning or the plan cache lookup) and
 * `execute` (subgraph fetches and response shaping) run inside it, in that order, as far as the
 * request gets. A subscription has no `execute`: each of its events is an `event` phase (the
 * event's fetches and shaping, and the onSubscriptionEvent hooks), inside the `request` phase,
 * which lasts as long as the subscription. An incremental (`@defer`) response's `execute` lasts
 * until its last part is sent, and each part is a `part` phase in it: the first from the start of
 * execution, a deferred one from when the part it is in was sent, each to when it is sent.
 */
export type Phase = 'request' | 'parse' | 'validate' | 'plan' | 'execute' | 'event' | 'part';

export interface PhaseEvent {
  readonly phase: Phase;
  readonly request: GatewayRequest;
  readonly context: GatewayContext;
}

export interface PhaseOutcome {
  /** Why the phase failed, if it did. */
  readonly error?: unknown;
  /** For `parse` and `plan`: the result came from a cache. */
  readonly cached?: boolean;
  /** For `request`: the response sent. */
  readonly status?: number;
  readonly result?: ExecutionResultBody;
}

export type PhaseEnd = (outcome: PhaseOutcome) => void;

/**
 * How a subgraph request ended. `shared`: it joined an identical request already in flight (in-flight
 * deduplication) instead of sending its own; its headers, trace context included, were not sent.
 */
export type SubgraphRequestEnd = (end: { error?: unknown; status?: number; shared?: boolean }) => void;

export interface ExecutionResultBody {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
  /** Incremental delivery (`@defer`): whether more payloads follow this one. */
  hasNext?: boolean;
  /** Incremental delivery: the deferred fragments this payload delivers. */
  incremental?: IncrementalItem[];
}

/** A deferred fragment's data on the object at `path` (deferSpec=20220824, as Apollo Router sends it). */
export interface IncrementalItem {
  data: Record<string, unknown> | null;
  path: Array<string | number>;
  label?: string;
  errors?: GraphQLFormattedError[];
}

export interface ConnectionEvent extends RequestEventBase {}

export interface SubscriptionEventEvent extends RequestEventBase {
  /** The payload about to be sent to this client. */
  readonly result: ExecutionResultBody;
  /** Sends this payload instead. */
  setResult(result: ExecutionResultBody): void;
}

export interface ResultEvent {
  request: GatewayRequest;
  context: GatewayContext;
  /** The HTTP status the response will have. */
  readonly status: number;
  readonly result: ExecutionResultBody;
  setResult(result: ExecutionResultBody, status?: number): void;
  /** Sets a response header. */
  setHeader(name: string, value: string): void;
}
