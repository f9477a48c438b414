import type { Clock, TimerHandle } from '../../gateway/src/deps';

interface Timer {
  at: number;
  fn: () => void;
  /** For an interval: its period. */
  every?: number;
}

/**
 * A clock that stands still until a test moves it: `advance(ms)` runs, in time order, every timer
 * that falls due, and lets promises settle between them, so code that sleeps and then awaits runs
 * as it would. Monotonic time (`now`) and wall time (`epochMs`) move together.
 */
export class FakeClock implements Clock {
  private ms = 0;
  private readonly timers = new Map<symbol, Timer>();

  /** `epochAt`: the wall time at the start, ms since the epoch. */
  constructor(private readonly epochAt = 1_700_000_000_000) {}

  now = (): number => this.ms;
  epochMs = (): number => this.epochAt + this.ms;

  setTimeout = (fn: () => void, ms: number): TimerHandle => this.add({ at: this.ms + Math.max(0, ms), fn });
  setInterval = (fn: () => void, ms: number): TimerHandle => this.add({ at: this.ms + Math.max(1, ms), fn, every: Math.max(1, ms) });
  clearTimer = (handle: TimerHandle): void => void this.timers.delete(handle as symbol);

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running the timers that fall due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.ms + ms;
    for (;;) {
      await settle();
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!next) break;
      const [handle, timer] = next;
      this.ms = timer.at;
      if (timer.every === undefined) this.timers.delete(handle);
      else timer.at += timer.every;
      timer.fn();
    }
    this.ms = until;
    await settle();
  }

  private add(timer: Timer): TimerHandle {
    const handle = Symbol('timer');
    this.timers.set(handle, timer);
    return handle;
  }
}

/** Lets pending promise callbacks (and the ones they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
