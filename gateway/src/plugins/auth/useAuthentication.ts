import { createHash, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { GraphQLError } from 'graphql';
import type { GatewayConfig } from '../../config';
import { ASYMMETRIC_ALGS, HMAC_ALGS } from '../../config/gatewayConfig';
import type { Clock, Fetch, Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import type { GatewayPlugin, GatewayRequest } from '../types';
import { ANONYMOUS, claimAt, scopesFrom, type Identity } from './identity';
import { JwksCache } from './jwksCache';

type AuthConfig = GatewayConfig['auth'];
type IssuerConfig = AuthConfig['jwt']['issuers'][number];
type ForwardingRule = AuthConfig['forwarding']['default'];
type AuthDeps = { fetch: Fetch; clock: Clock; logger: Logger };

interface Issuer {
  config: IssuerConfig;
  key: KeyObject | Uint8Array | JWTVerifyGetKey;
  algorithms: string[];
  requireExp: boolean;
  maxTokenAge: number | undefined;
}

interface ApiKey {
  digest: Buffer;
  clientId: string;
  scopes: readonly string[];
}

/**
 * Authentication: resolves the caller once per request into `context.identity`, from a JWT bearer
 * token (verified with jose against the configured issuers), an API key (kept as SHA-256 hashes,
 * compared in constant time), or nothing (anonymous, when allowed). Credentials that are present but
 * wrong are refused with 401 and `WWW-Authenticate`, never treated as anonymous.
 *
 * It also sets the headers each subgraph receives: the client's Authorization header and headers
 * from claims, per subgraph, as configured. API keys are never forwarded.
 */
export function useAuthentication(config: AuthConfig, deps: AuthDeps): GatewayPlugin {
  const issuers = issuersFrom(config.jwt, deps);
  const apiKeys: ApiKey[] = config.apiKeys.keys.map((k) => ({ digest: Buffer.from(k.sha256.toLowerCase(), 'hex'), clientId: k.clientId, scopes: k.scopes }));
  const apiKeyHeader = config.apiKeys.header.toLowerCase();
  // Keyed by subgraph names, which the admin API lets anyone with the token choose: a Map, so that
  // `constructor` or `toString` finds its own rule or the default, never Object.prototype's.
  const forwardingRules = new Map(Object.entries(config.forwarding.subgraphs));

  async function identify(request: GatewayRequest): Promise<Identity> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization);
      if (!match) throw unauthenticated('the Authorization header is not "Bearer <token>"', 'invalid_request');
      return verifyJwt(match[1], issuers, deps.clock);
    }
    const apiKey = request.headers[apiKeyHeader];
    if (apiKey !== undefined) return checkApiKey(apiKey, apiKeys);
    if (!config.allowAnonymous) throw unauthenticated('no credentials');
    return ANONYMOUS;
  }

  return {
    name: 'authentication',
    async onRequest({ request, context, reject }) {
      try {
        context.identity = await identify(request);
      } catch (err) {
        if (err && typeof err === 'object' && 'extensions' in err) reject(err as GraphQLError);
        else throw err;
      }
    },
    // A WebSocket's connection_init: the same credentials, checked once at connect (and again by
    // onRequest for each operation, so a token that expires meanwhile stops working).
    async onConnection({ request, context, reject }) {
      try {
        context.identity = await identify(request);
      } catch (err) {
        if (err && typeof err === 'object' && 'extensions' in err) reject(err as GraphQLError);
        else throw err;
      }
    },
    onSubgraphRequest({ subgraph, headers, request, context }) {
      const rule = forwardingRules.get(subgraph) ?? config.forwarding.default;
      forwardHeaders(rule, request, context.identity, headers);
    },
  };
}

/** The configured issuers by `iss`, each with its key (a JWKS cache, a public key or a secret) and its checks. */
function issuersFrom(jwt: AuthConfig['jwt'], deps: AuthDeps): Map<string, Issuer> {
  const issuers = new Map<string, Issuer>();
  for (const c of jwt.issuers) {
    let key: Issuer['key'];
    if (c.jwksUrl) {
      const cache = new JwksCache(c.jwksUrl, deps.fetch, deps.clock, deps.logger, { maxAgeMs: jwt.jwksMaxAgeMs, cooldownMs: jwt.jwksCooldownMs });
      key = (header) => cache.getKey(header);
    } else if (c.publicKey) {
      key = createPublicKey(c.publicKey);
    } else {
      key = new TextEncoder().encode(c.secret);
    }
    issuers.set(c.issuer, {
      config: c,
      key,
      algorithms: [...(c.algorithms ?? (c.secret ? HMAC_ALGS : ASYMMETRIC_ALGS))],
      requireExp: c.requireExp ?? jwt.requireExp,
      maxTokenAge: c.maxTokenAge ?? jwt.maxTokenAge,
    });
  }
  return issuers;
}

function unauthenticated(reason: string, tokenError?: 'invalid_token' | 'invalid_request'): GraphQLError {
  const challenge = tokenError ? `Bearer realm="junction", error="${tokenError}"` : 'Bearer realm="junction"';
  return gatewayError(GatewayErrorCode.UNAUTHENTICATED, tokenError ? 'Invalid credentials.' : 'Authentication required.', {
    extensions: { reason },
    status: 401,
    headers: { 'www-authenticate': challenge },
  });
}

async function verifyJwt(token: string, issuers: ReadonlyMap<string, Issuer>, clock: Clock): Promise<Identity> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw unauthenticated('the bearer token is not a JWT', 'invalid_token');
  }
  const issuer = typeof unverified.iss === 'string' ? issuers.get(unverified.iss) : undefined;
  if (!issuer) throw unauthenticated('the token is from an unknown issuer', 'invalid_token');
  let payload: JWTPayload;
  const now = clock.epochMs();
  try {
    ({ payload } = await jwtVerify(token, issuer.key as JWTVerifyGetKey, {
      issuer: issuer.config.issuer,
      audience: issuer.config.audience,
      algorithms: issuer.algorithms,
      clockTolerance: issuer.config.clockToleranceSec,
      currentDate: new Date(now),
      requiredClaims: issuer.requireExp ? ['exp'] : [],
      // jose then requires `iat`, and refuses one too old or in the future.
      maxTokenAge: issuer.maxTokenAge,
    }));
  } catch (err) {
    throw unauthenticated(describeJoseError(err), 'invalid_token');
  }
  // jose checks that `iat` is not in the future only with maxTokenAge; a token "issued" later than
  // now is forged or from a broken clock either way.
  if (typeof payload.iat === 'number' && payload.iat > now / 1000 + issuer.config.clockToleranceSec) {
    throw unauthenticated('the token\'s "iat" claim is in the future', 'invalid_token');
  }
  const clientId = claimAt(payload, issuer.config.clientIdClaim);
  return Object.freeze({
    clientId: typeof clientId === 'string' || typeof clientId === 'number' ? String(clientId) : undefined,
    scopes: Object.freeze(scopesFrom(claimAt(payload, issuer.config.scopesClaim))),
    claims: Object.freeze({ ...payload }),
    via: 'jwt' as const,
  });
}

function checkApiKey(key: string, apiKeys: readonly ApiKey[]): Identity {
  const digest = createHash('sha256').update(key).digest();
  let found: ApiKey | undefined;
  // Compare against every key, in constant time each, so timing says nothing about which matched.
  for (const k of apiKeys) if (timingSafeEqual(k.digest, digest)) found = k;
  if (!found) throw unauthenticated('unknown API key', 'invalid_token');
  return Object.freeze({ clientId: found.clientId, scopes: Object.freeze([...found.scopes]), claims: Object.freeze({}), via: 'apiKey' as const });
}

/** Sets the headers one subgraph receives from the client's request as its forwarding rule says. */
function forwardHeaders(rule: ForwardingRule, request: GatewayRequest, identity: Identity | undefined, headers: Record<string, string>): void {
  if (rule.authorization && request.headers.authorization !== undefined) headers.authorization = request.headers.authorization;
  if (!identity) return;
  for (const [header, path] of Object.entries(rule.headersFromClaims)) {
    const value = claimAt(identity.claims, path);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') headers[header.toLowerCase()] = String(value);
    else if (Array.isArray(value)) headers[header.toLowerCase()] = value.filter((v) => typeof v === 'string').join(' ');
  }
}

/** Why verification failed, in words safe to return: no key material, no internals. */
function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return err.claim === 'iat' ? 'the token was issued longer ago than maxTokenAge allows' : 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `the token has no "${err.claim}" claim, which is required`;
    if (err.claim === 'iat' && err.reason === 'check_failed') return 'the token\'s "iat" claim is in the future';
    return `the token's "${err.claim}" claim is not accepted`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this issuer does not allow';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the token is signed with an unknown key';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be verified';
}
