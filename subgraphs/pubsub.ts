import { EventEmitter } from 'node:events';

/**
 * In-memory publish/subscribe for one subgraph server: mutations publish, subscription resolvers
 * subscribe. `startSubgraph` makes one per server and hands it to resolvers as `context.pubsub`, so
 * two servers of the same subgraph (tests start many) never see each other's events.
 */
export class PubSub {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per open subscription: tests open hundreds, which is not a leak.
    this.#emitter.setMaxListeners(0);
  }

  publish(topic: string, payload: unknown): void {
    this.#emitter.emit(topic, payload);
  }

  /**
   * The payloads published on `topic` from now on that `accept` lets through.
   *
   * The listener is added at once, not on the first `next()`: graphql-ws and graphql-sse announce a
   * subscription (onOperation) before they pull from it, and an event published in between must not
   * be lost. Not an async generator: a generator's `return()` waits for a pending `next()`, so a
   * client leaving a quiet topic would leave its listener behind until the next event.
   */
  subscribe<T>(topic: string, accept: (payload: T) => boolean = () => true): AsyncIterableIterator<T> {
    const emitter = this.#emitter;
    const queued: T[] = [];
    const waiting: Array<(step: IteratorResult<T>) => void> = [];
    let open = true;
    const listener = (payload: T) => {
      if (!accept(payload)) return;
      const resolve = waiting.shift();
      if (resolve) resolve({ value: payload, done: false });
      else queued.push(payload);
    };
    const close = (): Promise<IteratorResult<T>> => {
      if (open) {
        open = false;
        emitter.off(topic, listener);
        queued.length = 0;
        for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      }
      return Promise.resolve({ value: undefined, done: true });
    };
    emitter.on(topic, listener);
    return {
      next: () => {
        if (queued.length > 0) return Promise.resolve({ value: queued.shift() as T, done: false });
        if (!open) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: close,
      throw: (error: unknown) => close().then(() => Promise.reject(error)),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Listeners on `topic`: tests check that subscriptions a client left are gone. */
  listenerCount(topic: string): number {
    return this.#emitter.listenerCount(topic);
  }
}
