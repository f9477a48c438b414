import type { GraphQLFormattedError } from 'graphql';
import type { GatewayConfig } from '../config';
import { ResponseTooLargeError, sleep, type Clock, type Fetch, type Logger } from '../deps';
import { CircuitBreaker } from './circuitBreaker';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import { parseGraphQLResponse } from '../graphql/parseGraphQLResponse';

/** What a subgraph answered, parsed. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

/**
 * Called before each subgraph request, with the headers it will send (to change): the caller's
 * hooks (the pipeline runs the plugins' onSubgraphRequest here). Returns what to call when the
 * request ends, if anything.
 */
export type BeforeSubgraphRequest = (request: { subgraph: string; url: string; headers: Record<string, string>; subscription?: boolean }) => SubgraphRequestDone | undefined;

/** How a subgraph request ended: its error, or its HTTP status; `shared` when it rode on another's. */
export type SubgraphRequestDone = (end: { error?: unknown; status?: number; shared?: boolean }) => void;

interface RawResponse {
  status: number;
  text: string;
}

/** A subgraph's URLs as the gateway balances them: each with its breaker and requests in flight. */
interface Route {
  targets: Array<{ url: string; breaker: CircuitBreaker; pending: number }>;
  balance: 'round-robin' | 'least-pending';
  /** `routing.<subgraph>.timeoutMs`; undefined: the transport's default. */
  timeoutMs: number | undefined;
  /** `routing.<subgraph>.maxResponseBytes`, else `limits.maxSubgraphResponseBytes`; undefined: no limit. */
  maxResponseBytes: number | undefined;
  next: number;
}

/** Thrown when every URL of a subgraph has its circuit open. */
class CircuitOpenError extends Error {
  readonly code = 'CIRCUIT_OPEN';
}

/**
 * Sends fetch-node operations to subgraphs: URL lookup, plugin hooks, in-flight deduplication of
 * identical queries, and the translation of transport failures into GraphQL errors that name the
 * subgraph but never its URL.
 */
export class SubgraphClient {
  /** Shared query fetches in flight, with how many client requests wait on each. */
  private readonly inFlight = new Map<string, { response: Promise<RawResponse>; callers: number }>();
  /** Routes by subgraph name and default URL (a new supergraph may move a subgraph). */
  private readonly routes = new Map<string, Route>();
  /** `routing.<subgraph>` by name; a Map, so a subgraph named `constructor` finds no Object.prototype member. */
  private readonly routing: ReadonlyMap<string, GatewayConfig['routing'][string]>;

  constructor(
    private readonly fetch: Fetch,
    private readonly logger: Logger,
    private readonly deduplicate: boolean,
    private readonly options: { clock: Clock; routing: GatewayConfig['routing']; resilience: GatewayConfig['resilience']; maxResponseBytes: number },
  ) {
    this.routing = new Map(Object.entries(options.routing));
  }

  /** Circuit state of every URL, for diagnostics and tests. */
  circuits(): Array<{ subgraph: string; url: string; state: string }> {
    return [...this.routes.entries()].flatMap(([key, route]) => route.targets.map((t) => ({ subgraph: key.split('\n')[0], url: t.url, state: t.breaker.state })));
  }

  /** Of these subgraphs (name -> supergraph URL), those whose every URL has its circuit open. */
  withoutHealthyUrl(subgraphUrls: ReadonlyMap<string, string>): string[] {
    const out: string[] = [];
    for (const [name, url] of subgraphUrls) {
      const route = this.routes.get(name + '\n' + url);
      if (route && route.targets.every((t) => t.breaker.state === 'open')) out.push(name);
    }
    return out;
  }

  private route(subgraph: string, defaultUrl: string): Route {
    const key = subgraph + '\n' + defaultUrl;
    let route = this.routes.get(key);
    if (!route) {
      const configured = this.routing.get(subgraph);
      const { breakerFailureThreshold, breakerWindowMs, breakerOpenMs } = this.options.resilience;
      route = {
        targets: (configured?.urls ?? [defaultUrl]).map((url) => ({
          url,
          pending: 0,
          breaker: new CircuitBreaker({ failureThreshold: breakerFailureThreshold, windowMs: breakerWindowMs, openMs: breakerOpenMs }, this.options.clock),
        })),
        balance: configured?.balance ?? 'round-robin',
        timeoutMs: configured?.timeoutMs,
        maxResponseBytes: (configured?.maxResponseBytes ?? this.options.maxResponseBytes) || undefined,
        next: 0,
      };
      this.routes.set(key, route);
    }
    return route;
  }

  /** The next URL to try, skipping `tried` and open circuits; undefined when none is left. */
  private pick(route: Route, tried: ReadonlySet<string>): Route['targets'][number] | undefined {
    const candidates = route.targets.filter((t) => !tried.has(t.url));
    const ordered =
      route.balance === 'least-pending'
        ? [...candidates].sort((a, b) => a.pending - b.pending)
        : candidates.map((_, i) => candidates[(route.next + i) % candidates.length]);
    route.next++;
    return ordered.find((t) => t.breaker.tryAcquire());
  }

  /**
   * One request to a subgraph, across its URLs: a transport failure (or an open circuit) moves a
   * query to the next URL, with backoff, up to `retries` more attempts. Mutations get one attempt.
   */
  private async sendResilient(
    subgraph: string,
    url: string,
    headers: Record<string, string>,
    body: string,
    idempotent: boolean,
    callers: () => number = () => 1,
  ): Promise<RawResponse> {
    const route = this.route(subgraph, url);
    const { retries, retryBackoffMs } = this.options.resilience;
    const attempts = idempotent ? retries + 1 : 1;
    const tried = new Set<string>();
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (tried.size === route.targets.length) tried.clear(); // every URL tried once: go round again
      const target = this.pick(route, tried);
      if (!target) {
        lastError ??= new CircuitOpenError(`every URL of ${subgraph} has its circuit open`);
        break;
      }
      tried.add(target.url);
      target.pending++;
      try {
        const res = await this.fetch(target.url, { method: 'POST', headers, body, idempotent, timeoutMs: route.timeoutMs, maxResponseBytes: route.maxResponseBytes });
        const text = await res.text();
        // 5xx without a GraphQL body is a sick subgraph too: count it, and try elsewhere.
        if (res.status >= 500 && !text.startsWith('{')) throw Object.assign(new Error(`HTTP ${res.status}`), { code: 'HTTP_5XX', status: res.status, text });
        target.breaker.success();
        return { status: res.status, text };
      } catch (err) {
        if (err instanceof ResponseTooLargeError) {
          // The subgraph answered, promptly: not a sickness for the breaker, and asking again would
          // get the same answer.
          target.breaker.success();
          throw err;
        }
        // Read when the failure happens: callers may have joined a shared fetch since it started.
        target.breaker.failure(callers());
        lastError = err;
        // A timeout already spent the time budget: no retry, the breaker takes it from here.
        if ((err as { name?: string })?.name === 'TimeoutError') break;
        if (attempt + 1 < attempts && retryBackoffMs > 0) await sleep(this.options.clock, retryBackoffMs * 2 ** attempt);
      } finally {
        target.pending--;
      }
    }
    const last = lastError as { code?: string; status?: number; text?: string };
    if (last?.code === 'HTTP_5XX') return { status: last.status!, text: last.text ?? '' };
    throw lastError;
  }

  async send(
    subgraph: string,
    url: string | undefined,
    body: string,
    isQuery: boolean,
    caller: { requestId: string; before?: BeforeSubgraphRequest },
  ): Promise<SubgraphResponse> {
    if (url === undefined) {
      throw gatewayError(GatewayErrorCode.SUBGRAPH_UNAVAILABLE, `Subgraph "${subgraph}" is not known to this gateway.`, {
        extensions: { serviceName: subgraph },
      });
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const done = caller.before?.({ subgraph, url, headers });

    let raw: RawResponse;
    const sent = this.request(subgraph, url, headers, body, isQuery);
    try {
      raw = await sent.response;
    } catch (err) {
      done?.({ error: err, shared: sent.shared });
      if (err instanceof ResponseTooLargeError) {
        this.logger.warn('subgraph response too large', { subgraph, requestId: caller.requestId, limit: err.limit });
        throw gatewayError(GatewayErrorCode.SUBGRAPH_RESPONSE_TOO_LARGE, `Subgraph "${subgraph}" sent a response larger than allowed.`, {
          extensions: { serviceName: subgraph, limit: err.limit },
        });
      }
      this.logger.warn('subgraph request failed', { subgraph, requestId: caller.requestId, reason: String((err as Error)?.message ?? err) });
      throw gatewayError(GatewayErrorCode.SUBGRAPH_UNAVAILABLE, `Subgraph "${subgraph}" is unavailable.`, {
        extensions: { serviceName: subgraph, reason: describeTransportError(err) },
      });
    }
    done?.({ status: raw.status, shared: sent.shared });
    return parseResponse(subgraph, raw);
  }

  private request(subgraph: string, url: string, headers: Record<string, string>, body: string, isQuery: boolean): { response: Promise<RawResponse>; shared: boolean } {
    if (!this.deduplicate || !isQuery) return { response: this.sendResilient(subgraph, url, headers, body, isQuery), shared: false };
    // Identical in-flight queries to the same subgraph share one HTTP request. The *text* is shared and
    // each caller parses its own copy: execution mutates what it parses, so objects must not be shared.
    const key = url + '\n' + headerKey(headers) + '\n' + body;
    const pending = this.inFlight.get(key);
    if (pending) {
      pending.callers++;
      return { response: pending.response, shared: true };
    }
    const entry = { response: undefined as unknown as Promise<RawResponse>, callers: 1 };
    entry.response = this.sendResilient(subgraph, url, headers, body, true, () => entry.callers);
    this.inFlight.set(key, entry);
    const clear = () => this.inFlight.delete(key);
    entry.response.then(clear, clear);
    return { response: entry.response, shared: false };
  }

}

/** Trace context differs per request and says nothing about the answer: it does not split sharing. */
const UNSHARED_HEADERS = new Set(['traceparent', 'tracestate']);

/** The headers that make two subgraph requests different, as one string (trace context left out). */
export function headerKey(headers: Record<string, string>): string {
  let key = '';
  for (const name of Object.keys(headers).sort()) if (!UNSHARED_HEADERS.has(name)) key += name + ':' + headers[name] + '\n';
  return key;
}

function parseResponse(subgraph: string, raw: RawResponse): SubgraphResponse {
  const response = parseGraphQLResponse(raw.text);
  if (!response) throw invalidResponse(subgraph, raw.status, raw.status >= 200 && raw.status < 300 ? 'not a GraphQL response' : `HTTP ${raw.status}`);
  if (response.errors !== undefined && !Array.isArray(response.errors)) {
    throw invalidResponse(subgraph, raw.status, '"errors" is not a list');
  }
  if (response.data !== undefined && response.data !== null && (typeof response.data !== 'object' || Array.isArray(response.data))) {
    throw invalidResponse(subgraph, raw.status, '"data" is not an object');
  }
  return response as SubgraphResponse;
}

function invalidResponse(subgraph: string, status: number, reason: string) {
  return gatewayError(GatewayErrorCode.SUBGRAPH_INVALID_RESPONSE, `Subgraph "${subgraph}" sent an invalid response.`, {
    extensions: { serviceName: subgraph, reason, status },
  });
}

/**
 * A reason safe to show clients: the kind of failure, never an address or host name.
 * @internal also used by subgraphSubscriptions.ts
 */
export function describeTransportError(err: unknown): string {
  if ((err as { name?: string })?.name === 'TimeoutError') return 'timeout';
  if (err instanceof CircuitOpenError) return 'circuit open';
  const code = (err as { code?: string })?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      return 'request failed';
  }
}
