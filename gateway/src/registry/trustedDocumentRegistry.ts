import { readFile, stat } from 'node:fs/promises';
import { CLIENT_NAME, type GatewayConfig } from '../config';
import { systemClock, type Clock, type Logger } from '../deps';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { TrustedDocumentIndex } from '../plugins/trustedDocuments/documentIndex';
import { ManifestError, parseManifest, type Manifest, type TrustedDocument } from '../plugins/trustedDocuments/manifest';
import { DocumentLimitError, manifestKey, type DocumentStore, type StoredManifest } from './documentStore';
import { RegistryStoreUnavailableError } from './types';

export type DocumentsErrorCode =
  | typeof GatewayErrorCode.INVALID_MANIFEST
  | typeof GatewayErrorCode.TOO_MANY_DOCUMENTS
  | typeof GatewayErrorCode.INVALID_CLIENT_NAME
  | typeof GatewayErrorCode.MANIFEST_NOT_FOUND
  | typeof GatewayErrorCode.REGISTRY_UNAVAILABLE;

/** A document-registry operation that failed; nothing changed. `line` and `reason` locate a malformed manifest. */
export class DocumentsError extends Error {
  constructor(
    readonly code: DocumentsErrorCode,
    message: string,
    readonly detail: { line?: number; reason?: string } = {},
  ) {
    super(message);
    this.name = 'DocumentsError';
  }
}

/** A manifest file of `trustedDocuments.manifests`, its path absolute. */
export interface ManifestFile {
  path: string;
  client?: string;
  version?: string;
}

export interface ManifestSummary {
  client: string;
  version: string;
  documents: number;
  updatedAt: string;
}

export interface TrustedDocumentRegistryOptions {
  store: DocumentStore;
  /** The index the gateway looks documents up in: this registry keeps it equal to the files and the store. */
  index: TrustedDocumentIndex;
  files: readonly ManifestFile[];
  config: GatewayConfig['trustedDocuments'];
  /** Manifests' documents are refused past this many tokens each (`limits.maxTokens`). */
  maxTokens: number;
  /** How often to compare the store's revision with the one last read (`registry.reconcileIntervalMs`); 0: never. */
  reconcileIntervalMs: number;
  logger: Logger;
  clock?: Clock;
}

interface FileState {
  /** size, mtime and inode when last read: a change to any is a change to read. */
  stamp: string;
  documents: readonly TrustedDocument[];
}

/**
 * Keeps the trusted-document index equal to the manifest files and the store's manifests, as the
 * subgraph registry keeps the supergraph equal to its records: the files are read at startup and
 * polled (fs.watch misses changes on many filesystems and through editors' rename-on-save), the store
 * is followed through its notifications and a periodic comparison of its revision. A push is parsed
 * and checked whole before the store is touched.
 */
export class TrustedDocumentRegistry {
  private readonly clock: Clock;
  private readonly fileStates = new Map<string, FileState>();
  private stored = new Map<string, StoredManifest>();
  private readRevision: string | undefined;
  private readonly handles: unknown[] = [];
  private unsubscribe: (() => void) | undefined;
  /** Store reads in arrival order: a manifest read for an older notification never lands after a newer one. */
  private refreshes: Promise<void> = Promise.resolve();
  /** Polls and reconciles running now. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly options: TrustedDocumentRegistryOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The index this registry keeps up to date. */
  get index(): TrustedDocumentIndex {
    return this.options.index;
  }

  /**
   * Reads the manifest files and the store, then follows both. Throws when a file cannot be read or
   * is malformed (naming it, with the line and reason), as the registry refuses to start on stored
   * subgraphs that do not compose: serving without a manifest the operator configured would refuse
   * (or, with `allowArbitrary`, silently let through) what it lists.
   */
  async start(): Promise<void> {
    const { store, config, logger } = this.options;
    for (const file of this.options.files) {
      const read = await this.readFile(file);
      this.fileStates.set(file.path, read);
    }
    this.publishFiles();
    await this.reloadStore();
    this.unsubscribe = store.onChange((changed) => void this.refresh(changed));
    const every = (ms: number, fn: () => Promise<unknown>) => {
      if (ms <= 0) return;
      const run = () => fn().catch((err) => logger.warn('trusted documents background task failed', { reason: String(err?.message ?? err) }));
      this.handles.push(
        this.clock.setInterval(() => {
          const task: Promise<unknown> = run().finally(() => this.background.delete(task));
          this.background.add(task);
        }, ms),
      );
    };
    every(this.options.reconcileIntervalMs, () => this.reconcile());
    if (this.options.files.length > 0) every(config.pollIntervalMs, () => this.pollFiles());
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const h of this.handles) this.clock.clearTimer(h);
    await this.settled();
  }

  /** Resolves once the polls, reconciles and store reads running now are done. @internal (tests step a fake clock, then wait for this) */
  async settled(): Promise<void> {
    await Promise.all([...this.background]);
    await this.refreshes;
  }

  /** Parses `text` and stores it as the manifest of (client, version), replacing any. Throws DocumentsError; nothing changes then. */
  async push(client: string, version: string, text: string): Promise<{ created: boolean; manifest: ManifestSummary }> {
    checkNames(client, version);
    let manifest: Manifest;
    try {
      manifest = this.parse(text);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      throw new DocumentsError(GatewayErrorCode.INVALID_MANIFEST, `The manifest is refused whole: line ${err.line}: ${err.reason}`, { line: err.line, reason: err.reason });
    }
    const stored: StoredManifest = { client, version, format: manifest.format, documents: [...manifest.documents], updatedAt: new Date(this.clock.epochMs()).toISOString() };
    const created = !this.stored.has(manifestKey(client, version));
    const { maxDocuments } = this.options.config;
    const inFiles = this.fileDocumentCount();
    try {
      await this.options.store.put(stored, maxDocuments - inFiles);
    } catch (err) {
      if (err instanceof DocumentLimitError) {
        throw new DocumentsError(
          GatewayErrorCode.TOO_MANY_DOCUMENTS,
          `The manifest's ${stored.documents.length} documents, with the ${err.others} of the other stored manifests and the ${inFiles} of the manifest files, exceed trustedDocuments.maxDocuments (${maxDocuments}); nothing was changed.`,
        );
      }
      throw storeError(err);
    }
    // Trusted here at once; other replicas follow the store's notification.
    this.setStored(stored);
    this.options.logger.info(created ? 'trusted documents registered' : 'trusted documents replaced', { client, version, documents: stored.documents.length });
    return { created, manifest: summaryOf(stored) };
  }

  async remove(client: string, version: string): Promise<void> {
    checkNames(client, version);
    let removed: boolean;
    try {
      removed = await this.options.store.remove(client, version);
    } catch (err) {
      throw storeError(err);
    }
    if (!removed) throw notFound(client, version);
    this.stored.delete(manifestKey(client, version));
    this.publishStore();
    this.options.logger.info('trusted documents removed', { client, version });
  }

  /** The stored manifests (as this replica last read them) and the manifest files. */
  list(): { manifests: ManifestSummary[]; files: Array<{ file: string; client?: string; version?: string; documents: number }> } {
    const manifests = [...this.stored.values()].map(summaryOf).sort((a, b) => a.client.localeCompare(b.client) || a.version.localeCompare(b.version));
    const files = this.options.files.map((f) => ({ file: f.path, client: f.client, version: f.version, documents: this.fileStates.get(f.path)?.documents.length ?? 0 }));
    return { manifests, files };
  }

  /** The documents stored for (client, version). */
  get(client: string, version: string): StoredManifest {
    checkNames(client, version);
    const manifest = this.stored.get(manifestKey(client, version));
    if (!manifest) throw notFound(client, version);
    return manifest;
  }

  private parse(text: string): Manifest {
    const { maxDocumentsPerManifest, maxManifestBytes } = this.options.config;
    if (Buffer.byteLength(text) > maxManifestBytes) throw new ManifestError(1, `larger than trustedDocuments.maxManifestBytes (${maxManifestBytes} bytes)`);
    return parseManifest(text, { maxDocuments: maxDocumentsPerManifest, maxIdLength: 256, maxTokens: this.options.maxTokens });
  }

  /** A manifest file, read and parsed; throws an Error naming the file (and the line and reason). */
  private async readFile(file: ManifestFile): Promise<FileState> {
    try {
      const info = await stat(file.path);
      if (info.size > this.options.config.maxManifestBytes) throw new Error(`larger than trustedDocuments.maxManifestBytes (${this.options.config.maxManifestBytes} bytes)`);
      const text = await readFile(file.path, 'utf8');
      return { stamp: `${info.size} ${info.mtimeMs} ${info.ino}`, documents: this.parse(text).documents };
    } catch (err) {
      const why = err instanceof ManifestError ? `line ${err.line}: ${err.reason}` : (err as Error).message;
      throw new Error(`trusted documents manifest ${file.path}: ${why}`);
    }
  }

  /** Re-reads the files that changed; a change that does not read keeps the file's last good documents. */
  private async pollFiles(): Promise<void> {
    let changed = false;
    for (const file of this.options.files) {
      const previous = this.fileStates.get(file.path);
      let stamp: string;
      try {
        const info = await stat(file.path);
        stamp = `${info.size} ${info.mtimeMs} ${info.ino}`;
      } catch (err) {
        if (previous?.stamp !== 'missing') this.options.logger.error('trusted documents manifest cannot be read; keeping its last good documents', { file: file.path, reason: (err as Error).message });
        if (previous) this.fileStates.set(file.path, { ...previous, stamp: 'missing' });
        continue;
      }
      if (stamp === previous?.stamp) continue;
      try {
        const read = await this.readFile(file);
        const others = this.fileDocumentCount() - (previous?.documents.length ?? 0) + this.storedDocumentCount();
        if (others + read.documents.length > this.options.config.maxDocuments) throw new Error(`with it the manifests would hold more than trustedDocuments.maxDocuments (${this.options.config.maxDocuments}) documents`);
        this.fileStates.set(file.path, read);
        changed = true;
        this.options.logger.info('trusted documents manifest re-read', { file: file.path, documents: read.documents.length });
      } catch (err) {
        // Not read again until it changes again.
        this.fileStates.set(file.path, { documents: previous?.documents ?? [], stamp });
        this.options.logger.error('trusted documents manifest refused; keeping its last good documents', { file: file.path, reason: (err as Error).message });
      }
    }
    if (changed) this.publishFiles();
  }

  /** Follows a store notification: the one manifest it names, or everything. */
  private refresh(changed: { client: string; version: string } | undefined): Promise<void> {
    const run = this.refreshes.then(async () => {
      if (!changed) return this.reloadStore();
      const manifest = await this.options.store.get(changed.client, changed.version);
      if (manifest) this.setStored(manifest);
      else if (this.stored.delete(manifestKey(changed.client, changed.version))) this.publishStore();
    });
    this.refreshes = run.catch((err) => this.options.logger.warn('trusted documents could not be re-read from the store', { reason: String(err?.message ?? err) }));
    return this.refreshes;
  }

  /** Catches a notification missed while a connection was down: reads the store whole when its revision moved. */
  private async reconcile(): Promise<void> {
    const revision = await this.options.store.revision();
    if (revision !== this.readRevision) await this.refresh(undefined);
  }

  private async reloadStore(): Promise<void> {
    const revision = await this.options.store.revision();
    const manifests = await this.options.store.list();
    this.stored = new Map(manifests.map((m) => [manifestKey(m.client, m.version), m]));
    this.readRevision = revision;
    this.publishStore();
  }

  private setStored(manifest: StoredManifest): void {
    this.stored.set(manifestKey(manifest.client, manifest.version), manifest);
    this.publishStore();
  }

  private publishStore(): void {
    this.options.index.replace('store', [...this.stored.values()]);
  }

  private publishFiles(): void {
    const { files, index, config } = this.options;
    const total = this.fileDocumentCount();
    if (total > config.maxDocuments) throw new Error(`the manifest files hold ${total} documents, more than trustedDocuments.maxDocuments (${config.maxDocuments})`);
    index.replace(
      'files',
      files.map((f) => ({ client: f.client, version: f.version, documents: this.fileStates.get(f.path)?.documents ?? [] })),
    );
  }

  private fileDocumentCount(): number {
    let n = 0;
    for (const state of this.fileStates.values()) n += state.documents.length;
    return n;
  }

  private storedDocumentCount(): number {
    let n = 0;
    for (const m of this.stored.values()) n += m.documents.length;
    return n;
  }
}

function checkNames(client: unknown, version: unknown): void {
  for (const [what, value] of [
    ['client name', client],
    ['client version', version],
  ] as const) {
    if (typeof value !== 'string' || !CLIENT_NAME.test(value)) {
      throw new DocumentsError(GatewayErrorCode.INVALID_CLIENT_NAME, `A ${what} is 1-128 printable ASCII characters, not starting or ending with a space.`);
    }
  }
}

function notFound(client: string, version: string): DocumentsError {
  return new DocumentsError(GatewayErrorCode.MANIFEST_NOT_FOUND, `No manifest is stored for client "${client}" version "${version}".`);
}

function storeError(err: unknown): unknown {
  if (err instanceof RegistryStoreUnavailableError) {
    return new DocumentsError(GatewayErrorCode.REGISTRY_UNAVAILABLE, 'The registry store cannot be reached; nothing was changed.');
  }
  return err;
}

const summaryOf = (m: StoredManifest): ManifestSummary => ({ client: m.client, version: m.version, documents: m.documents.length, updatedAt: m.updatedAt });
