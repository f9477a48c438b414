import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './configError';
import { corsOriginProblem } from './corsOrigins';

/** Names a subgraph can have: they become enum values in the supergraph, so GraphQL name rules apply. */
export const SUBGRAPH_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL');

/** The names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or one of PROXY_RANGE_NAMES. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  // A zone (fe80::1%eth0) is a local detail proxy-addr cannot match.
  if (family === 0 || rest.length > 0 || address.includes('%')) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * A record keyed by names from outside the code (subgraph names, tiers, header names). Its object has
 * no prototype, so `record[name]` finds only what the config gives: a subgraph named `constructor` or
 * `toString` must not find Object.prototype's functions. `__proto__` is refused: zod would drop it
 * without a word, and nothing can be named so (GraphQL reserves `__` names).
 */
function namedRecord<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V): z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>> {
  const checked = z.preprocess((input, ctx) => {
    if (input && typeof input === 'object' && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: '"__proto__" cannot be used as a name' });
    }
    return input;
  }, z.record(key, value));
  return checked.transform((record) => Object.assign(Object.create(null) as Record<string, z.output<V>>, record)) as unknown as z.ZodType<
    Record<string, z.output<V>>,
    Record<string, z.input<V>>
  >;
}

const ListenSchema = z
  .object({
    /** Interface to bind. Default `0.0.0.0`. */
    host: z.string().min(1).default('0.0.0.0'),
    /** TCP port; 0 picks a free one. Default 4000. Env `JUNCTION_PORT` (or `PORT`) overrides it. */
    port: z.number().int().min(0).max(65535).default(4000),
    /** Serve HTTPS with this certificate and key (PEM files, relative to the config file). */
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    /**
     * The proxies in front of the gateway: addresses, CIDRs, or `loopback` / `linklocal` /
     * `uniquelocal`. A request's address (anonymous budgets, logs) is then read from
     * X-Forwarded-For, hop by hop, for as long as the hop it came through is one of them. Default
     * `false`: the peer's own address, X-Forwarded-For ignored. No hop count: it would trust whatever
     * peer connects, so a client reaching the gateway directly could pick its own address.
     */
    trustProxy: z
      .union([
        z.literal(false),
        z
          .array(z.string().refine(isProxyAddress, 'expected an IP address, a CIDR (10.0.0.0/8), loopback, linklocal or uniquelocal'))
          .min(1),
      ], { error: 'expected false or a list of proxy addresses / CIDRs (a hop count is not accepted)' })
      .default(false),
  })
  .strict();

const LimitsSchema = z
  .object({
    /**
     * Largest request body accepted, in bytes. Default 1 MiB. Bigger bodies get 413. 0 turns it off
     * (only behind a proxy that limits bodies: the gateway holds each body in memory).
     */
    maxBodyBytes: z
      .number()
      .int()
      .refine((n) => n === 0 || n >= 1024, 'expected 0 (off) or at least 1024')
      .default(1_048_576),
    /** Per-subgraph request timeout in ms. Default 30 000. A timed-out fetch is a SUBGRAPH_UNAVAILABLE error. */
    subgraphTimeoutMs: z.number().int().min(1).default(30_000),
    /**
     * Deepest field nesting allowed, fragments expanded. Default 25; 0 turns it off. Lower rejects
     * legitimate deep queries; higher widens the denial-of-service surface.
     */
    maxDepth: z.number().int().min(0).default(25),
    /** Most aliased fields in an operation (alias bombs). Default 200; 0 turns it off. */
    maxAliases: z.number().int().min(0).default(200),
    /** Most root fields in an operation. Default 100; 0 turns it off. */
    maxRootFields: z.number().int().min(0).default(100),
    /**
     * Most field selections in an operation once its fragments are expanded, each spread counted
     * every time it is used. Default 1 000; 0 turns it off. Refuses documents whose expansion is far
     * larger than their text (fragments spreading fragments twice) before anything walks them: the
     * planner's work grows with this number.
     */
    maxSelections: z.number().int().min(0).default(1_000),
    /**
     * Most `__schema` and `__type` fields in an operation. Default 3 (GraphiQL and codegen ask one);
     * 0 turns it off. Each one answers a copy of the schema.
     */
    maxIntrospectionFields: z.number().int().min(0).default(3),
    /** Most directive applications in a document. Default 100; 0 turns it off. */
    maxDirectives: z.number().int().min(0).default(100),
    /**
     * Most milliseconds a cold plan may take on the planning thread; past it the operation is refused
     * with QUERY_PLANNING_TIMEOUT (and from then on at once), and the thread is replaced: one
     * pathological operation cannot hold planning for the others. Default 2 000 (plans take
     * milliseconds); 0 turns it off.
     */
    planningTimeoutMs: z.number().int().min(0).default(2_000),
    /** Most lexical tokens in a document, checked while parsing (a huge document is refused cheaply). Default 15 000; 0 turns it off. */
    maxTokens: z
      .number()
      .int()
      .refine((n) => n === 0 || n >= 100, 'expected 0 (off) or at least 100')
      .default(15_000),
    /** Answer `__schema` / `__type` introspection. Default true; turn off to hide the schema. */
    introspection: z.boolean().default(true),
    /** Most keep-alive connections per subgraph origin. Default 128. */
    subgraphConnections: z.number().int().min(1).default(128),
    /**
     * Time a client has to send its whole request, headers and body, in ms; then it gets 408 and its
     * connection is closed. Default 30 000; 0 turns it off. Without it, a body that stalls half-sent
     * holds its socket (and its buffer) forever. Answering takes as long as it takes: only receiving counts.
     */
    requestTimeoutMs: z.number().int().min(0).default(30_000),
    /** Time a client has to send its request headers, in ms (slowloris), and over TLS to finish its handshake. Default 10 000; 0: Node's own (60 s; 120 s for the handshake). At most `requestTimeoutMs`. */
    headersTimeoutMs: z.number().int().min(0).default(10_000),
    /**
     * How long an idle keep-alive connection stays open between requests, in ms. Default 72 000:
     * longer than the idle timeout of common load balancers (60 s), so they close it first.
     */
    keepAliveTimeoutMs: z.number().int().min(1).default(72_000),
    /**
     * How long an answer may go without the client reading any of it, in ms; then the connection is
     * closed and what was left unsent is freed. Default 30 000; 0 turns it off. Counted between two
     * writes that make progress, not over the whole answer (as nginx's `send_timeout`), so a slow
     * client that keeps reading is served. Without it, a client that asks for a large answer and
     * never reads holds that answer in the gateway's memory for as long as it keeps the socket.
     */
    sendTimeoutMs: z.number().int().min(0).default(30_000),
    /**
     * Most client connections open at once on the client listener, idle keep-alive ones included.
     * Default 10 000; 0: no limit (the process's file descriptor limit still applies). Past it a new
     * connection is closed as soon as it is accepted, counted in `junction_connections_dropped_total`,
     * and a warning is logged at most once a minute; open connections keep being served. Keep it well
     * under the file descriptor limit: subgraph connections need descriptors too.
     */
    maxConnections: z.number().int().min(0).default(10_000),
    /**
     * Largest subgraph response body read, in bytes. Default 32 MiB; 0 turns it off. Past it the
     * gateway stops reading (the connection is dropped) and the fields of that fetch get
     * SUBGRAPH_RESPONSE_TOO_LARGE: one huge answer costs at most this much memory. Per subgraph:
     * `routing.<subgraph>.maxResponseBytes`.
     */
    maxSubgraphResponseBytes: z
      .number()
      .int()
      .refine((n) => n === 0 || n >= 1024, 'expected 0 (off) or at least 1024')
      .default(33_554_432),
  })
  .strict()
  .superRefine((limits, ctx) => {
    // Node refuses a headers timeout longer than the request timeout.
    if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
      ctx.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: `expected at most limits.requestTimeoutMs (${limits.requestTimeoutMs})` });
    }
  });

const CacheSchema = z
  .object({
    /** Parsed documents kept (LRU), keyed by query text. Default 1000. */
    documents: z.number().int().min(1).default(1000),
    /** Validated, planned operations kept per supergraph (LRU), keyed by query text and operation name. Default 1000. */
    plans: z.number().int().min(1).default(1000),
  })
  .strict();

const ApqSchema = z
  .object({
    /**
     * Answer Apollo's automatic persisted queries (`extensions.persistedQuery`): a client sends a
     * query's SHA-256 instead of its text, and the text once when the gateway does not know it.
     * Default true, as in Apollo Server and Apollo Router: a client can register only what it could
     * send as text anyway (registered only once it validated and passed every plugin's checks, run
     * with the same limits, cost and budgets each time), and the store is bounded. False answers
     * PERSISTED_QUERY_NOT_SUPPORTED, and clients go back to sending the text.
     */
    enabled: z.boolean().default(true),
    /** `memory` (default): a bounded LRU per process. `redis`: shared by replicas, so a query registered on one is known to all. */
    store: z.enum(['memory', 'redis']).default('memory'),
    /** Memory store: most queries kept; the least recently used go first. Default 10 000. */
    maxEntries: z.number().int().min(1).default(10_000),
    /**
     * Memory store: most bytes of query text kept (UTF-8, with their hashes). Default 16 MiB. A query
     * larger than this is run but not kept.
     */
    maxBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
    /** Redis URL for the redis store; env `JUNCTION_REDIS_URL` sets it too. */
    redisUrl: z.string().min(1).optional(),
    /** Prefix of the Redis keys (prefix + hash). Default `junction:apq:`. */
    redisPrefix: z.string().default('junction:apq:'),
    /**
     * Redis store: seconds a registered query is kept; a client whose query expired sends it again.
     * Default 86 400 (a day). 0: kept until Redis evicts it (only with a `maxmemory-policy` that evicts).
     */
    redisTtlSeconds: z.number().int().min(0).default(86_400),
  })
  .strict();

const RegistrySchema = z
  .object({
    /**
     * Where registered subgraphs are kept. `file` (default): a local JSON file, for one process.
     * `redis`: shared by every replica pointing at the same Redis.
     */
    store: z.enum(['file', 'redis']).default('file'),
    /** File store path, relative to the config file. Default `.junction/registry.json`. */
    file: z.string().min(1).default('.junction/registry.json'),
    /** Redis URL for the redis store. Env `JUNCTION_REDIS_URL` overrides it. */
    redisUrl: z.string().min(1).optional(),
    /** Prefix of the Redis keys and channel. Default `junction:`. Replicas sharing a registry share it. */
    redisPrefix: z.string().default('junction:'),
    /** Re-fetch every subgraph's SDL this often (ms) and recompose on change; 0 turns polling off. Default 30 000. */
    pollIntervalMs: z.number().int().min(0).default(30_000),
    /**
     * Compare the served supergraph with the store this often (ms), in case a change notification was
     * missed. Default 1000; 0 turns it off.
     */
    reconcileIntervalMs: z.number().int().min(0).default(1_000),
    /**
     * Hosts that registered subgraph URLs may name: host names or addresses, `*.example.com`, or `*`.
     * Default: loopback only. Keeps the admin API from making the gateway call arbitrary hosts.
     */
    allowedHosts: z.array(z.string().min(1)).default(['localhost', '127.0.0.1', '::1']),
    /**
     * A composition (on its own thread) that takes longer is stopped and fails with
     * COMPOSITION_TOO_COMPLEX. Default 60 000 ms: hundreds of subgraphs compose in seconds; lower
     * it to refuse pathological schemas sooner.
     */
    compositionTimeoutMs: z.number().int().min(1).default(60_000),
    /**
     * Heap of the composition thread, MB; a composition that needs more fails with
     * COMPOSITION_TOO_COMPLEX instead of exhausting the gateway's memory. Default 2048.
     */
    compositionMaxHeapMb: z.number().int().min(16).default(2_048),
    /**
     * Largest SDL answer read from a subgraph, in bytes: the whole `_service { sdl }` response, or
     * the introspection result of a plain service (some 3 times its SDL). Default 8 MiB; the SDLs of
     * 205 real subgraphs take a few MB together. Past it the gateway stops reading and drops the
     * connection: a registration is refused with 422 SUBGRAPH_RESPONSE_TOO_LARGE, a poll keeps the
     * last good SDL. Its own limit, not `limits.maxSubgraphResponseBytes`: an SDL is stored and
     * composed, and raising the limit for a subgraph's data should not raise it for its schema.
     */
    maxSdlBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
  })
  .strict();

/**
 * Client names and versions a trusted-document manifest is registered for (as the
 * `apollographql-client-name` / `-version` headers carry them): 1-128 printable ASCII characters,
 * not starting or ending with a space.
 */
export const CLIENT_NAME = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

const TrustedDocumentsSchema = z
  .object({
    /**
     * Keep trusted-document manifests: read `manifests`, and serve `/admin/documents` (with an admin
     * token), storing pushed manifests in the registry's store (`registry.store`: beside the registry
     * file, or in its Redis under `registry.redisPrefix`). Default false.
     */
    enabled: z.boolean().default(false),
    /**
     * Manifest files (paths relative to the config file), each for one client (`client`), one client
     * version (`client` and `version`), or every client (neither). Apollo's persisted query manifest,
     * Relay's `persisted_queries.json` or GraphQL Code Generator's persisted documents. Read at
     * startup (a malformed one stops the start, naming the file, line and reason) and again when
     * they change (a malformed change is logged and the last good one kept). Default none.
     */
    manifests: z
      .array(
        z
          .object({
            file: z.string().min(1),
            client: z.string().regex(CLIENT_NAME, 'expected 1-128 printable ASCII characters').optional(),
            version: z.string().regex(CLIENT_NAME, 'expected 1-128 printable ASCII characters').optional(),
          })
          .strict()
          .refine((m) => m.version === undefined || m.client !== undefined, { message: 'a version needs a client', path: ['version'] }),
      )
      .default([]),
    /** Check the manifest files for changes this often (ms); 0 reads them only at startup. Default 2 000. */
    pollIntervalMs: z.number().int().min(0).default(2_000),
    /** Most documents in one manifest (file or pushed); a bigger one is refused whole. Default 10 000. */
    maxDocumentsPerManifest: z.number().int().min(1).default(10_000),
    /**
     * Most documents in all manifests together, files and store. Default 100 000. Every replica
     * holds them all in memory (their text, a few hundred bytes to a few KB each); a push past the
     * limit is refused with TOO_MANY_DOCUMENTS and nothing stored changes.
     */
    maxDocuments: z.number().int().min(1).default(100_000),
    /** Largest manifest, in bytes: a pushed body (413 MANIFEST_TOO_LARGE) or a file. Default 8 MiB. */
    maxManifestBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
    /**
     * Run operations that are in no manifest. Default true, for rollout: watch
     * `junction_trusted_documents_total{result="unknown"}` (and `logUnknown`) until only your apps'
     * operations arrive, then set false: any other operation is refused with 400
     * PERSISTED_QUERY_NOT_ALLOWED before it is parsed, and no subgraph is called.
     */
    allowArbitrary: z.boolean().default(true),
    /**
     * Log each operation that is in no manifest (its client, hash, operation name and the start of
     * its text), refused or not. Default false; they are counted either way.
     */
    logUnknown: z.boolean().default(false),
    /**
     * Callers who may send any operation when `allowArbitrary` is false (internal tools, the
     * schema's owners): authenticated client ids (the JWT's client id claim or an API key's
     * `clientId`) and budget tiers (`budgets.assign`). Never the self-declared client-name headers.
     * Default none.
     */
    exempt: z
      .object({
        clientIds: z.array(z.string().min(1)).default([]),
        tiers: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const AdminSchema = z
  .object({
    /**
     * Bearer token for the admin API; the API is off without one. Prefer env `JUNCTION_ADMIN_TOKEN`,
     * which overrides this. At least 16 characters.
     */
    token: z.string().min(16, 'expected at least 16 characters').optional(),
  })
  .strict();

const OperationsSchema = z
  .object({
    /**
     * A listener of its own for `/metrics`, `/readyz` and `/healthz`, apart from client traffic: bind
     * it where only Prometheus and the orchestrator reach. Default: none.
     */
    listen: z
      .object({
        /** Default `127.0.0.1`: this host only. `0.0.0.0` for probes and scrapers from other hosts (pods). */
        host: z.string().min(1).default('127.0.0.1'),
        /** Default 9464 (the OpenTelemetry Prometheus exporter's); 0 picks a free one. */
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .optional(),
    /**
     * Bearer token `/metrics` and `/readyz` require, wherever they are served. Prefer env
     * `JUNCTION_OPERATIONS_TOKEN`, which overrides this. At least 16 characters.
     */
    token: z.string().min(16, 'expected at least 16 characters').optional(),
  })
  .strict();

/** JWT algorithms for an issuer with a public key or JWKS; also its default list. @internal */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** JWT algorithms for an issuer with a shared secret; also its default list. @internal */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;

const IssuerSchema = z
  .object({
    /** The `iss` a token must carry to be checked against this issuer. */
    issuer: z.string().min(1),
    /** Where the issuer publishes its keys (JWKS). Give one of jwksUrl, publicKey, secret. */
    jwksUrl: httpUrl.optional(),
    /** A static public key, PEM (SPKI). */
    publicKey: z.string().min(1).optional(),
    /** A static HMAC secret (HS256/384/512), 32 characters or more. */
    secret: z.string().min(32, 'expected at least 32 characters').optional(),
    /** Accepted `aud` value(s). Without it, tokens for any audience of this issuer pass: set it. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Accepted algorithms. Default: the asymmetric ones for keys, the HS ones for a secret (never both). */
    algorithms: z.array(z.enum([...ASYMMETRIC_ALGS, ...HMAC_ALGS])).min(1).optional(),
    /** Leeway for `exp`/`nbf`/`iat`, seconds. Default 5. */
    clockToleranceSec: z.number().min(0).max(300).default(5),
    /** Refuse tokens without `exp` from this issuer. Default: `auth.jwt.requireExp`. */
    requireExp: z.boolean().optional(),
    /** Refuse tokens from this issuer whose `iat` is older than this, seconds (`iat` then required). Default: `auth.jwt.maxTokenAge`. */
    maxTokenAge: z.number().int().min(1).optional(),
    /** The claim naming the client. Default `sub`. */
    clientIdClaim: z.string().min(1).default('sub'),
    /** The claim holding scopes, a dot path; a space-separated string or an array. Default `scope`. */
    scopesClaim: z.string().min(1).default('scope'),
  })
  .strict()
  .superRefine((issuer, ctx) => {
    const sources = [issuer.jwksUrl, issuer.publicKey, issuer.secret].filter((v) => v !== undefined).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'give exactly one of jwksUrl, publicKey or secret' });
    const allowed: readonly string[] = issuer.secret !== undefined ? HMAC_ALGS : ASYMMETRIC_ALGS;
    for (const [i, alg] of (issuer.algorithms ?? []).entries()) {
      if (!allowed.includes(alg)) ctx.addIssue({ code: 'custom', path: ['algorithms', i], message: `${alg} does not fit this issuer's key type` });
    }
  });

const ForwardRuleSchema = z
  .object({
    /** Pass the client's Authorization header through. Default false. */
    authorization: z.boolean().default(false),
    /** Headers to set from claims: header name -> claim path, e.g. `x-user-id: sub`. */
    headersFromClaims: namedRecord(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), z.string().min(1)).prefault({}),
  })
  .strict();

const AuthSchema = z
  .object({
    /** Serve requests without credentials (as anonymous). Default true. Invalid credentials are always refused. */
    allowAnonymous: z.boolean().default(true),
    jwt: z
      .object({
        issuers: z.array(IssuerSchema).default([]),
        /** Refetch a JWKS older than this, ms. Default 600 000. */
        jwksMaxAgeMs: z.number().int().min(1000).default(600_000),
        /** Least time between refetches on an unknown `kid`, ms. Default 30 000. */
        jwksCooldownMs: z.number().int().min(0).default(30_000),
        /**
         * Refuse tokens without an `exp` claim. Default true: a token that never expires stays a
         * credential forever once leaked. Per issuer: `issuers[].requireExp`.
         */
        requireExp: z.boolean().default(true),
        /**
         * Refuse tokens whose `iat` is older than this many seconds, whatever their `exp` (tokens without
         * `iat` are then refused). Default: unset, no limit. Per issuer: `issuers[].maxTokenAge`.
         */
        maxTokenAge: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ issuers: [], jwksMaxAgeMs: 600_000, jwksCooldownMs: 30_000, requireExp: true }),
    apiKeys: z
      .object({
        /** Request header carrying the key. Default `x-api-key`. */
        header: z.string().regex(/^[A-Za-z0-9-]+$/).default('x-api-key'),
        /** Keys as SHA-256 hashes (hex), never in clear. */
        keys: z
          .array(
            z
              .object({
                sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits'),
                clientId: z.string().min(1),
                scopes: z.array(z.string().min(1)).default([]),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ header: 'x-api-key', keys: [] }),
    /** What reaches subgraphs. API keys are never forwarded. */
    forwarding: z
      .object({
        default: ForwardRuleSchema.prefault({}),
        /** Per subgraph name, replacing `default`. */
        subgraphs: namedRecord(z.string(), ForwardRuleSchema).prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const AuthorizationSchema = z
  .object({
    /**
     * `filter` (default): unauthorized fields are removed before planning and answered null with an
     * error each. `reject`: the whole operation is refused (403) when anything would be removed.
     */
    mode: z.enum(['filter', 'reject']).default('filter'),
    /**
     * Module (path relative to the config file) exporting `(policyName, identity, request) =>
     * boolean | Promise<boolean>` (as `module.exports`, `default` or `evaluatePolicy`): decides `@policy`.
     * Without it every policy is denied.
     */
    policyModule: z.string().min(1).optional(),
  })
  .strict();

const RoutingSchema = z
  .object({
    /** URLs to spread this subgraph's requests over, instead of the one the supergraph names. */
    urls: z.array(httpUrl).min(1).optional(),
    /** This subgraph's request timeout in ms, instead of `limits.subgraphTimeoutMs`. */
    timeoutMs: z.number().int().min(1).optional(),
    /** This subgraph's largest response body in bytes (0: no limit), instead of `limits.maxSubgraphResponseBytes`. */
    maxResponseBytes: z
      .number()
      .int()
      .refine((n) => n === 0 || n >= 1024, 'expected 0 (off) or at least 1024')
      .optional(),
    /** `round-robin` (default) or `least-pending` (the URL with fewest requests in flight). */
    balance: z.enum(['round-robin', 'least-pending']).default('round-robin'),
  })
  .strict();

const ResilienceSchema = z
  .object({
    /** Extra attempts for a failed query fetch (never a mutation), on the next URL when there is one. Default 2. */
    retries: z.number().int().min(0).max(10).default(2),
    /** Wait before the first retry, ms, doubled each time. Default 25. */
    retryBackoffMs: z.number().int().min(0).default(25),
    /** Failures within `breakerWindowMs` that open a URL's circuit. Default 5. */
    breakerFailureThreshold: z.number().int().min(1).default(5),
    breakerWindowMs: z.number().int().min(1).default(10_000),
    /** How long an open circuit refuses before one probe request is let through. Default 5 000. */
    breakerOpenMs: z.number().int().min(1).default(5_000),
  })
  .strict();

const wsOrHttpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'expected an http(s) or ws(s) URL');

const SubscriptionSubgraphSchema = z
  .object({
    /** `ws` (graphql-transport-ws, the default) or `sse` (GraphQL over SSE, distinct connections). */
    protocol: z.enum(['ws', 'sse']).default('ws'),
    /** Where to subscribe, instead of the subgraph's URL (for `ws`: its http(s) URL as ws(s)). */
    url: wsOrHttpUrl.optional(),
  })
  .strict();

const SubscriptionsSchema = z
  .object({
    /** Serve subscriptions over WebSocket, SSE and multipart HTTP. Default true. */
    enabled: z.boolean().default(true),
    /** Per subgraph: how the gateway subscribes there. Default: graphql-transport-ws at the subgraph's URL. */
    subgraphs: namedRecord(z.string(), SubscriptionSubgraphSchema).prefault({}),
    /** Subscriptions one client (an authenticated client id, or an anonymous caller's address) may have open at once; 0: no limit. Default 20. */
    maxPerClient: z.number().int().min(0).default(20),
    /**
     * Events a subscriber may have waiting (being made, or not yet taken by its connection) before
     * it is cut off as too slow: the connection is closed. Default 100.
     */
    maxQueuedEvents: z.number().int().min(1).max(100_000).default(100),
    /** The same in bytes (of the events as subgraphs sent them), past which a client is cut off. Default 16 MiB; a single larger event is still sent. */
    maxQueuedBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
    /**
     * Operations one WebSocket connection may have under way at once (subscriptions, and queries and
     * mutations not yet answered); one more is refused. Default 100. (HTTP/1.1 runs one per connection.)
     */
    maxOperationsPerConnection: z.number().int().min(1).default(100),
    /** WebSocket clients: time to send `connection_init` after connecting (ms; default 3 000), and the ping interval (ms; default 12 000; 0: off). */
    connectionInitWaitTimeoutMs: z.number().int().min(1).default(3_000),
    keepAliveMs: z.number().int().min(0).default(12_000),
    /** SSE and multipart HTTP: a heartbeat when nothing was sent for this long (ms; default 5 000, as Apollo's multipart protocol asks). */
    heartbeatMs: z.number().int().min(100).default(5_000),
    /** Upstream: time a subgraph has to acknowledge a WebSocket connection (ms; default 5 000). */
    upstreamConnectTimeoutMs: z.number().int().min(1).default(5_000),
  })
  .strict();

const CostSchema = z
  .object({
    /**
     * `off` (default): no cost analysis. `measure`: estimate and report (`extensions.cost`) without
     * refusing, to roll limits out safely. `enforce`: also refuse operations over `maxCost`.
     */
    mode: z.enum(['off', 'measure', 'enforce']).default('off'),
    /** Largest estimated cost an operation may have. Unset: no limit. */
    maxCost: z.number().min(0).optional(),
    /** Size assumed for a list without @listSize. Default 10. */
    defaultListSize: z.number().int().min(0).default(10),
  })
  .strict();

const TierSchema = z
  .object({
    /** Most cost points the bucket holds (the largest burst). */
    capacity: z.number().positive(),
    /** Points added back per second. */
    refillPerSecond: z.number().positive(),
    /** Largest estimated cost one operation may have for clients of this tier (else `cost.maxCost`). */
    maxCost: z.number().min(0).optional(),
  })
  .strict();

/** The samplers of the OpenTelemetry spec's OTEL_TRACES_SAMPLER. */
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const TracingSchema = z
  .object({
    /**
     * Export OpenTelemetry traces. Default false. Env `OTEL_TRACES_EXPORTER=otlp` (or `console`) turns
     * it on; `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` turns it off.
     */
    enabled: z.boolean().default(false),
    /** `otlp` (OTLP over HTTP, default) or `console` (spans printed to stdout, for debugging). */
    exporter: z.enum(['otlp', 'console']).default('otlp'),
    /**
     * OTLP/HTTP encoding: `http/protobuf` (default, as the OpenTelemetry spec says) or `http/json`.
     * Env `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`.
     */
    protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    /**
     * Where traces are sent, the full URL (e.g. `http://collector:4318/v1/traces`). Env
     * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. Default
     * `http://localhost:4318/v1/traces`.
     */
    endpoint: httpUrl.optional(),
    /** Headers sent with each export (API keys). Env `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or `OTEL_EXPORTER_OTLP_HEADERS`. */
    headers: namedRecord(z.string(), z.string()).prefault({}),
    /** Export request timeout in ms. Env `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`. Default 10 000. */
    timeoutMs: z.number().int().min(1).default(10_000),
    /** The `service.name` resource attribute. Env `OTEL_SERVICE_NAME`. Default `junction`. */
    serviceName: z.string().min(1).default('junction'),
    /** More resource attributes. Env `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`) adds to them. */
    resourceAttributes: namedRecord(z.string(), z.string()).prefault({}),
    /**
     * Which traces are recorded, as OTEL_TRACES_SAMPLER (env of that name). Default
     * `parentbased_always_on`: every request, unless the caller's `traceparent` says not sampled.
     */
    sampler: z.enum(TRACE_SAMPLERS).default('parentbased_always_on'),
    /** The ratio for the `traceidratio` samplers, 0 to 1. Env `OTEL_TRACES_SAMPLER_ARG`. Default 1. */
    samplerRatio: z.number().min(0).max(1).default(1),
    /**
     * Continue the trace of an incoming W3C `traceparent` header. Default true; turn it off when
     * untrusted callers should not pick trace ids or sampling.
     */
    acceptIncoming: z.boolean().default(true),
    /** Batching of exports, as the `OTEL_BSP_*` env vars (which set these too). */
    batch: z
      .object({
        scheduledDelayMs: z.number().int().min(0).default(5000),
        maxQueueSize: z.number().int().min(1).default(2048),
        maxExportBatchSize: z.number().int().min(1).default(512),
        exportTimeoutMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .default({ scheduledDelayMs: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMs: 30_000 }),
  })
  .strict();

const BudgetsSchema = z
  .object({
    /** Per-client query budgets: token buckets of cost points. Default off. Needs `cost.mode` measure or enforce. */
    enabled: z.boolean().default(false),
    /** `memory` (default, one process) or `redis` (shared by replicas). */
    store: z.enum(['memory', 'redis']).default('memory'),
    /** Redis URL for the redis store; env `JUNCTION_REDIS_URL` sets it too. */
    redisUrl: z.string().min(1).optional(),
    redisPrefix: z.string().default('junction:budget:'),
    /** When the store cannot be reached: `open` serves (and logs), `closed` refuses with 503. Default open. */
    failMode: z.enum(['open', 'closed']).default('open'),
    /** Tiers by name. */
    tiers: namedRecord(z.string(), TierSchema).prefault({ default: { capacity: 1000, refillPerSecond: 50 } }),
    /** First matching rule names a client's tier: by `clientId`, by `via` (jwt, apiKey, anonymous), or by a claim. */
    assign: z
      .array(
        z
          .object({
            tier: z.string(),
            clientId: z.string().optional(),
            via: z.enum(['jwt', 'apiKey', 'anonymous']).optional(),
            claim: z.object({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) }).strict().optional(),
          })
          .strict(),
      )
      .default([]),
    /** The tier of clients no rule matches. Default `default`. */
    defaultTier: z.string().default('default'),
    /** Whose bucket an anonymous request draws from: its IP address (default) or one bucket for all. */
    anonymousKey: z.enum(['ip', 'shared']).default('ip'),
  })
  .strict();

/** An HTTP header name (RFC 9110 token), lower-cased; `*` is refused: a wildcard never covers `Authorization`, and means nothing with credentials. */
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'+.^_`|~-]+$/, 'expected a header name')
  .transform((name) => name.toLowerCase());

const CorsSchema = z
  .object({
    /**
     * Origins whose pages may call the GraphQL endpoint: exact origins (`https://app.example.com`,
     * `http://localhost:3000`), patterns (`https://*.example.com`: one or more labels in place of
     * `*`, never `https://example.com` itself), or `["*"]` alone (any origin, no credentials). A
     * request from any other origin gets no CORS headers at all, and its browser refuses the answer.
     */
    origins: z.array(z.string().superRefine((entry, ctx) => {
      const problem = corsOriginProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).transform((entry) => entry.toLowerCase())).min(1),
    /**
     * Let pages send cookies and HTTP authentication (`fetch(..., { credentials: 'include' })`):
     * `Access-Control-Allow-Credentials: true`. Default false. Not with `origins: ["*"]`: browsers
     * refuse credentials with `Access-Control-Allow-Origin: *`, and reflecting every origin instead
     * would let any site act with the user's cookies.
     */
    credentials: z.boolean().default(false),
    /**
     * Request headers pages may send (`Access-Control-Allow-Headers`), replacing the default: the
     * ones Junction reads, `content-type`, `authorization`, `auth.apiKeys.header`, `x-request-id`,
     * `traceparent`, `tracestate`, `apollographql-client-name` / `-version`,
     * `graphql-client-name` / `-version` and `csrfPrevention.requestHeaders`.
     */
    allowedHeaders: z.array(headerName).optional(),
    /**
     * Response headers pages may read (`Access-Control-Expose-Headers`). Default `RateLimit`,
     * `RateLimit-Policy`, `Retry-After`, `x-request-id`: a browser app can read its budget.
     */
    exposedHeaders: z.array(headerName).default(['ratelimit', 'ratelimit-policy', 'retry-after', 'x-request-id']),
    /**
     * How long a browser may keep a preflight's answer, seconds (`Access-Control-Max-Age`). Default
     * 600. Longer saves a preflight per request; a change of this config reaches browsers that much
     * later. Browsers cap it (Chromium at 7200).
     */
    maxAge: z.number().int().min(0).max(86_400).default(600),
  })
  .strict()
  .superRefine((cors, ctx) => {
    if (cors.origins.includes('*') && cors.origins.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['origins'], message: '"*" allows every origin: give it alone, or list the origins' });
    }
    if (cors.origins.includes('*') && cors.credentials) {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: 'cannot be true with origins ["*"]: browsers refuse credentials with Access-Control-Allow-Origin: *; list the origins that may send them',
      });
    }
  });

/** `csrfPrevention.requestHeaders`' default: Apollo Server's two, and the GraphQL over HTTP one. */
export const DEFAULT_CSRF_PREVENTION_HEADERS: readonly string[] = Object.freeze(['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight']);

const CsrfPreventionSchema = z
  .object({
    /**
     * Refuse (400 `CSRF_PREVENTED`) a request a browser could send from any site without a CORS
     * preflight: no `content-type`, or `text/plain`, `application/x-www-form-urlencoded` or
     * `multipart/form-data` (so in practice a GET, or a form POST), unless it carries a non-empty
     * header of `requestHeaders`. Default true, as Apollo Server 4 and Apollo Router. Turn off only
     * when no browser holds credentials for the gateway (cookies, client certificates, an intranet).
     */
    enabled: z.boolean().default(true),
    /**
     * Headers any one of which (non-empty) lets such a request through: a page can only set them
     * after a preflight. Default `x-apollo-operation-name` (Apollo iOS and Kotlin send it),
     * `apollo-require-preflight`, `graphql-require-preflight`.
     */
    requestHeaders: z.array(headerName).min(1).default([...DEFAULT_CSRF_PREVENTION_HEADERS]),
  })
  .strict();

export const GatewayConfigSchema = z
  .object({
    listen: ListenSchema.default(ListenSchema.parse({})),
    /** Path of a composed supergraph SDL file (relative to the config file). Give this or `subgraphs`. */
    supergraph: z.string().min(1).optional(),
    /**
     * Subgraphs to fetch SDL from (`{ _service { sdl } }`) and compose. Give this or `supergraph`.
     * They seed the registry the first time it is empty; after that the registry is the truth.
     */
    subgraphs: z
      .array(
        z
          .object({
            name: z.string().regex(SUBGRAPH_NAME, 'expected letters, digits, "_" or "-", starting with a letter or "_"'),
            url: httpUrl,
          })
          .strict(),
      )
      .optional(),
    /** The subgraph registry (used with `subgraphs`). */
    registry: RegistrySchema.default(RegistrySchema.parse({})),
    /** Trusted documents (safelisting): manifests of the operations clients may send. */
    trustedDocuments: TrustedDocumentsSchema.default(TrustedDocumentsSchema.parse({})),
    /**
     * The query planner. `auto` (default): Hive's (`@graphql-hive/router-query-planner`) where its
     * binary loads (Linux x64/arm64 with glibc, macOS), else Apollo's with one warning at startup.
     * `hive`: Hive's, or refuse to start. `apollo`: Apollo's (`@apollo/query-planner`). Operations with
     * `@defer` are planned by Apollo's whatever this says.
     */
    planner: z.enum(['auto', 'apollo', 'hive']).default('auto'),
    /** The admin API (used with `subgraphs`). */
    admin: AdminSchema.default(AdminSchema.parse({})),
    /**
     * Where `/metrics` and `/readyz` (which name subgraphs and their URLs) are served: on
     * `operations.listen`, or on the client port behind `operations.token`. Default: neither, so
     * they are not served. `/healthz` is always on the client port, public and cheap, for load balancers.
     */
    operations: OperationsSchema.default(OperationsSchema.parse({})),
    /** Authentication: JWTs, API keys, anonymous access, forwarding to subgraphs. */
    auth: AuthSchema.default(AuthSchema.parse({})),
    /** Per subgraph: several URLs and how to balance them. */
    routing: namedRecord(z.string(), RoutingSchema).prefault({}),
    /** Retries and circuit breakers for subgraph calls. */
    resilience: ResilienceSchema.default(ResilienceSchema.parse({})),
    /** Cost analysis from @cost and @listSize (IBM cost spec), and cost limits. */
    cost: CostSchema.default(CostSchema.parse({})),
    /** Per-client query budgets in cost points. */
    budgets: BudgetsSchema.default(BudgetsSchema.parse({})),
    /** Authorization from the supergraph's @authenticated, @requiresScopes and @policy. */
    authorization: AuthorizationSchema.default(AuthorizationSchema.parse({})),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    /**
     * Batched requests (a JSON array of operations in one POST). Off by default: a batch multiplies
     * what one HTTP request costs, so turn it on for clients that need it (Apollo Client's
     * BatchHttpLink) and keep `maxSize` small.
     */
    batching: z
      .object({
        enabled: z.boolean().default(false),
        /** Most operations in a batch. Default 10; 0 turns the limit off. */
        maxSize: z.number().int().min(0).default(10),
      })
      .strict()
      .default({ enabled: false, maxSize: 10 }),
    /** Subscriptions: client transports, upstream protocol per subgraph, limits. */
    subscriptions: SubscriptionsSchema.default(SubscriptionsSchema.parse({})),
    /** Automatic persisted queries (Apollo's protocol): queries sent by their SHA-256 hash. */
    apq: ApqSchema.default(ApqSchema.parse({})),
    /** OpenTelemetry tracing: spans per request, phase and subgraph fetch, exported by OTLP/HTTP. */
    tracing: TracingSchema.default(TracingSchema.parse({})),
    cache: CacheSchema.default(CacheSchema.parse({})),
    /** Serve GraphiQL at GET /graphql to browsers. Default true. */
    graphiql: z.boolean().default(true),
    /** CORS for pages on other origins calling the GraphQL endpoint. Default: none (off; no CORS headers sent). */
    cors: CorsSchema.optional(),
    /** CSRF prevention on the GraphQL endpoint. Default on. */
    csrfPrevention: CsrfPreventionSchema.default(CsrfPreventionSchema.parse({})),
    /**
     * On SIGTERM/SIGINT: stop accepting, then wait this long (ms) for in-flight requests before
     * closing. Default 10 000.
     */
    shutdownTimeoutMs: z.number().int().min(0).default(10_000),
    /**
     * Replace subgraph errors by a generic INTERNAL_SERVER_ERROR (with the request id; the original
     * goes to the log), except those whose code is in `unmaskedCodes`. Default false: subgraph
     * errors pass with their message and code (never other extensions: see `subgraphErrors`).
     * Junction's own errors about a subgraph (SUBGRAPH_UNAVAILABLE...) are never masked: they carry
     * nothing internal.
     */
    maskSubgraphErrors: z.boolean().default(false),
    /** Subgraph error codes shown as they are even when masking. */
    unmaskedCodes: z.array(z.string()).default(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']),
    /** What of a subgraph's error reaches clients, masking or not. */
    subgraphErrors: z
      .object({
        /**
         * Extension keys of subgraph errors passed to clients besides `code` (always kept) and
         * `serviceName` (Junction's). Default none: `stacktrace`, `exception` and whatever else a
         * subgraph puts there are dropped. Name only keys that never carry internals (`retryAfter`).
         */
        allowedExtensions: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ allowedExtensions: [] }),
    /** Log level: debug, info, warn, error or silent. Default info. */
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /**
     * Share one subgraph request among identical in-flight query fetches (same subgraph, same
     * operation, same variables). Default true; mutations are never deduplicated.
     */
    deduplicateSubgraphRequests: z.boolean().default(true),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if ((cfg.supergraph === undefined) === (cfg.subgraphs === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['supergraph'], message: 'give exactly one of "supergraph" (a file) or "subgraphs" (a list)' });
    }
    if (cfg.operations.listen && cfg.operations.listen.port !== 0 && cfg.operations.listen.port === cfg.listen.port) {
      ctx.addIssue({ code: 'custom', path: ['operations', 'listen', 'port'], message: `expected a port other than listen.port (${cfg.listen.port})` });
    }
    if (cfg.registry.store === 'redis' && !cfg.registry.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['registry', 'redisUrl'], message: 'required when registry.store is "redis"' });
    }
    if (cfg.budgets.enabled && cfg.cost.mode === 'off') {
      ctx.addIssue({ code: 'custom', path: ['budgets', 'enabled'], message: 'budgets need cost.mode "measure" or "enforce"' });
    }
    if (cfg.budgets.enabled && cfg.budgets.store === 'redis' && !cfg.budgets.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['budgets', 'redisUrl'], message: 'required when budgets.store is "redis"' });
    }
    if (cfg.apq.enabled && cfg.apq.store === 'redis' && !cfg.apq.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['apq', 'redisUrl'], message: 'required when apq.store is "redis"' });
    }
    for (const tier of cfg.trustedDocuments.exempt.tiers) {
      if (!Object.hasOwn(cfg.budgets.tiers, tier)) ctx.addIssue({ code: 'custom', path: ['trustedDocuments', 'exempt', 'tiers'], message: `tier "${tier}" is not defined in budgets.tiers` });
    }
    for (const tier of [cfg.budgets.defaultTier, ...cfg.budgets.assign.map((a) => a.tier)]) {
      if (!Object.hasOwn(cfg.budgets.tiers, tier)) ctx.addIssue({ code: 'custom', path: ['budgets', 'tiers'], message: `tier "${tier}" is not defined` });
    }
    const names = new Set<string>();
    for (const [i, s] of (cfg.subgraphs ?? []).entries()) {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['subgraphs', i, 'name'], message: `duplicate subgraph name "${s.name}"` });
      names.add(s.name);
    }
  });

export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
export type GatewayConfig = Readonly<z.output<typeof GatewayConfigSchema>>;

/**
 * Fills in defaults, validates and freezes a config object. Throws a ConfigError naming the first
 * bad option.
 */
export function resolveConfig(input: unknown): GatewayConfig {
  const parsed = GatewayConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    let reason = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      return fail(path ? `${path}.${keys[0]}` : keys[0], 'unknown option');
    }
    return fail(path, reason);
  }
  return deepFreeze(parsed.data);
}

function fail(path: string, reason: string): never {
  throw new ConfigError(path, reason);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
