import type { Fetch } from '../deps';

/** Why a subgraph's SDL could not be had; says nothing that would help probe the network. */
export class SubgraphSdlError extends Error {
  constructor(
    readonly subgraph: string,
    reason: string,
  ) {
    super(`Could not fetch the SDL of subgraph "${subgraph}": ${reason}`);
    this.name = 'SubgraphSdlError';
  }
}

/** Asks a federation subgraph for its SDL with `{ _service { sdl } }`. */
export async function fetchSubgraphSdl(fetch: Fetch, name: string, url: string): Promise<string> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: 'query __JunctionSubgraphSdl { _service { sdl } }' }),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new SubgraphSdlError(name, `request failed (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  let body: { data?: { _service?: { sdl?: unknown } }; errors?: Array<{ message?: string }> };
  try {
    body = JSON.parse(text);
  } catch {
    throw new SubgraphSdlError(name, `HTTP ${status}, not a JSON response`);
  }
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    const first = body?.errors?.[0]?.message;
    throw new SubgraphSdlError(name, first ? `the subgraph answered: ${first}` : 'no _service.sdl in the response');
  }
  return sdl;
}
