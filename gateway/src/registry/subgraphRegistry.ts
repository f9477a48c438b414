import { createHash } from 'node:crypto';
import { compositionCrash, type CompositionErrorInfo, type CompositionOutcome } from '../composition/composeSupergraph';
import { CompositionWorker } from '../composition/compositionWorker';
import { SUBGRAPH_NAME, type GatewayConfig } from '../config';
import { systemClock, type Clock, type Fetch, type Logger } from '../deps';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import { fetchSubgraphSdl, SubgraphSdlError, SubgraphSdlTooLargeError, type FetchedSdl } from './fetchSubgraphSdl';
import { diffSchemas, type SchemaChanges } from './schemaChanges';
import { RegistryBusyError, RegistryStoreUnavailableError, type RegistryStore, type SubgraphRecord } from './types';
import { isAllowedHost } from './urlAllowlist';

/** The catalogue's codes the registry reports itself (composition's come in a CompositionErrorInfo). */
export type RegistryErrorCode =
  | typeof GatewayErrorCode.INVALID_SUBGRAPH_NAME
  | typeof GatewayErrorCode.INVALID_SUBGRAPH_URL
  | typeof GatewayErrorCode.URL_NOT_ALLOWED
  | typeof GatewayErrorCode.SUBGRAPH_NOT_FOUND
  | typeof GatewayErrorCode.BREAKING_CHANGE
  | typeof GatewayErrorCode.SUBGRAPH_RESPONSE_TOO_LARGE
  | typeof GatewayErrorCode.SUBGRAPH_UNREACHABLE
  | typeof GatewayErrorCode.REGISTRY_UNAVAILABLE
  | typeof GatewayErrorCode.REGISTRY_BUSY
  | typeof GatewayErrorCode.INCOMPLETE_REGISTRY_RECORD;

export interface RegistryErrorDetail {
  code: RegistryErrorCode | CompositionErrorInfo['code'];
  message: string;
  subgraphs?: string[];
}

/**
 * A registry operation that failed; nothing changed. Its codes say why, and the admin API sends
 * `errors` (and `changes`) as they are, with the HTTP status admin/ gives the first code.
 */
export class RegistryError extends Error {
  constructor(
    readonly errors: RegistryErrorDetail[],
    readonly changes?: SchemaChanges,
  ) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'RegistryError';
  }
}

/** The candidate set of subgraphs does not compose, or its supergraph does not load: `errors` are composition's. */
export class CompositionRefusedError extends RegistryError {
  constructor(errors: Array<{ code: CompositionErrorInfo['code']; message: string; subgraphs?: string[] }>) {
    super(errors);
    this.name = 'CompositionRefusedError';
  }
}

export interface SubgraphSummary {
  name: string;
  url: string;
  sdlHash: string;
  updatedAt: string;
  healthy: boolean;
}

export interface RegistrationResult {
  created: boolean;
  subgraph: SubgraphSummary;
  supergraphHash: string;
  changes: SchemaChanges;
}

/** What composes records: by default a CompositionWorker, off the event loop. */
export interface Composer {
  compose(subgraphs: ReadonlyArray<{ name: string; url: string; sdl: string }>): Promise<CompositionOutcome>;
  close(): Promise<void>;
}

/**
 * What the registry needs of the gateway it feeds, as callbacks: it never holds the gateway itself.
 */
export interface SupergraphTarget {
  /** Loads a supergraph without serving it; rejects if the SDL is not a valid supergraph. */
  load(sdl: string): Promise<LoadedSupergraph>;
  /** Serves a loaded supergraph. */
  onSupergraph(loaded: LoadedSupergraph): void;
  /** The supergraph being served, if any. */
  current(): LoadedSupergraph | undefined;
  /** A composition (or the load of its result) failed; a success is counted when it is served. */
  onCompositionFailure(): void;
}

export interface SubgraphRegistryOptions {
  store: RegistryStore;
  gateway: SupergraphTarget;
  fetch: Fetch;
  logger: Logger;
  config: GatewayConfig['registry'];
  /** Time and timers (polling, reconciling, composition time limits). Default: the system's. */
  clock?: Clock;
  composer?: Composer;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const summary = (r: SubgraphRecord): SubgraphSummary => ({ name: r.name, url: r.url, sdlHash: r.sdlHash, updatedAt: r.updatedAt, healthy: r.healthy });

/**
 * Keeps the gateway's supergraph equal to the composition of the store's records. Registration,
 * update and removal compose the candidate set first and change nothing when it fails. Every change
 * to the store (from this process or, with Redis, any other) triggers a sync; a periodic reconcile
 * catches missed notifications, and polling re-fetches SDLs.
 */
export class SubgraphRegistry {
  private queue: Promise<unknown> = Promise.resolve();
  /** Fingerprint (names, URLs, SDL hashes) of the records behind the served supergraph. */
  private servedFingerprint: string | undefined;
  private readonly handles: unknown[] = [];
  private unsubscribe: (() => void) | undefined;
  /** A sync waiting in the queue: later requests for one join it. */
  private queuedSync: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly composer: Composer;
  /**
   * Polled SDLs refused (they do not compose, or break the API), by subgraph, with the served set
   * they were refused against: the same SDL against the same set is not composed again each poll.
   */
  private readonly refusedPolls = new Map<string, string>();

  constructor(private readonly options: SubgraphRegistryOptions) {
    this.clock = options.clock ?? systemClock;
    this.composer =
      options.composer ??
      new CompositionWorker({ timeoutMs: options.config.compositionTimeoutMs, maxHeapMb: options.config.compositionMaxHeapMb, clock: this.clock });
  }

  /**
   * Seeds an empty store with `seed`, serves the composition of the store, and starts listening for
   * changes, reconciling and polling. A subgraph now serving an SDL that does not compose (or
   * breaks the API) is left at its last good SDL, with a warning naming it. Throws when the
   * store's own subgraphs do not compose.
   */
  async start(seed: ReadonlyArray<{ name: string; url: string }>): Promise<void> {
    const { store, config, logger } = this.options;
    await this.completeRecords();
    const seeding = (await store.list()).length === 0 && seed.length > 0;
    if (seeding) {
      const fetched = await Promise.all(seed.map((s) => this.fetchSdl(s.name, s.url)));
      for (const [i, s] of seed.entries()) await store.put(this.newRecord(s.name, s.url, fetched[i]));
      logger.info('registry seeded from config', { subgraphs: seed.map((s) => s.name) });
    }
    // The stored SDLs are the last good ones: serve them, then let polling check each SDL that
    // changed while the gateway was down as it checks any other (no composition when none did).
    const records = await store.list();
    if (records.length > 0) this.serve(await this.compose(records, []), records);
    if (!seeding) await this.poll();
    this.unsubscribe = store.onChange(() => void this.sync());
    const every = (ms: number, fn: () => Promise<unknown>) => {
      if (ms <= 0) return;
      this.handles.push(this.clock.setInterval(() => void fn().catch((err) => logger.warn('registry background task failed', { reason: String(err?.message ?? err) })), ms));
    };
    every(config.reconcileIntervalMs, () => this.sync());
    every(config.pollIntervalMs, () => this.poll());
  }

  /**
   * A stored record without its SDL (or another field) is never dropped: its SDL is fetched again
   * from its URL, as a registration would, and stored whole. When that cannot be done, the gateway
   * does not start: serving without the subgraph would silently lose it.
   */
  private async completeRecords(): Promise<void> {
    const { store, logger } = this.options;
    const lost: RegistryErrorDetail[] = [];
    for (const broken of await store.incomplete()) {
      const what = broken.name === undefined ? 'A registry record without a name' : `Registry record "${broken.name}"`;
      try {
        this.checkName(broken.name);
        const url = this.checkUrl(broken.url).toString();
        const fetched = await this.fetchSdl(broken.name, url);
        await store.put(this.newRecord(broken.name, url, fetched));
        logger.warn('incomplete registry record completed: its SDL was fetched again from its URL', { subgraph: broken.name, problem: broken.problem });
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        lost.push({
          code: GatewayErrorCode.INCOMPLETE_REGISTRY_RECORD,
          message: `${what} is incomplete (${broken.problem}) and cannot be completed: ${err.message}. Bring the subgraph up, or remove the record from the registry store.`,
          subgraphs: broken.name === undefined ? [] : [broken.name],
        });
      }
    }
    if (lost.length > 0) throw new RegistryError(lost);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const h of this.handles) this.clock.clearTimer(h);
    await this.queue.catch(() => undefined);
    await this.composer.close();
  }

  async list(): Promise<SubgraphSummary[]> {
    return (await storeErrors(() => this.options.store.list())).map(summary).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Registers a new subgraph or updates an existing one. Throws RegistryError; nothing changes then. */
  async register(name: string, url: string, allowBreaking = false): Promise<RegistrationResult> {
    this.checkName(name);
    const parsed = this.checkUrl(url);
    // The SDL is fetched before taking the lock: a slow subgraph must not hold up other changes.
    const fetched = await this.fetchSdl(name, parsed.toString());
    return this.exclusive(async () => {
      // Serve what the store holds first: the change is then diffed against it, not against a
      // supergraph that has not yet heard of another replica's change.
      await this.syncNow();
      const records = await this.options.store.list();
      const existing = records.find((r) => r.name === name);
      const record = this.newRecord(name, parsed.toString(), fetched, existing);
      const candidate = [...records.filter((r) => r.name !== name), record];
      const loaded = await this.compose(candidate, fetched.federated ? [] : [name], name);
      const changes = this.changesFrom(loaded);
      if (existing && changes.breaking.length > 0 && !allowBreaking) {
        throw new RegistryError(
          changes.breaking.map((c) => ({ code: GatewayErrorCode.BREAKING_CHANGE, message: c.description, subgraphs: [name] })),
          changes,
        );
      }
      await this.options.store.put(record);
      this.serve(loaded, candidate);
      this.options.logger.info(existing ? 'subgraph updated' : 'subgraph registered', { subgraph: name, supergraph: loaded.hash.slice(0, 12) });
      return { created: !existing, subgraph: summary(record), supergraphHash: loaded.hash, changes };
    });
  }

  /** Removes a subgraph; refused (CompositionRefusedError) when the others do not compose without it. */
  remove(name: string): Promise<{ supergraphHash: string; changes: SchemaChanges }> {
    return this.exclusive(async () => {
      await this.syncNow(); // as in register
      const records = await this.options.store.list();
      if (!records.some((r) => r.name === name)) {
        throw new RegistryError([{ code: GatewayErrorCode.SUBGRAPH_NOT_FOUND, message: `No subgraph named "${name}" is registered.` }]);
      }
      const rest = records.filter((r) => r.name !== name);
      const loaded = await this.compose(rest, []);
      const changes = this.changesFrom(loaded);
      await this.options.store.remove(name);
      this.serve(loaded, rest);
      this.options.logger.info('subgraph removed', { subgraph: name, supergraph: loaded.hash.slice(0, 12) });
      return { supergraphHash: loaded.hash, changes };
    });
  }

  /**
   * Serves the composition of the store's records if they changed since the last time. Waits its
   * turn behind the changes this process is making: the store announces a change as soon as it is
   * written, before the change has served it, and a sync run then would compose and swap the same
   * supergraph a second time. In turn, it finds the change already served and does nothing.
   */
  sync(): Promise<void> {
    if (this.queuedSync) return this.queuedSync;
    const run = this.queue.then(() => {
      this.queuedSync = undefined;
      return this.syncNow();
    });
    this.queuedSync = run;
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncNow(): Promise<void> {
    const records = await this.options.store.list();
    if (fingerprint(records) === this.servedFingerprint || records.length === 0) return;
    const outcome = await this.composeRecords(records);
    const loaded = outcome.ok && outcome.supergraphSdl !== this.options.gateway.current()?.sdl ? await this.load(outcome.supergraphSdl) : undefined;
    const errors = !outcome.ok ? outcome.errors : loaded && !loaded.ok ? loaded.errors : undefined;
    if (errors) {
      // Changes are checked under the store's lock, but a store written by hand or by an older
      // version may still not compose: keep serving the last good supergraph.
      this.options.logger.error('registry does not compose; keeping the current supergraph', { errors });
      this.servedFingerprint = fingerprint(records);
      return;
    }
    if (loaded?.ok) {
      this.serve(loaded.loaded, records);
      this.options.logger.info('supergraph updated from the registry', { subgraphs: records.map((r) => r.name) });
    } else {
      this.servedFingerprint = fingerprint(records);
    }
  }

  /**
   * Re-fetches every SDL; a changed one goes through the checks a registration makes (it must
   * compose, and must not break the API: there is no `allowBreaking` here) and is stored and served
   * if it passes. Otherwise, and while a subgraph is unreachable, it keeps its last good SDL. A
   * refused change is logged and counted as a failed composition; registering the subgraph again
   * with `allowBreaking` applies a breaking one. The fetches run outside the registry lock, so a
   * slow subgraph does not hold up registrations.
   */
  async poll(): Promise<void> {
    const polled = await Promise.all(
      (await this.options.store.list()).map(async (r) => {
        try {
          return { name: r.name, url: r.url, fetched: await this.fetchSdl(r.name, r.url) };
        } catch (err) {
          return { name: r.name, url: r.url, fetched: undefined, failure: String((err as Error)?.message ?? err) };
        }
      }),
    );
    await this.exclusive(async () => {
      // As in register: diff against what the store holds, not a supergraph behind it.
      await this.syncNow();
      for (const { name, url, fetched, failure } of polled) {
        const current = await this.options.store.list();
        const record = current.find((r) => r.name === name);
        if (!record || record.url !== url) continue; // removed or moved meanwhile
        if (!fetched) {
          if (record.healthy) await this.options.store.put({ ...record, healthy: false });
          this.options.logger.warn('subgraph SDL could not be fetched; keeping the last good one', { subgraph: name, reason: failure });
          continue;
        }
        if (hash(fetched.sdl) === record.sdlHash) {
          if (!record.healthy) await this.options.store.put({ ...record, healthy: true, fetchedAt: new Date(this.clock.epochMs()).toISOString() });
          continue;
        }
        const updated = this.newRecord(name, url, fetched, record);
        const candidate = [...current.filter((r) => r.name !== name), updated];
        const attempt = `${updated.sdlHash} ${fingerprint(current)}`;
        if (this.refusedPolls.get(name) === attempt) continue;
        let loaded: LoadedSupergraph;
        try {
          loaded = await this.compose(candidate, fetched.federated ? [] : [name], name);
        } catch (err) {
          if (!(err instanceof RegistryError)) throw err;
          this.refusedPolls.set(name, attempt);
          this.options.logger.warn('a polled SDL change does not compose; keeping the last good SDL', { subgraph: name, errors: err.errors });
          continue;
        }
        const breaking = this.changesFrom(loaded).breaking;
        if (breaking.length > 0) {
          this.refusedPolls.set(name, attempt);
          this.options.gateway.onCompositionFailure();
          this.options.logger.warn('a polled SDL change is breaking; keeping the last good SDL (register the subgraph with allowBreaking to apply it)', {
            subgraph: name,
            errors: breaking.map((c) => ({ code: GatewayErrorCode.BREAKING_CHANGE, message: c.description, subgraphs: [name] })),
          });
          continue;
        }
        this.refusedPolls.delete(name);
        await this.options.store.put(updated);
        this.serve(loaded, candidate);
        this.options.logger.info('subgraph SDL changed', { subgraph: name });
      }
    });
  }

  private serve(loaded: LoadedSupergraph, records: readonly SubgraphRecord[]): void {
    this.options.gateway.onSupergraph(loaded);
    this.servedFingerprint = fingerprint(records);
  }

  /**
   * Composes and loads records; throws CompositionRefusedError when they do not compose or load.
   * `changed` is the one subgraph that differs from the served set: what fails without naming a
   * subgraph (composition crashing on a schema too deep) is its doing.
   */
  private async compose(records: readonly SubgraphRecord[], plainServices: string[], changed?: string): Promise<LoadedSupergraph> {
    if (records.length === 0) {
      throw new CompositionRefusedError([{ code: GatewayErrorCode.NO_SUBGRAPHS, message: 'The gateway needs at least one subgraph.' }]);
    }
    const attribute = (e: CompositionErrorInfo) => (changed && e.subgraphs.length === 0 ? { ...e, subgraphs: [changed] } : e);
    const outcome = await this.composeRecords(records);
    if (!outcome.ok) throw new CompositionRefusedError(outcome.errors.map((e) => withPlainServiceHint(attribute(e), plainServices)));
    const loaded = await this.load(outcome.supergraphSdl);
    if (!loaded.ok) throw new CompositionRefusedError(loaded.errors.map(attribute));
    return loaded.loaded;
  }

  /** Composes records; a failure is counted in the gateway's metrics (a success when it is served). */
  private async composeRecords(records: readonly SubgraphRecord[]): Promise<CompositionOutcome> {
    const started = this.clock.now();
    const outcome = await this.composer.compose(records.map((r) => ({ name: r.name, url: r.url, sdl: r.sdl })));
    this.options.logger.debug('composition finished', { subgraphs: records.length, ok: outcome.ok, ms: this.clock.now() - started });
    if (!outcome.ok) this.options.gateway.onCompositionFailure();
    return outcome;
  }

  /**
   * Loads what the composition thread composed on the gateway's planning thread. A failure is still
   * a failed composition, never a crash.
   */
  private async load(supergraphSdl: string): Promise<{ ok: true; loaded: LoadedSupergraph } | { ok: false; errors: CompositionErrorInfo[] }> {
    try {
      return { ok: true, loaded: await this.options.gateway.load(supergraphSdl) };
    } catch (err) {
      this.options.gateway.onCompositionFailure();
      return { ok: false, errors: [compositionCrash(err)] };
    }
  }

  private changesFrom(loaded: LoadedSupergraph): SchemaChanges {
    const current = this.options.gateway.current();
    return current ? diffSchemas(current.schema, loaded.schema) : { breaking: [], dangerous: [], safe: [] };
  }

  private newRecord(name: string, url: string, fetched: FetchedSdl, previous?: SubgraphRecord): SubgraphRecord {
    const now = new Date(this.clock.epochMs()).toISOString();
    const sdlHash = hash(fetched.sdl);
    const unchanged = previous && previous.sdlHash === sdlHash && previous.url === url;
    return { name, url, sdl: fetched.sdl, sdlHash, updatedAt: unchanged ? previous.updatedAt : now, fetchedAt: now, healthy: true, federated: fetched.federated };
  }

  private async fetchSdl(name: string, url: string): Promise<FetchedSdl> {
    try {
      return await fetchSubgraphSdl(this.options.fetch, name, url, this.options.config.maxSdlBytes);
    } catch (err) {
      // The subgraph answered, and would answer the same again: refused like an SDL that does not compose, not unreachable.
      if (err instanceof SubgraphSdlTooLargeError) {
        throw new RegistryError([{ code: GatewayErrorCode.SUBGRAPH_RESPONSE_TOO_LARGE, message: err.message, subgraphs: [name] }]);
      }
      if (err instanceof SubgraphSdlError) {
        throw new RegistryError([{ code: GatewayErrorCode.SUBGRAPH_UNREACHABLE, message: err.message, subgraphs: [name] }]);
      }
      throw err;
    }
  }

  private checkName(name: unknown): asserts name is string {
    if (typeof name !== 'string' || !SUBGRAPH_NAME.test(name)) {
      throw new RegistryError([
        { code: GatewayErrorCode.INVALID_SUBGRAPH_NAME, message: 'A subgraph name is 1-64 letters, digits, "_" or "-", starting with a letter or "_".' },
      ]);
    }
  }

  private checkUrl(url: unknown): URL {
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
      throw new RegistryError([{ code: GatewayErrorCode.INVALID_SUBGRAPH_URL, message: 'The URL must be an absolute http(s) URL without credentials.' }]);
    }
    if (!isAllowedHost(parsed, this.options.config.allowedHosts)) {
      throw new RegistryError([
        { code: GatewayErrorCode.URL_NOT_ALLOWED, message: `The host "${parsed.hostname}" is not in registry.allowedHosts.` },
      ]);
    }
    return parsed;
  }

  /**
   * Registry changes run one at a time: in this process (a queue), and across the processes sharing
   * the store (its lock), so each checks its candidate set against what the others wrote.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const locked = () => storeErrors(() => this.options.store.exclusive(fn));
    const run = this.queue.then(locked, locked);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Store failures: the registry is unavailable or busy, and nothing changed. */
async function storeErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryStoreUnavailableError) {
      throw new RegistryError([{ code: GatewayErrorCode.REGISTRY_UNAVAILABLE, message: 'The registry store cannot be reached; nothing was changed.' }]);
    }
    if (err instanceof RegistryBusyError) {
      throw new RegistryError([{ code: GatewayErrorCode.REGISTRY_BUSY, message: 'Another registry change is taking too long; nothing was changed. Try again.' }]);
    }
    throw err;
  }
}

function fingerprint(records: readonly SubgraphRecord[]): string {
  return records
    .map((r) => `${r.name} ${r.url} ${r.sdlHash}`)
    .sort()
    .join('\n');
}

function withPlainServiceHint(error: CompositionErrorInfo, plainServices: string[]): CompositionErrorInfo {
  const plain = error.subgraphs.filter((s) => plainServices.includes(s));
  if (plain.length === 0) return error;
  return {
    ...error,
    message:
      `${error.message} (${plain.join(', ')} is a plain GraphQL service without federation support: ` +
      'a type it shares with the graph must be renamed in it, or marked @shareable (or given a @key) in the subgraphs that own it.)',
  };
}
