import { LRUCache } from 'lru-cache';

/**
 * Where query texts are kept by the id a client names them with (for automatic persisted queries,
 * the SHA-256 of the text, lower-case hex). The store only keeps texts: whether a text may be kept
 * (its hash checked, the operation valid) is decided before `set`, by whoever calls it.
 */
export interface PersistedQueryStore {
  /** The text kept under `id`, or undefined. Rejects when the store cannot be reached. */
  get(id: string): Promise<string | undefined>;
  /** Keeps `text` under `id` (a store may drop it later, or not keep it at all: it is a cache). */
  set(id: string, text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store of one process: an LRU bounded both in entries and in bytes, so neither many small
 * queries nor a few large ones grow it past its bound. A text larger than `maxBytes` is not kept.
 */
export class MemoryPersistedQueryStore implements PersistedQueryStore {
  private readonly cache: LRUCache<string, string>;

  constructor(bounds: { maxEntries: number; maxBytes: number }) {
    this.cache = new LRUCache<string, string>({
      max: bounds.maxEntries,
      maxSize: bounds.maxBytes,
      // Bytes of the text as UTF-8, plus its key: what the bound is about is memory, and a text of
      // multi-byte characters takes more than its length.
      sizeCalculation: (text, id) => Buffer.byteLength(text, 'utf8') + id.length,
    });
  }

  async get(id: string): Promise<string | undefined> {
    return this.cache.get(id);
  }

  async set(id: string, text: string): Promise<void> {
    this.cache.set(id, text);
  }

  /** Texts kept now. */
  get size(): number {
    return this.cache.size;
  }

  /** Bytes they count for (see `maxBytes`). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  async close(): Promise<void> {
    this.cache.clear();
  }
}
