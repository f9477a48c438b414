import type { Worker } from 'node:worker_threads';
import type { Clock } from '../deps';
import { startWorkerThread } from '../workerThread';
import { CompositionCrashCode, type CompositionCode, type CompositionOutcome, type SubgraphSource } from './composeSupergraph';
import type { CompositionJob } from './compositionThread';

export interface CompositionWorkerOptions {
  /** A composition that takes longer is abandoned (the thread is terminated) and reported as too complex. */
  timeoutMs: number;
  /** Heap of the composition thread (V8 old generation), MB. Past it the thread dies and the composition fails. */
  maxHeapMb: number;
  /** Times the composition limit, like the registry's other timers. */
  clock: Pick<Clock, 'setTimeout' | 'clearTimer'>;
}

/**
 * The worker's stack, MB. Node's main thread has V8's default of 984 KB: a worker with about as much
 * (a little less once Node keeps its margin) refuses a schema nested too deeply for the main thread
 * to load afterwards, rather than composing one that then overflows there.
 */
const STACK_SIZE_MB = 1;

interface Pending {
  job: CompositionJob;
  resolve(outcome: CompositionOutcome): void;
}

/**
 * Composes on a worker thread, so that a large composition (seconds for hundreds of subgraphs) does
 * not stall the requests the gateway is serving, and a pathological one (too deep, too big, too
 * slow) fails on its own thread with a composition error instead of taking the gateway down.
 *
 * One long-lived thread (loading @apollo/composition takes ~0.2 s), started on first use and
 * replaced after a crash or a timeout. Jobs run one at a time in call order. `compose` never rejects.
 */
export class CompositionWorker {
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private running: (Pending & { timer: unknown }) | undefined;
  private nextId = 1;

  constructor(private readonly options: CompositionWorkerOptions) {}

  compose(subgraphs: ReadonlyArray<SubgraphSource & { sdl: string }>): Promise<CompositionOutcome> {
    return new Promise((resolve) => {
      // Plain copies: a record may carry more than composition needs.
      const job = { id: this.nextId++, subgraphs: subgraphs.map(({ name, url, sdl }) => ({ name, url, sdl })) };
      this.queue.push({ job, resolve });
      this.runNext();
    });
  }

  /** Terminates the thread; queued and running compositions fail. A later `compose` starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    const stopped = failure(CompositionCrashCode.FAILED, 'The composition thread was stopped (the gateway is shutting down).');
    for (const pending of this.queue.splice(0)) pending.resolve(stopped);
    this.finish(stopped);
    await worker?.terminate();
  }

  private runNext(): void {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) return;
    const worker = this.thread();
    worker.ref();
    const timer = this.options.clock.setTimeout(() => {
      this.retire(worker);
      this.finish(failure(CompositionCrashCode.TOO_COMPLEX, `Composition took longer than ${this.options.timeoutMs} ms and was stopped.`));
    }, this.options.timeoutMs);
    this.running = { ...next, timer };
    worker.postMessage(next.job);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorkerThread(__dirname, 'compositionThread', { stackSizeMb: STACK_SIZE_MB, maxOldGenerationSizeMb: this.options.maxHeapMb });
    worker.on('message', (message: { id: number; outcome: CompositionOutcome }) => {
      if (this.running?.job.id === message.id) this.finish(message.outcome);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      // Errors thrown by composition are caught in the thread; what reaches here killed it.
      this.retire(worker);
      this.finish(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failure(CompositionCrashCode.TOO_COMPLEX, `Composition ran out of memory (registry.compositionMaxHeapMb is ${this.options.maxHeapMb}).`)
          : failure(CompositionCrashCode.FAILED, `The composition thread failed: ${err.message}`),
      );
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.finish(failure(CompositionCrashCode.FAILED, 'The composition thread exited unexpectedly.'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Drops a thread that is dead or stuck; the next job starts a new one. */
  private retire(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  private finish(outcome: CompositionOutcome): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.options.clock.clearTimer(running.timer);
    // An idle thread must not keep the process alive.
    this.worker?.unref();
    running.resolve(outcome);
    this.runNext();
  }
}

function failure(code: CompositionCode, message: string): CompositionOutcome {
  return { ok: false, errors: [{ code, message, subgraphs: [] }] };
}
