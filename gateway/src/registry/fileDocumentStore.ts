import { DocumentLimitError, manifestKey, parseStoredManifest, type DocumentStore, type StoredManifest } from './documentStore';
import { readJsonFile, writeJsonFile } from './jsonFile';

interface FileShape {
  version: 1;
  manifests: StoredManifest[];
}

/**
 * The embedded document store: one JSON file beside the registry's, rewritten whole on every change
 * (temp file + rename, as FileRegistryStore does: a crash leaves the old file or the new one). For a
 * single gateway process, which holds the file's manifests in memory.
 */
export class FileDocumentStore implements DocumentStore {
  private manifests = new Map<string, StoredManifest>();
  private readonly listeners = new Set<(changed?: { client: string; version: string }) => void>();
  private writes: Promise<void> = Promise.resolve();
  private changes = 0;

  private constructor(private readonly file: string) {}

  /** Opens the file (absent: empty). Throws when it is not a document store's file, naming what is wrong: nothing in it is dropped. */
  static async open(file: string): Promise<FileDocumentStore> {
    const store = new FileDocumentStore(file);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const parsed = await readJsonFile(this.file, 'trusted documents file');
    if (parsed === undefined) return;
    const list = (parsed as Partial<FileShape> | null)?.manifests;
    if (!Array.isArray(list)) throw new Error(`trusted documents file ${this.file} has no "manifests" list`);
    for (const [index, raw] of list.entries()) {
      const manifest = parseStoredManifest(raw);
      if (typeof manifest === 'string') throw new Error(`trusted documents file ${this.file}: manifest ${index} is not whole (${manifest}); fix or remove it`);
      this.manifests.set(manifestKey(manifest.client, manifest.version), manifest);
    }
  }

  async list(): Promise<StoredManifest[]> {
    return [...this.manifests.values()];
  }

  async get(client: string, version: string): Promise<StoredManifest | undefined> {
    return this.manifests.get(manifestKey(client, version));
  }

  put(manifest: StoredManifest, maxDocuments: number): Promise<void> {
    return this.change(manifest.client, manifest.version, (next, key) => {
      // Checked against the manifests as they are when this write's turn comes, not when it was asked.
      let others = 0;
      for (const [k, m] of next) if (k !== key) others += m.documents.length;
      if (others + manifest.documents.length > maxDocuments) throw new DocumentLimitError(others, maxDocuments);
      next.set(key, manifest);
      return true;
    }).then(() => undefined);
  }

  remove(client: string, version: string): Promise<boolean> {
    return this.change(client, version, (next, key) => next.delete(key));
  }

  async revision(): Promise<string> {
    return String(this.changes);
  }

  onChange(listener: (changed?: { client: string; version: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.writes;
    this.listeners.clear();
  }

  /**
   * One write at a time, in call order: `edit` changes a copy of the manifests (returning whether
   * it changed anything, or throwing to refuse); the copy is written, and only then becomes the
   * store's view.
   */
  private change(client: string, version: string, edit: (next: Map<string, StoredManifest>, key: string) => boolean): Promise<boolean> {
    const write = this.writes.then(async () => {
      const next = new Map(this.manifests);
      if (!edit(next, manifestKey(client, version))) return false;
      const body: FileShape = { version: 1, manifests: [...next.values()] };
      await writeJsonFile(this.file, body);
      this.manifests = next;
      this.changes++;
      return true;
    });
    this.writes = write.then(
      () => undefined,
      () => undefined,
    );
    return write.then((changed) => {
      if (changed) for (const listener of this.listeners) listener({ client, version });
      return changed;
    });
  }
}
