import type { Logger } from '../deps';
import { parseRecord } from './parseRecord';
import type { IncompleteRecord, RegistryStore, SubgraphRecord } from './types';
import { readJsonFile, writeJsonFile } from './jsonFile';

interface FileShape {
  version: 1;
  subgraphs: unknown[];
}

/**
 * The embedded store: one JSON file, rewritten whole on every change (temp file + rename, so a crash
 * leaves either the old file or the new one, never half of one). For a single gateway process.
 */
export class FileRegistryStore implements RegistryStore {
  private records = new Map<string, SubgraphRecord>();
  /** Entries of the file that are not whole records, as read: written back until replaced. */
  private incompleteEntries: Array<{ raw: unknown; incomplete: IncompleteRecord }> = [];
  private readonly listeners = new Set<() => void>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  static async open(file: string, logger: Logger): Promise<FileRegistryStore> {
    const store = new FileRegistryStore(file, logger);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const parsed = await readJsonFile(this.file, 'registry file');
    if (parsed === undefined) return;
    const list = (parsed as Partial<FileShape>)?.subgraphs;
    if (!Array.isArray(list)) throw new Error(`registry file ${this.file} has no "subgraphs" list`);
    for (const [index, raw] of list.entries()) {
      const parsed = parseRecord(raw);
      if ('record' in parsed) {
        this.records.set(parsed.record.name, parsed.record);
        continue;
      }
      this.incompleteEntries.push({ raw, incomplete: parsed.incomplete });
      this.logger.warn('incomplete registry record', { file: this.file, index, subgraph: parsed.incomplete.name, problem: parsed.incomplete.problem });
    }
  }

  async list(): Promise<SubgraphRecord[]> {
    return [...this.records.values()];
  }

  async incomplete(): Promise<IncompleteRecord[]> {
    return this.incompleteEntries.map((e) => e.incomplete);
  }

  async put(record: SubgraphRecord): Promise<void> {
    const next = new Map(this.records);
    next.set(record.name, record);
    await this.persist(next, record.name);
  }

  async remove(name: string): Promise<boolean> {
    if (!this.records.has(name) && !this.incompleteEntries.some((e) => e.incomplete.name === name)) return false;
    const next = new Map(this.records);
    next.delete(name);
    await this.persist(next, name);
    return true;
  }

  /** One process owns the file: the registry's own queue already runs its changes one at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.writes;
    this.listeners.clear();
  }

  /** Writes `next`; `touched` is the name put or removed. */
  private persist(next: Map<string, SubgraphRecord>, touched: string): Promise<void> {
    // One write at a time, in call order; the in-memory view changes only once the file has.
    const write = this.writes.then(async () => {
      // An incomplete entry stays until a record of its name is written or removed.
      const incomplete = this.incompleteEntries.filter((e) => e.incomplete.name !== touched);
      const records = [...next.values()].sort((a, b) => a.name.localeCompare(b.name));
      const body: FileShape = { version: 1, subgraphs: [...records, ...incomplete.map((e) => e.raw)] };
      await writeJsonFile(this.file, body, 2);
      this.records = next;
      this.incompleteEntries = incomplete;
    });
    this.writes = write.catch(() => undefined);
    return write.then(() => {
      for (const listener of this.listeners) listener();
    });
  }
}
