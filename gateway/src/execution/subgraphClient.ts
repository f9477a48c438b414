import type { GraphQLFormattedError } from 'graphql';
import type { Fetch, Logger } from '../deps';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import type { GatewayContext, GatewayPlugin, GatewayRequest, SubgraphRequestEnd } from '../plugins/types';

/** What a subgraph answered, parsed. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

interface RawResponse {
  status: number;
  text: string;
}

/**
 * Sends fetch-node operations to subgraphs: URL lookup, plugin hooks, in-flight deduplication of
 * identical queries, and the translation of transport failures into GraphQL errors that name the
 * subgraph but never its URL.
 */
export class SubgraphClient {
  private readonly inFlight = new Map<string, Promise<RawResponse>>();
  private readonly hooks: NonNullable<GatewayPlugin['onSubgraphRequest']>[];

  constructor(
    private readonly fetch: Fetch,
    plugins: readonly GatewayPlugin[],
    private readonly logger: Logger,
    private readonly deduplicate: boolean,
  ) {
    this.hooks = plugins.flatMap((p) => (p.onSubgraphRequest ? [p.onSubgraphRequest.bind(p)] : []));
  }

  async send(
    subgraph: string,
    url: string | undefined,
    body: string,
    isQuery: boolean,
    request: GatewayRequest,
    context: GatewayContext,
  ): Promise<SubgraphResponse> {
    if (url === undefined) {
      throw gatewayError(GatewayErrorCode.SUBGRAPH_UNAVAILABLE, `Subgraph "${subgraph}" is not known to this gateway.`, {
        extensions: { serviceName: subgraph },
      });
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    let ends: SubgraphRequestEnd[] | undefined;
    for (const hook of this.hooks) {
      const end = hook({ subgraph, url, headers, request, context });
      if (end) (ends ??= []).push(end);
    }

    let raw: RawResponse;
    try {
      raw = await this.request(url, headers, body, isQuery);
    } catch (err) {
      if (ends) for (const end of ends) end({ error: err });
      this.logger.warn('subgraph request failed', { subgraph, requestId: context.requestId, reason: String((err as Error)?.message ?? err) });
      throw gatewayError(GatewayErrorCode.SUBGRAPH_UNAVAILABLE, `Subgraph "${subgraph}" is unavailable.`, {
        extensions: { serviceName: subgraph, reason: describeTransportError(err) },
      });
    }
    if (ends) for (const end of ends) end({ status: raw.status });
    return parseResponse(subgraph, raw);
  }

  private request(url: string, headers: Record<string, string>, body: string, isQuery: boolean): Promise<RawResponse> {
    if (!this.deduplicate || !isQuery) return this.send1(url, headers, body, isQuery);
    // Identical in-flight queries to the same subgraph share one HTTP request. The *text* is shared and
    // each caller parses its own copy: execution mutates what it parses, so objects must not be shared.
    const key = url + '\n' + headerKey(headers) + '\n' + body;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.send1(url, headers, body, true);
      this.inFlight.set(key, pending);
      const clear = () => this.inFlight.delete(key);
      pending.then(clear, clear);
    }
    return pending;
  }

  private async send1(url: string, headers: Record<string, string>, body: string, idempotent: boolean): Promise<RawResponse> {
    const res = await this.fetch(url, { method: 'POST', headers, body, idempotent });
    return { status: res.status, text: await res.text() };
  }
}

function headerKey(headers: Record<string, string>): string {
  let key = '';
  for (const name of Object.keys(headers).sort()) key += name + ':' + headers[name] + '\n';
  return key;
}

function parseResponse(subgraph: string, raw: RawResponse): SubgraphResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.text);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && ('data' in parsed || 'errors' in parsed)) {
    const response = parsed as SubgraphResponse;
    if (response.errors !== undefined && !Array.isArray(response.errors)) {
      throw invalidResponse(subgraph, raw.status, '"errors" is not a list');
    }
    if (response.data !== undefined && response.data !== null && (typeof response.data !== 'object' || Array.isArray(response.data))) {
      throw invalidResponse(subgraph, raw.status, '"data" is not an object');
    }
    return response;
  }
  throw invalidResponse(subgraph, raw.status, raw.status >= 200 && raw.status < 300 ? 'not a GraphQL response' : `HTTP ${raw.status}`);
}

function invalidResponse(subgraph: string, status: number, reason: string) {
  return gatewayError(GatewayErrorCode.SUBGRAPH_INVALID_RESPONSE, `Subgraph "${subgraph}" sent an invalid response.`, {
    extensions: { serviceName: subgraph, reason, status },
  });
}

/** A reason safe to show clients: the kind of failure, never an address or host name. */
function describeTransportError(err: unknown): string {
  if ((err as { name?: string })?.name === 'TimeoutError') return 'timeout';
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
