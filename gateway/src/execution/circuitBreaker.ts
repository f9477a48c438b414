import type { Clock } from '../deps';

export interface BreakerOptions {
  /** Failures within `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open circuit refuses before letting one probe through (half-open). */
  openMs: number;
}

/**
 * A circuit breaker for one subgraph URL. Closed: requests pass and failures are counted in a
 * sliding window; at `failureThreshold` the circuit opens. Open: requests are refused at once
 * (no waiting on a sick subgraph) until `openMs` has passed; then one probe is let through
 * (half-open): its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  /** Failures in the window: when, and how many requests each stood for. */
  private failures: Array<{ at: number; count: number }> = [];
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly options: BreakerOptions,
    private readonly clock: Clock,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.clock.now() - this.openedAt >= this.options.openMs ? 'half-open' : 'open';
  }

  /** Whether a request may go now; in half-open state only one (the probe) may. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = [];
    this.openedAt = undefined;
    this.probing = false;
  }

  /**
   * A failed request. `count` is how many client requests it stood for: one fetch shared by ten
   * identical queries (deduplication) is ten failures, as ten fetches would have been, so that the
   * circuit opens as soon as it would without sharing.
   */
  failure(count = 1): void {
    const now = this.clock.now();
    if (this.openedAt !== undefined) {
      // The probe failed: open again for another period.
      this.openedAt = now;
      this.probing = false;
      return;
    }
    this.failures = this.failures.filter((f) => now - f.at < this.options.windowMs);
    this.failures.push({ at: now, count });
    let total = 0;
    for (const f of this.failures) total += f.count;
    if (total >= this.options.failureThreshold) this.openedAt = now;
  }
}
