import type { ExecutionResultBody } from '../plugins/types';
import type { PayloadStream } from './result';

/** A queue read as a PayloadStream: `next()` waits for a payload, `return()` ends it at once. */
export class PayloadQueue implements PayloadStream {
  private readonly items: ExecutionResultBody[] = [];
  private readonly sizes: number[] = [];
  /** The sizes given with the payloads waiting. */
  bytes = 0;
  private waiting: ((result: IteratorResult<ExecutionResultBody, undefined>) => void) | undefined;
  private closed = false;

  constructor(private readonly onReturn: () => void) {}

  get size(): number {
    return this.items.length;
  }

  push(item: ExecutionResultBody, size = 0): void {
    if (this.closed) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) return waiting({ value: item, done: false });
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
  }

  /** No more payloads: what is queued is still read. */
  end(): void {
    this.closed = true;
    if (this.items.length === 0) this.release();
  }

  /** No more payloads, and what is queued is thrown away. */
  discard(): void {
    this.items.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
    this.end();
  }

  next(): Promise<IteratorResult<ExecutionResultBody, undefined>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.bytes -= this.sizes.shift() ?? 0;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResultBody, undefined>> {
    this.discard();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }
}
