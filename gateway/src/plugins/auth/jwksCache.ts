import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type KeyLike } from 'jose';
import type { Clock, Fetch, Logger } from '../../deps';

export interface JwksCacheOptions {
  /** Refetch the key set when it is older than this, ms (a failed refetch keeps the old one). */
  maxAgeMs: number;
  /** Least time between refetches triggered by an unknown `kid`, ms: a flood of bogus kids cannot hammer the JWKS server. */
  cooldownMs: number;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/**
 * One issuer's JSON Web Key Set, fetched over the injected transport and kept: keys keep working
 * while the JWKS server is down, and a token signed with a key the cache does not know triggers one
 * refetch (after the cool-down), so a rotated key is accepted without a restart.
 */
export class JwksCache {
  private resolver: KeyResolver | undefined;
  private fetchedAt = -Infinity;
  private lastAttempt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly fetch: Fetch,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: JwksCacheOptions,
  ) {}

  async getKey(header: JWSHeaderParameters): Promise<KeyLike> {
    if (!this.resolver || this.clock.now() - this.fetchedAt > this.options.maxAgeMs) await this.refresh();
    if (!this.resolver) throw new Error('no JWKS available');
    try {
      return (await this.resolver(header)) as KeyLike;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || this.clock.now() - this.lastAttempt < this.options.cooldownMs) throw err;
      await this.refresh();
      return (await this.resolver(header)) as KeyLike;
    }
  }

  private refresh(): Promise<void> {
    // Concurrent requests share one fetch.
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    this.lastAttempt = this.clock.now();
    try {
      const res = await this.fetch(this.url, { method: 'GET', headers: { accept: 'application/json' }, idempotent: true });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const jwks = JSON.parse(text) as JSONWebKeySet;
      if (!jwks || !Array.isArray(jwks.keys)) throw new Error('no "keys" list');
      this.resolver = createLocalJWKSet(jwks);
      this.fetchedAt = this.clock.now();
    } catch (err) {
      // Keep the keys we have: a JWKS outage must not lock every client out.
      this.logger.warn('JWKS fetch failed', { jwks: this.url, reason: (err as Error).message, keptCachedKeys: this.resolver !== undefined });
    }
  }
}
