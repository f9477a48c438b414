import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import { systemClock, type Clock, type TimerHandle } from '../deps';
import { GraphQLError, print } from 'graphql';
import { startWorkerThread } from '../workerThread';
import { schemaFromPrinted, schemasByName, supergraphHash, withDeferDirective, type LoadedSupergraph } from './loadSupergraph';
import type { OverrideDraw } from './overrides';
import type { Plan } from './plan';
import { plannerFor, type FallbackReason, type PlannerName } from './planner';
import { UnplannableOperationError } from './planOperation';

export type PlannerRequest =
  | { id: number; type: 'load'; hash: string; sdl: string }
  | { id: number; type: 'plan'; hash: string; text: string; operationName: string | undefined; planner: PlannerName; overrides?: OverrideDraw };

/** What the planning thread sends back for a loaded supergraph: schemas as text (see schemaFromPrinted). */
export interface LoadedOnThread {
  apiSchema: string;
  supergraphSchema: string;
  overrideLabels: string[];
  subgraphs: Array<{ name: string; url: string; schema: string }>;
}

export type PlannerReply =
  | { id: number; ok: true; loaded: LoadedOnThread }
  | { id: number; ok: true; plan: Plan; fallback?: FallbackReason }
  | { id: number; ok: false; error: { kind: 'unknown-supergraph' | 'unplannable' | 'graphql' | 'failed'; message: string; field?: string } };

/** The planning thread failed (it died, or was stopped) while a request waited on it. */
export class PlanningThreadError extends Error {}

export interface PlannerWorkerOptions {
  /** The gateway's planner (see planner.ts); default Apollo's. */
  planner?: PlannerName;
  /** Told when an operation goes to Apollo's planner though Hive's is the gateway's. */
  onFallback?(reason: FallbackReason): void;
  /** A plan that takes longer fails with PlanningTimeoutError (`limits.planningTimeoutMs`); 0 or absent: no limit. */
  planningTimeoutMs?: number;
  /** Times the plans. Default: the system clock. */
  clock?: Clock;
}

/** An operation whose plan took longer than the planning timeout; it is refused at once from then on. */
export class PlanningTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The operation could not be planned within ${timeoutMs} ms.`);
    this.name = 'PlanningTimeoutError';
  }
}

interface Waiting {
  readonly request: PlannerRequest;
  resolve(reply: PlannerReply): void;
  reject(error: Error): void;
  timer?: TimerHandle;
}

/**
 * Loads supergraphs and plans operations on a worker thread. Loading a supergraph (the federation
 * model, the planner's graph, the subgraphs' schemas) takes about a second for 200 subgraphs, and a
 * plan of a large operation tens of milliseconds: on the gateway's thread, every registration and
 * every cold plan would stall the requests being served, /healthz included. Here the gateway's
 * thread only builds the graphql-js schemas from text (about 25 ms for 200 subgraphs) and waits.
 *
 * One long-lived thread, started on first use and replaced when it dies, or when a plan takes
 * longer than `planningTimeoutMs`: planning cannot be interrupted, so the thread busy with it is
 * stopped, and what waited on it is sent to the next. A supergraph it no longer holds (dropped for a
 * newer one, or lost with a thread) is loaded again on demand.
 */
export class PlannerWorker {
  private worker: Worker | undefined;
  private readonly planner: PlannerName;
  private readonly clock: Clock;
  private nextId = 1;
  private readonly pending = new Map<number, Waiting>();
  /** Operations that ran out of time, by a hash of supergraph, planner, name and text: refused without a second try. */
  private readonly timedOut = new LRUCache<string, true>({ max: 1000 });

  constructor(private readonly options: PlannerWorkerOptions = {}) {
    this.planner = options.planner ?? 'apollo';
    this.clock = options.clock ?? systemClock;
  }

  /** Loads `sdl` on the planning thread. Rejects with the loader's message if it is not a valid supergraph. */
  async load(sdl: string): Promise<LoadedSupergraph> {
    const hash = supergraphHash(sdl);
    const loaded = await this.loadOnThread(hash, sdl);
    const subgraphUrls = new Map(loaded.subgraphs.map((s) => [s.name, s.url]));
    const subgraphTexts = new Map(loaded.subgraphs.map((s) => [s.name, s.schema]));
    return {
      sdl,
      hash,
      schema: withDeferDirective(schemaFromPrinted(loaded.apiSchema)),
      supergraphSchema: schemaFromPrinted(loaded.supergraphSchema),
      subgraphUrls,
      subgraphSchema: schemasByName((name) => {
        const text = subgraphTexts.get(name);
        return text === undefined ? undefined : schemaFromPrinted(text);
      }),
      plan: ({ document, text, operationName, overrides }) => {
        const chosen = plannerFor(this.planner, document, text);
        if (chosen.fallback) this.options.onFallback?.(chosen.fallback);
        return this.plan(hash, sdl, { text: text ?? print(document), operationName, overrides }, chosen.planner);
      },
      overrideLabels: loaded.overrideLabels,
    };
  }

  /** Terminates the thread; what waits on it fails. A later call starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new PlanningThreadError('The planning thread was stopped (the gateway is shutting down).'));
    await worker?.terminate();
  }

  private async loadOnThread(hash: string, sdl: string): Promise<LoadedOnThread> {
    const reply = await this.send({ id: this.nextId++, type: 'load', hash, sdl });
    if (!reply.ok) throw new Error(reply.error.message);
    if (!('loaded' in reply)) throw new Error('the planning thread answered a load with a plan');
    return reply.loaded;
  }

  private async plan(hash: string, sdl: string, operation: { text: string; operationName: string | undefined; overrides?: OverrideDraw }, planner: PlannerName): Promise<Plan> {
    const { text, operationName, overrides } = operation;
    const key = createHash('sha256').update(`${hash}\n${planner}\n${overrides?.active.join(',') ?? ''}\n${operationName ?? ''}\n${text}`).digest('base64');
    const timeoutMs = this.options.planningTimeoutMs ?? 0;
    if (this.timedOut.has(key)) throw new PlanningTimeoutError(timeoutMs);
    try {
      let reply = await this.send({ id: this.nextId++, type: 'plan', hash, text, operationName, planner, overrides });
      if (!reply.ok && reply.error.kind === 'unknown-supergraph') {
        await this.loadOnThread(hash, sdl);
        reply = await this.send({ id: this.nextId++, type: 'plan', hash, text, operationName, planner, overrides });
      }
      return this.planOf(reply);
    } catch (err) {
      if (err instanceof PlanningTimeoutError) this.timedOut.set(key, true);
      throw err;
    }
  }

  private planOf(reply: PlannerReply): Plan {
    if (reply.ok) {
      if (!('plan' in reply)) throw new Error('the planning thread answered a plan with a load');
      if (reply.fallback) this.options.onFallback?.(reply.fallback);
      return reply.plan;
    }
    const { error } = reply;
    if (error.kind === 'unplannable') throw new UnplannableOperationError(error.field!);
    if (error.kind === 'graphql') throw new GraphQLError(error.message);
    throw new Error(error.message);
  }

  private send(request: PlannerRequest): Promise<PlannerReply> {
    return new Promise((resolve, reject) => {
      const worker = this.thread();
      const waiting: Waiting = { request, resolve, reject };
      this.pending.set(request.id, waiting);
      this.startTimer(waiting);
      // A thread with nothing to do must not keep the process alive.
      worker.ref();
      worker.postMessage(request);
    });
  }

  /** A plan gets `planningTimeoutMs` from when its thread has it (again, when it is sent to a new one). */
  private startTimer(waiting: Waiting): void {
    const ms = this.options.planningTimeoutMs ?? 0;
    if (ms <= 0 || waiting.request.type !== 'plan') return;
    if (waiting.timer !== undefined) this.clock.clearTimer(waiting.timer);
    waiting.timer = this.clock.setTimeout(() => this.abandon(waiting.request.id, ms), ms);
  }

  /**
   * A plan past its time: it fails, the thread busy with it (and deaf to anything else until it is
   * done) is stopped, and what else waited on that thread is sent to a new one, each with its time
   * afresh.
   */
  private abandon(id: number, ms: number): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    waiting.reject(new PlanningTimeoutError(ms));
    const stopped = this.worker;
    this.worker = undefined;
    void stopped?.terminate();
    if (this.pending.size === 0) return;
    const worker = this.thread();
    worker.ref();
    for (const other of this.pending.values()) {
      this.startTimer(other);
      worker.postMessage(other.request);
    }
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorkerThread(__dirname, 'plannerThread');
    worker.on('message', (reply: PlannerReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (waiting?.timer !== undefined) this.clock.clearTimer(waiting.timer);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(reply);
    });
    worker.on('error', (err: Error) => {
      // Errors thrown while loading or planning are answered by the thread; what reaches here killed it.
      this.retire(worker, new PlanningThreadError(`The planning thread failed: ${err.message}`));
    });
    worker.on('exit', () => this.retire(worker, new PlanningThreadError('The planning thread exited unexpectedly.')));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private retire(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    this.failAll(error);
  }

  private failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiting) {
      if (w.timer !== undefined) this.clock.clearTimer(w.timer);
      w.reject(error);
    }
  }
}
