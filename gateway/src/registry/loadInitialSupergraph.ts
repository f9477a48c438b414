import { readFile } from 'node:fs/promises';
import { composeSupergraph, formatCompositionErrors } from '../composition/composeSupergraph';
import type { GatewayConfig } from '../config';
import type { Fetch } from '../deps';
import { fetchSubgraphSdl } from './fetchSubgraphSdl';

/** Startup failure of the supergraph source: unreadable file, unreachable subgraph, failed composition. */
export class SupergraphSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupergraphSourceError';
  }
}

/**
 * The supergraph SDL the config asks for: read from `supergraph` (a file), or composed from the
 * SDLs fetched from `subgraphs`.
 */
export async function loadInitialSupergraph(config: GatewayConfig, supergraphPath: string | undefined, fetch: Fetch): Promise<string> {
  if (supergraphPath !== undefined) {
    try {
      return await readFile(supergraphPath, 'utf8');
    } catch (err) {
      throw new SupergraphSourceError(`Cannot read supergraph file ${supergraphPath}: ${(err as Error).message}`);
    }
  }
  const subgraphs = config.subgraphs ?? [];
  const sdls = await Promise.all(subgraphs.map((s) => fetchSubgraphSdl(fetch, s.name, s.url)));
  const outcome = composeSupergraph(subgraphs.map((s, i) => ({ name: s.name, url: s.url, sdl: sdls[i] })));
  if (!outcome.ok) {
    throw new SupergraphSourceError(`Composition failed:\n${formatCompositionErrors(outcome.errors)}`);
  }
  return outcome.supergraphSdl;
}
