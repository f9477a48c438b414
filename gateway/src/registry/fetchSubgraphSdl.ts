import { buildClientSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import { ResponseTooLargeError, type Fetch } from '../deps';
import { parseGraphQLResponse } from '../graphql/parseGraphQLResponse';

/** Why a subgraph's SDL could not be had; says nothing that would help probe the network. */
export class SubgraphSdlError extends Error {
  constructor(
    readonly subgraph: string,
    readonly reason: string,
  ) {
    super(`Could not fetch the SDL of subgraph "${subgraph}": ${reason}`);
    this.name = 'SubgraphSdlError';
  }
}

/** An SDL answer larger than `registry.maxSdlBytes`: reading stopped there. */
export class SubgraphSdlTooLargeError extends SubgraphSdlError {
  constructor(
    subgraph: string,
    readonly limit: number,
  ) {
    super(subgraph, `its answer is larger than registry.maxSdlBytes (${limit} bytes).`);
    this.name = 'SubgraphSdlTooLargeError';
  }
}

export interface FetchedSdl {
  sdl: string;
  /** False when the service is plain GraphQL and the SDL was built from introspection. */
  federated: boolean;
}

/**
 * A plain GraphQL service joins as a Federation 2 subgraph without keys: its root fields are
 * served, its types are its own. Only `@link` is added.
 */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [])\n\n';

/**
 * Asks a subgraph for its SDL with `{ _service { sdl } }`. A service that answers GraphQL but has no
 * `_service` field is introspected instead and joins as a plain subgraph. Each answer is read up to
 * `maxBytes` (the transport stops reading there and drops the connection; see HttpRequest), so a
 * subgraph answering without end costs no more memory than that.
 */
export async function fetchSubgraphSdl(fetch: Fetch, name: string, url: string, maxBytes: number): Promise<FetchedSdl> {
  const post = (query: string) => postQuery(fetch, name, url, query, maxBytes);
  const body = await post('query __JunctionSubgraphSdl { _service { sdl } }');
  const sdl = (body.data as { _service?: { sdl?: unknown } } | undefined)?._service?.sdl;
  if (typeof sdl === 'string') return { sdl, federated: true };
  if (!Array.isArray(body.errors) || body.errors.length === 0) {
    throw new SubgraphSdlError(name, 'no _service.sdl in the response');
  }

  const introspection = await post(getIntrospectionQuery());
  if (!introspection.data || typeof introspection.data !== 'object' || !('__schema' in introspection.data)) {
    const first = (introspection.errors?.[0] as { message?: unknown } | undefined)?.message;
    throw new SubgraphSdlError(name, `it has neither _service nor introspection${typeof first === 'string' ? ` (it answered: ${first})` : ''}`);
  }
  let printed: string;
  try {
    printed = printSchema(buildClientSchema(introspection.data as unknown as IntrospectionQuery));
  } catch (err) {
    throw new SubgraphSdlError(name, `its introspection result is not a valid schema: ${(err as Error).message}`);
  }
  return { sdl: FEDERATION_LINK + printed, federated: false };
}

async function postQuery(fetch: Fetch, name: string, url: string, query: string, maxBytes: number): Promise<{ data?: unknown; errors?: unknown[] }> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query }),
      idempotent: true,
      maxResponseBytes: maxBytes,
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw new SubgraphSdlTooLargeError(name, maxBytes);
    const code = (err as { code?: string }).code;
    throw new SubgraphSdlError(name, code === 'ECONNREFUSED' ? 'connection refused' : code ? `request failed (${code})` : 'request failed');
  }
  const body = parseGraphQLResponse(text);
  if (!body) throw new SubgraphSdlError(name, `HTTP ${status}, not a GraphQL response`);
  return body as { data?: unknown; errors?: unknown[] };
}
