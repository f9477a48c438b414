import type { IncompleteRecord, SubgraphRecord } from './types';

/**
 * A record read back from a store, checked field by field. One that is not whole is described,
 * never dropped: with its name and URL the registry can fetch its SDL again.
 */
export function parseRecord(raw: unknown): { record: SubgraphRecord } | { incomplete: IncompleteRecord } {
  const r = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const strings = ['name', 'url', 'sdl', 'sdlHash', 'updatedAt', 'fetchedAt'] as const;
  const missing = strings.filter((k) => typeof r[k] !== 'string');
  if (missing.length > 0) {
    return {
      incomplete: {
        name: typeof r.name === 'string' ? r.name : undefined,
        url: typeof r.url === 'string' ? r.url : undefined,
        problem: `no ${missing.join(', ')}`,
      },
    };
  }
  return {
    record: {
      name: r.name as string,
      url: r.url as string,
      sdl: r.sdl as string,
      sdlHash: r.sdlHash as string,
      updatedAt: r.updatedAt as string,
      fetchedAt: r.fetchedAt as string,
      healthy: r.healthy !== false,
      federated: r.federated !== false,
    },
  };
}
