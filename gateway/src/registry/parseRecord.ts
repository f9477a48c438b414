import type { SubgraphRecord } from './types';

/** A record read back from a store, checked field by field; undefined when it is not one. */
export function parseRecord(raw: unknown): SubgraphRecord | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const strings = ['name', 'url', 'sdl', 'sdlHash', 'updatedAt', 'fetchedAt'] as const;
  if (!strings.every((k) => typeof r[k] === 'string')) return undefined;
  return {
    name: r.name as string,
    url: r.url as string,
    sdl: r.sdl as string,
    sdlHash: r.sdlHash as string,
    updatedAt: r.updatedAt as string,
    fetchedAt: r.fetchedAt as string,
    healthy: r.healthy !== false,
    federated: r.federated !== false,
  };
}
