import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../deps';
import type { ClientInfo, GatewayPlugin } from '../types';

/** How many client applications and versions become label values (see `GatewayMetrics.clientLabels`). */
export interface ClientLabelLimits {
  /** Distinct client names. Default 50. */
  names: number;
  /** Distinct (name, version) pairs, all names together. Default 200. */
  versions: number;
}

/** Label values clients choose are kept only when they look like names and versions: no quotes, no spaces at the ends. */
const CLIENT_NAME_LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._:/@+-]{0,63}$/;
const CLIENT_VERSION_LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;

/**
 * Prometheus metrics for one gateway (its own registry: no global state). Operation names are
 * client-chosen, so at most `maxOperationNames` distinct ones become label values; the rest are
 * counted as "(other)" and cannot grow the series without limit. Client names and versions are
 * bounded the same way (`clientLimits`).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'junction_requests_total', help: 'GraphQL requests by operation name and outcome.', labelNames: ['operation', 'outcome'], registers: [this.registry] });
  readonly requestDuration = new Histogram({
    name: 'junction_request_duration_seconds',
    help: 'GraphQL request latency by operation name and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly subgraphDuration = new Histogram({
    name: 'junction_subgraph_fetch_duration_seconds',
    help: 'Subgraph fetch latency by subgraph.',
    labelNames: ['subgraph'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly subgraphShared = new Counter({
    name: 'junction_subgraph_fetches_shared_total',
    help: 'Subgraph fetches answered by an identical request already in flight (in-flight deduplication), by subgraph.',
    labelNames: ['subgraph'],
    registers: [this.registry],
  });
  readonly traceExportFailures = new Counter({ name: 'junction_trace_export_failures_total', help: 'Span batches the trace exporter could not deliver.', registers: [this.registry] });
  readonly subgraphErrors = new Counter({ name: 'junction_subgraph_errors_total', help: 'Failed subgraph fetches by subgraph.', labelNames: ['subgraph'], registers: [this.registry] });
  readonly planCache = new Counter({ name: 'junction_plan_cache_total', help: 'Plan lookups by result (hit or miss).', labelNames: ['result'], registers: [this.registry] });
  readonly compositions = new Counter({ name: 'junction_compositions_total', help: 'Supergraph compositions by result.', labelNames: ['result'], registers: [this.registry] });
  readonly authFailures = new Counter({ name: 'junction_auth_failures_total', help: 'Requests refused for missing or invalid credentials.', registers: [this.registry] });
  readonly budgetRejections = new Counter({ name: 'junction_budget_rejections_total', help: 'Requests refused because the budget could not pay.', registers: [this.registry] });
  readonly connectionsDropped = new Counter({ name: 'junction_connections_dropped_total', help: 'Client connections closed on arrival because limits.maxConnections were open.', registers: [this.registry] });
  readonly budgetStoreFailures = new Counter({ name: 'junction_budget_store_failures_total', help: 'Budget store errors, by fail mode applied.', labelNames: ['mode'], registers: [this.registry] });
  readonly cost = new Histogram({
    name: 'junction_operation_cost',
    help: 'Estimated cost of operations.',
    buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly clientRequests = new Counter({
    name: 'junction_client_requests_total',
    help: 'GraphQL requests by client application (apollographql-client-name / graphql-client-name), version and outcome.',
    labelNames: ['client_name', 'client_version', 'outcome'],
    registers: [this.registry],
  });
  readonly apq = new Counter({
    name: 'junction_apq_total',
    help: 'Automatic persisted queries by result: hit, miss (PERSISTED_QUERY_NOT_FOUND), registered, store_error.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly trustedDocuments = new Counter({
    name: 'junction_trusted_documents_total',
    help: 'Requests by how the trusted documents saw them: trusted, unknown (run: allowArbitrary), exempt, refused (PERSISTED_QUERY_NOT_ALLOWED), not_found (a documentId naming nothing).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private apqStoreSource: (() => { entries: number; bytes: number }) | undefined;
  /** Read when scraped, from the memory store itself (none for the Redis store). */
  readonly apqStored = new Gauge({
    name: 'junction_apq_stored',
    help: 'What the in-memory automatic persisted query store holds, by unit: entries (queries) or bytes.',
    labelNames: ['unit'],
    registers: [this.registry],
    collect: () => {
      const stored = this.apqStoreSource?.();
      if (!stored) return;
      this.apqStored.set({ unit: 'entries' }, stored.entries);
      this.apqStored.set({ unit: 'bytes' }, stored.bytes);
    },
  });
  readonly subscriptionEvents = new Counter({
    name: 'junction_subscription_events_total',
    help: 'Subscription events made for clients, by operation name.',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  private subscriptionSource: (() => { active: number; upstream: number; connections: number }) | undefined;
  readonly subscriptions = new Gauge({
    name: 'junction_subscriptions',
    help: 'Subscriptions open now: client subscriptions (kind="client"), the upstream subscriptions they share (kind="upstream"), and the connections to subgraphs those use (kind="upstream_connection").',
    labelNames: ['kind'],
    registers: [this.registry],
    collect: () => {
      const counts = this.subscriptionSource?.() ?? { active: 0, upstream: 0, connections: 0 };
      this.subscriptions.set({ kind: 'client' }, counts.active);
      this.subscriptions.set({ kind: 'upstream' }, counts.upstream);
      this.subscriptions.set({ kind: 'upstream_connection' }, counts.connections);
    },
  });
  private readonly operationNames = new Set<string>();
  private readonly clientNames = new Set<string>();
  /** `name\0version` pairs given a label of their own. */
  private readonly clientVersions = new Set<string>();
  private circuitSource: (() => ReadonlyArray<{ subgraph: string; url: string; state: string }>) | undefined;
  /** Read when scraped, from the breakers themselves: 1 while a URL's circuit is open, else 0. */
  readonly circuitOpen = new Gauge({
    name: 'junction_subgraph_circuit_open',
    help: 'Whether the circuit of a subgraph URL is open (1) or not (0), for the URLs used so far.',
    labelNames: ['subgraph', 'url'],
    registers: [this.registry],
    collect: () => {
      this.circuitOpen.reset();
      for (const c of this.circuitSource?.() ?? []) this.circuitOpen.set({ subgraph: c.subgraph, url: c.url }, c.state === 'open' ? 1 : 0);
    },
  });

  constructor(
    private readonly maxOperationNames = 500,
    private readonly clientLimits: ClientLabelLimits = { names: 50, versions: 200 },
  ) {
    // Process metrics (memory, CPU, event loop lag, GC) in this gateway's registry.
    collectDefaultMetrics({ register: this.registry, prefix: 'junction_' });
  }

  /** Where `junction_subgraph_circuit_open` reads the circuits from. */
  observeCircuits(source: () => ReadonlyArray<{ subgraph: string; url: string; state: string }>): void {
    this.circuitSource = source;
  }

  /**
   * The labels of a client application: `(none)` when it did not say, `(other)` when what it said
   * does not look like a name (version) or came after `clientLimits` distinct ones were seen. The
   * first ones seen keep their labels: a flood of random names cannot push a real client out.
   */
  clientLabels(client: ClientInfo | undefined): { client_name: string; client_version: string } {
    const name = bounded(client?.name, CLIENT_NAME_LABEL, this.clientNames, this.clientLimits.names, (n) => n);
    if (name === '(none)' || name === '(other)') return { client_name: name, client_version: name };
    const version = bounded(client?.version, CLIENT_VERSION_LABEL, this.clientVersions, this.clientLimits.versions, (v) => `${name}\0${v}`);
    return { client_name: name, client_version: version };
  }

  /** Where `junction_subscriptions` reads its counts from. */
  observeSubscriptions(source: () => { active: number; upstream: number; connections: number }): void {
    this.subscriptionSource = source;
  }

  /** Where `junction_apq_stored` reads the memory store's size from. */
  observeApqStore(source: () => { entries: number; bytes: number }): void {
    this.apqStoreSource = source;
  }

  operationLabel(name: string | undefined): string {
    if (!name) return '(anonymous)';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= this.maxOperationNames) return '(other)';
    this.operationNames.add(name);
    return name;
  }
}

/** `value` as a label: `(none)`, `(other)`, or itself once `seen` has (or makes room for) its key. */
function bounded(value: string | undefined, pattern: RegExp, seen: Set<string>, max: number, keyOf: (value: string) => string): string {
  if (value === undefined) return '(none)';
  if (!pattern.test(value)) return '(other)';
  const key = keyOf(value);
  if (seen.has(key)) return value;
  if (seen.size >= max) return '(other)';
  seen.add(key);
  return value;
}

export function useMetrics(metrics: GatewayMetrics, deps: { clock: Clock }): GatewayPlugin {
  const operations = new WeakMap<object, string>();
  const subscriptions = new WeakSet<object>();
  return {
    name: 'metrics',
    onValidated({ context, operation }) {
      operations.set(context, metrics.operationLabel(operation.name?.value));
      if (operation.operation === 'subscription') subscriptions.add(context);
    },
    onSubscriptionEvent({ context }) {
      metrics.subscriptionEvents.inc({ operation: operations.get(context) ?? '(invalid)' });
    },
    onSubgraphRequest({ subgraph, subscription }) {
      if (subscription) return;
      const start = deps.clock.now();
      return ({ error, status, shared }) => {
        metrics.subgraphDuration.observe({ subgraph }, (deps.clock.now() - start) / 1000);
        if (shared) metrics.subgraphShared.inc({ subgraph });
        if (error !== undefined || (status !== undefined && status >= 400)) metrics.subgraphErrors.inc({ subgraph });
      };
    },
    onResult({ context, status, result }) {
      const outcome = status >= 500 ? 'error' : status >= 400 ? 'rejected' : result.errors?.length ? 'partial' : 'success';
      const labels = { operation: operations.get(context) ?? '(invalid)', outcome };
      metrics.requests.inc(labels);
      metrics.clientRequests.inc({ ...metrics.clientLabels(context.client), outcome });
      // A subscription lasts as long as the client wants: its life is no request latency.
      if (!subscriptions.has(context)) metrics.requestDuration.observe(labels, (deps.clock.now() - context.startedAt) / 1000);
      // The cost plugin runs after this one in onPlanned: its estimate is read here.
      if (context.cost) metrics.cost.observe(context.cost.estimated);
      if (status === 401) metrics.authFailures.inc();
      if (status === 429) metrics.budgetRejections.inc();
    },
  };
}
