/**
 * Vocabulary: the *registry* is the set of subgraphs the gateway composes, by name. A *record* is
 * one subgraph's entry: its URL, the last SDL fetched from it, and its health. A *store* keeps the
 * records (a local file, or Redis when several replicas share them).
 */
export interface SubgraphRecord {
  name: string;
  url: string;
  /** The federation SDL (or, for a plain GraphQL service, SDL built from introspection). */
  sdl: string;
  /** sha256 of `sdl`, hex. */
  sdlHash: string;
  /** When the URL or SDL last changed (ISO 8601). */
  updatedAt: string;
  /** When the SDL was last fetched successfully (ISO 8601). */
  fetchedAt: string;
  /** False while the last attempt to fetch the SDL failed; the last good SDL is kept. */
  healthy: boolean;
  /** False when the service has no `_service { sdl }` and its SDL came from introspection. */
  federated: boolean;
}

/**
 * A stored record that is not whole (no SDL, say: written by hand or by another version). Stores
 * never drop one: `list` leaves it out, `incomplete` reports it, and writes keep it until a whole
 * record of the same name replaces it.
 */
export interface IncompleteRecord {
  name: string | undefined;
  url: string | undefined;
  /** What is missing, e.g. `no sdl, sdlHash`. */
  problem: string;
}

/** The store cannot be read or written (Redis down): the registry answers 503 and changes nothing. */
export class RegistryStoreUnavailableError extends Error {
  override readonly name = 'RegistryStoreUnavailableError';
}

/** Another process held the registry's lock for longer than a change may wait. */
export class RegistryBusyError extends Error {
  override readonly name = 'RegistryBusyError';
}

export interface RegistryStore {
  /** Every whole record, in no particular order. */
  list(): Promise<SubgraphRecord[]>;
  /** The records that are not whole; the registry fetches their SDL again at startup. */
  incomplete(): Promise<IncompleteRecord[]>;
  /** Adds or replaces a record, then notifies every listener (in every process sharing the store). */
  put(record: SubgraphRecord): Promise<void>;
  /** Removes a record; false when there was none. Notifies like `put`. */
  remove(name: string): Promise<boolean>;
  /**
   * Runs `fn` while no other process sharing the store runs one. A registry change checks that the
   * candidate set composes, then writes it: two changes checked side by side could each compose with
   * what was there and not with each other. Throws RegistryBusyError when the wait is too long.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Calls `listener` after changes, possibly made by another process. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
