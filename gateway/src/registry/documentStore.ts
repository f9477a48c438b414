import { createHash } from 'node:crypto';
import type { ManifestFormat, TrustedDocument } from '../plugins/trustedDocuments/manifest';

/**
 * Vocabulary: a *stored manifest* is one client version's trusted documents as the admin API
 * registered them (parsed: the documents, not the text they came in). A *document store* keeps them
 * beside the subgraph records, in the same kind of store (a local file, or Redis shared by replicas).
 */
export interface StoredManifest {
  client: string;
  version: string;
  format: ManifestFormat;
  documents: TrustedDocument[];
  /** When it was pushed (ISO 8601). */
  updatedAt: string;
}

/** A put refused because the store would then hold more documents than allowed; nothing changed. */
export class DocumentLimitError extends Error {
  constructor(
    /** Documents stored in the other manifests. */
    readonly others: number,
    readonly limit: number,
  ) {
    super(`the store holds ${others} documents in other manifests; with these it would exceed ${limit}`);
    this.name = 'DocumentLimitError';
  }
}

export interface DocumentStore {
  /** Every manifest, in no particular order. */
  list(): Promise<StoredManifest[]>;
  get(client: string, version: string): Promise<StoredManifest | undefined>;
  /**
   * Adds or replaces the manifest of (client, version), atomically, unless the documents of the
   * other manifests and its own would exceed `maxDocuments` (DocumentLimitError, nothing written).
   * Then notifies every listener, in every process sharing the store.
   */
  put(manifest: StoredManifest, maxDocuments: number): Promise<void>;
  /** Removes a manifest; false when there was none. Notifies like `put`. */
  remove(client: string, version: string): Promise<boolean>;
  /** Changes whenever the store does; cheap. A replica compares it to catch a notification it missed. */
  revision(): Promise<string>;
  /** Calls `listener` after a change to (client, version), or to anything when it names nothing. */
  onChange(listener: (changed?: { client: string; version: string }) => void): () => void;
  close(): Promise<void>;
}

/** One key for (client, version): unambiguous whatever the names hold. */
export const manifestKey = (client: string, version: string): string => JSON.stringify([client, version]);

export function keyParts(key: string): { client: string; version: string } | undefined {
  try {
    const parts: unknown = JSON.parse(key);
    if (Array.isArray(parts) && parts.length === 2 && parts.every((p) => typeof p === 'string')) return { client: parts[0], version: parts[1] };
  } catch {
    // not one of ours
  }
  return undefined;
}

const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);

/**
 * A stored manifest read back, checked (a store written by hand or by another version): the
 * manifest, or what is wrong with it. A document whose body does not hash to its sha256 is wrong:
 * the index would trust a text by a hash that is not its own.
 */
export function parseStoredManifest(raw: unknown): StoredManifest | string {
  if (!raw || typeof raw !== 'object') return 'not an object';
  const m = raw as Record<string, unknown>;
  if (typeof m.client !== 'string' || typeof m.version !== 'string') return 'no client or version';
  if (m.format !== 'apollo-persisted-query-manifest' && m.format !== 'id-to-text') return 'unknown format';
  if (typeof m.updatedAt !== 'string' || !Array.isArray(m.documents)) return 'no updatedAt or documents';
  const documents: TrustedDocument[] = [];
  for (const d of m.documents as unknown[]) {
    const doc = d as Record<string, unknown> | null;
    if (!doc || typeof doc.id !== 'string' || typeof doc.body !== 'string' || typeof doc.sha256 !== 'string') return 'a document without id, body or sha256';
    if (createHash('sha256').update(doc.body).digest('hex') !== doc.sha256) return `the document "${doc.id}" does not hash to its sha256`;
    if (doc.name !== undefined && typeof doc.name !== 'string') return `the document "${doc.id}" has a name that is not a string`;
    if (doc.type !== undefined && !OPERATION_TYPES.has(doc.type as string)) return `the document "${doc.id}" has an unknown type`;
    documents.push({ id: doc.id, body: doc.body, sha256: doc.sha256, ...(doc.name !== undefined ? { name: doc.name as string } : {}), ...(doc.type !== undefined ? { type: doc.type as TrustedDocument['type'] } : {}) });
  }
  return { client: m.client, version: m.version, format: m.format, documents, updatedAt: m.updatedAt };
}
