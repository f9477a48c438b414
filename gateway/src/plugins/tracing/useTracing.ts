import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { GatewayContext, GatewayPlugin } from '../types';

/** A request's spans, kept while it runs: phases and fetches hang under them. */
interface RequestTrace {
  readonly root: Span;
  readonly context: Context;
  /** The execute phase's context once it started: subgraph fetch spans are its children. */
  execute?: Context;
}

/**
 * OpenTelemetry spans: `graphql.request` (kind server) for each request, with children
 * `graphql.parse`, `graphql.validate`, `graphql.plan` and `graphql.execute` (a subscription: a
 * `graphql.event` per event, and the request span lasts as long as it does; an incremental response,
 * a `graphql.part` per part in its execute span), and under the execute
 * span a `subgraph.fetch` (kind client) per subgraph request, whose context goes to the subgraph in a
 * W3C `traceparent` header. Attribute names follow the OpenTelemetry semantic conventions (GraphQL,
 * HTTP) where there is one.
 */
export function useTracing(tracer: Tracer, options: { acceptIncoming: boolean }): GatewayPlugin {
  const propagator = new W3CTraceContextPropagator();
  const traces = new WeakMap<GatewayContext, RequestTrace>();
  return {
    name: 'tracing',
    onPhase({ phase, request, context }) {
      if (phase === 'request') {
        const parent = options.acceptIncoming ? propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter) : ROOT_CONTEXT;
        const root = tracer.startSpan(
          'graphql.request',
          { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'junction.request_id': context.requestId } },
          parent,
        );
        if (context.client?.name !== undefined) root.setAttribute('junction.client.name', context.client.name);
        if (context.client?.version !== undefined) root.setAttribute('junction.client.version', context.client.version);
        traces.set(context, { root, context: trace.setSpan(parent, root) });
        return ({ status, result }) => {
          if (status !== undefined) root.setAttribute('http.response.status_code', status);
          const identity = context.identity;
          if (identity?.clientId) root.setAttribute('junction.client_id', identity.clientId);
          if (typeof context.cost?.estimated === 'number') root.setAttribute('junction.cost.estimated', context.cost.estimated);
          if (typeof context.cost?.actual === 'number') root.setAttribute('junction.cost.actual', context.cost.actual);
          const errors = result?.errors ?? [];
          if (errors.length > 0) {
            root.setAttribute('junction.errors', errors.length);
            const codes = [...new Set(errors.map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string'))];
            if (codes.length > 0) root.setAttribute('junction.error_codes', codes);
          }
          // As for HTTP servers: a client's mistake (4xx) is not the server's failure.
          if (status !== undefined && status >= 500) root.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]?.message });
          root.end();
        };
      }
      const current = traces.get(context);
      if (!current) return;
      // An incremental response's parts happen within its execution.
      const span = tracer.startSpan(`graphql.${phase}`, {}, phase === 'part' ? (current.execute ?? current.context) : current.context);
      // A subscription's events run one after the other: each event's fetches hang under its span.
      if (phase === 'execute' || phase === 'event') current.execute = trace.setSpan(current.context, span);
      return ({ error, cached }) => {
        if (cached !== undefined) span.setAttribute('junction.cache_hit', cached);
        if (error !== undefined) fail(span, error);
        span.end();
      };
    },
    onValidated({ context, operation }) {
      const root = traces.get(context)?.root;
      if (!root) return;
      root.setAttribute('graphql.operation.type', operation.operation);
      if (operation.name) root.setAttribute('graphql.operation.name', operation.name.value);
    },
    onSubgraphRequest({ subgraph, url, headers, context, subscription }) {
      const current = traces.get(context);
      if (!current) return;
      const parent = current.execute ?? current.context;
      // A subscription's stream at its subgraph: a span as long as the client's subscription.
      const span = tracer.startSpan(
        subscription ? 'subgraph.subscribe' : 'subgraph.fetch',
        { kind: SpanKind.CLIENT, attributes: { 'subgraph.name': subgraph, 'url.full': url, 'http.request.method': 'POST' } },
        parent,
      );
      // Sampled out or not, the subgraph learns the trace and the decision.
      propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
      return ({ error, status, shared }) => {
        // The subgraph saw the first identical request's trace context, not this span's.
        if (shared) span.setAttribute('junction.deduplicated', true);
        if (status !== undefined) {
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
        }
        if (error !== undefined) fail(span, error);
        span.end();
      };
    },
  };
}

function fail(span: Span, error: unknown): void {
  // Pipeline errors carry GraphQL errors (the client's mistakes, with codes); others are plain errors.
  const errors = (error as { errors?: ReadonlyArray<{ message: string; extensions?: { code?: unknown } }> }).errors;
  const first = errors?.[0] ?? (error as { message?: string; extensions?: { code?: unknown } });
  const code = first?.extensions?.code;
  if (typeof code === 'string') span.setAttribute('junction.error_code', code);
  if (error instanceof Error && !errors) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: first?.message ?? String(error) });
}
