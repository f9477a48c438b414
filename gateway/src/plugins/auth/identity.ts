/** Who is calling, as the authentication plugin resolved it; on the request context for every later plugin. */
export interface Identity {
  /** From the JWT claim `clientIdClaim` (default `sub`) or the API key's `clientId`; undefined when anonymous. */
  readonly clientId: string | undefined;
  readonly scopes: readonly string[];
  /** The verified JWT claims (empty for API keys and anonymous requests). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly via: 'jwt' | 'apiKey' | 'anonymous';
}

export const ANONYMOUS: Identity = Object.freeze({ clientId: undefined, scopes: Object.freeze([]), claims: Object.freeze({}), via: 'anonymous' });

declare module '../types' {
  interface GatewayContext {
    /** Set by the authentication plugin in onRequest. */
    identity?: Identity;
  }
}

/** Reads a dot path (`realm_access.roles`) out of JWT claims. */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Scopes from a claim: a space-separated string (RFC 6749 `scope`) or an array of strings (Entra ID `roles`, Auth0 `permissions`). */
export function scopesFrom(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
