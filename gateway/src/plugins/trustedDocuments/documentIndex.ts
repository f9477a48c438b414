import { createHash } from 'node:crypto';
import type { TrustedDocument } from './manifest';

/**
 * Vocabulary: a *client manifest* is a manifest together with whom it is for: a client name and
 * version (as `apollographql-client-name`/`-version` headers say), a client and every version of
 * it, or every client. The *index* answers, in memory and in constant time, which document an id
 * names for a client, and whether a text is trusted. Its manifests come from *sources* (the files
 * of `trustedDocuments.manifests`, the store the admin API writes), each replaced whole.
 */
export interface ClientManifest {
  /** The client it is for; undefined: every client (a manifest file without `client`). */
  readonly client?: string;
  /** The client's version; undefined: every version of `client`. */
  readonly version?: string;
  readonly documents: readonly TrustedDocument[];
}

/** What the index holds under one key: a document, or AMBIGUOUS when manifests disagree on it. */
const AMBIGUOUS = null;
type Slot = TrustedDocument | typeof AMBIGUOUS;
type Ids = Map<string, Slot>;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const sha256Key = (hex: string) => `sha256:${hex}`;

/**
 * Documents by id for every scope a request can fall in. Rebuilt whole when a source changes
 * (rare, and linear in the documents); lookups are a few Map reads. Names and ids are only ever Map
 * keys, so `constructor` or `__proto__` are plain names.
 */
export class TrustedDocumentIndex {
  private readonly sources = new Map<string, readonly ClientManifest[]>();
  /** client -> version -> ids, for manifests of one client version. */
  private exact = new Map<string, Map<string, Ids>>();
  /** client -> ids, for manifests of every version of a client. */
  private clientWide = new Map<string, Ids>();
  /** client -> ids of all its manifests: for a request that names its client but not its version. */
  private anyVersion = new Map<string, Ids>();
  /** Manifests for every client. */
  private global: Ids = new Map();
  /** Every manifest: for a request that names no client. */
  private all: Ids = new Map();
  private count = 0;

  /** Replaces the manifests of one source (`files`, `store`). */
  replace(source: string, manifests: readonly ClientManifest[]): void {
    this.sources.set(source, manifests);
    this.rebuild();
  }

  /** Documents in the index, counting a document once per manifest holding it. */
  get size(): number {
    return this.count;
  }

  /**
   * The document `id` names for this client: the manifest of its version, then its manifests for
   * every version, then the manifests for every client. A client that does not say its version
   * may use any version's; a request that names no client, any manifest's. `id` is a manifest's
   * id or `sha256:<hex>` (the body's hash). An id two manifests of one scope give different
   * documents names nothing.
   */
  lookup(clientName: string | undefined, clientVersion: string | undefined, id: string): TrustedDocument | undefined {
    for (const ids of this.scopes(clientName, clientVersion)) {
      const slot = ids?.get(id);
      if (slot !== undefined) return slot ?? undefined;
    }
    return undefined;
  }

  /** Whether a document, by its text or the hex sha256 of its text, is in a manifest this client may use. */
  isTrusted(textOrSha256: string, clientName?: string, clientVersion?: string): boolean {
    const hex = SHA256_HEX.test(textOrSha256) ? textOrSha256 : createHash('sha256').update(textOrSha256).digest('hex');
    return this.lookup(clientName, clientVersion, sha256Key(hex)) !== undefined;
  }

  private scopes(clientName: string | undefined, clientVersion: string | undefined): Array<Ids | undefined> {
    if (clientName === undefined) return [this.all];
    const versioned = clientVersion === undefined ? this.anyVersion.get(clientName) : this.exact.get(clientName)?.get(clientVersion);
    return [versioned, this.clientWide.get(clientName), this.global];
  }

  private rebuild(): void {
    const exact = new Map<string, Map<string, Ids>>();
    const clientWide = new Map<string, Ids>();
    const anyVersion = new Map<string, Ids>();
    const global: Ids = new Map();
    const all: Ids = new Map();
    let count = 0;
    const slotOf = <V>(map: Map<string, V>, key: string, make: () => V): V => {
      let value = map.get(key);
      if (value === undefined) map.set(key, (value = make()));
      return value;
    };
    const ids = (): Ids => new Map();
    for (const manifests of this.sources.values()) {
      for (const manifest of manifests) {
        const targets: Ids[] = [all];
        if (manifest.client === undefined) targets.push(global);
        else if (manifest.version === undefined) targets.push(slotOf(clientWide, manifest.client, ids), slotOf(anyVersion, manifest.client, ids));
        else targets.push(slotOf(slotOf(exact, manifest.client, () => new Map<string, Ids>()), manifest.version, ids), slotOf(anyVersion, manifest.client, ids));
        for (const document of manifest.documents) {
          for (const target of targets) {
            add(target, document.id, document);
            add(target, sha256Key(document.sha256), document);
          }
        }
        count += manifest.documents.length;
      }
    }
    this.exact = exact;
    this.clientWide = clientWide;
    this.anyVersion = anyVersion;
    this.global = global;
    this.all = all;
    this.count = count;
  }
}

function add(ids: Ids, key: string, document: TrustedDocument): void {
  const present = ids.get(key);
  if (present === undefined) ids.set(key, document);
  else if (present !== AMBIGUOUS && present.body !== document.body) ids.set(key, AMBIGUOUS);
}
