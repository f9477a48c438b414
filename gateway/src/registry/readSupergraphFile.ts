import { readFile } from 'node:fs/promises';

/** Startup failure of the supergraph source: an unreadable file, or subgraphs that do not compose. */
export class SupergraphSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupergraphSourceError';
  }
}

export async function readSupergraphFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SupergraphSourceError(`Cannot read supergraph file ${path}: ${(err as Error).message}`);
  }
}
