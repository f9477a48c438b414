import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, resolveConfig } from '..';

const base = { supergraph: 'supergraph.graphql' };

function configError(input: unknown): ConfigError {
  try {
    resolveConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

it('fills in documented defaults and freezes the result', () => {
  const config = resolveConfig(base);
  expect(config.listen).toEqual({ host: '0.0.0.0', port: 4000, trustProxy: false });
  expect(config.limits).toEqual({
    maxBodyBytes: 1_048_576,
    subgraphTimeoutMs: 30_000,
    maxDepth: 25,
    maxAliases: 200,
    maxRootFields: 100,
    maxSelections: 1_000,
    maxIntrospectionFields: 3,
    maxDirectives: 100,
    planningTimeoutMs: 2_000,
    maxTokens: 15_000,
    introspection: true,
    subgraphConnections: 128,
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 72_000,
    sendTimeoutMs: 30_000,
    maxConnections: 10_000,
    maxSubgraphResponseBytes: 33_554_432,
  });
  expect(config.cache).toEqual({ documents: 1000, plans: 1000 });
  expect(config.registry.maxSdlBytes).toBe(8_388_608);
  expect(config.graphiql).toBe(true);
  expect(config.apq).toEqual({ enabled: true, store: 'memory', maxEntries: 10_000, maxBytes: 16_777_216, redisPrefix: 'junction:apq:', redisTtlSeconds: 86_400 });
  expect(config.trustedDocuments).toEqual({
    enabled: false,
    manifests: [],
    pollIntervalMs: 2_000,
    maxDocumentsPerManifest: 10_000,
    maxDocuments: 100_000,
    maxManifestBytes: 8_388_608,
    allowArbitrary: true,
    logUnknown: false,
    exempt: { clientIds: [], tiers: [] },
  });
  expect(Object.isFrozen(config.limits)).toBe(true);
});

it.each([
  [{ ...base, listen: { port: 'eighty' } }, 'listen.port'],
  [{ ...base, listen: { port: 70000 } }, 'listen.port'],
  [{ ...base, limits: { maxBodyBytes: -1 } }, 'limits.maxBodyBytes'],
  [{ ...base, limits: { maxBodyBytes: 500 } }, 'limits.maxBodyBytes'],
  [{ ...base, limits: { maxTokens: 10 } }, 'limits.maxTokens'],
  [{ ...base, limits: { maxDepht: 3 } }, 'limits.maxDepht'],
  [{ ...base, colour: 'blue' }, 'colour'],
  [{ subgraphs: [{ name: 'a', url: 'ftp://x' }] }, 'subgraphs.0.url'],
  [{ subgraphs: [{ name: '1bad', url: 'http://x/graphql' }] }, 'subgraphs.0.name'],
  [{ subgraphs: [{ name: 'a', url: 'http://a/graphql' }, { name: 'a', url: 'http://b/graphql' }] }, 'subgraphs.1.name'],
  [{}, 'supergraph'],
  [{ ...base, subgraphs: [{ name: 'a', url: 'http://a/graphql' }] }, 'supergraph'],
  [{ ...base, logLevel: 'loud' }, 'logLevel'],
  [{ ...base, auth: { jwt: { issuers: [{ issuer: 'x' }] } } }, 'auth.jwt.issuers.0.jwksUrl'],
  [{ ...base, auth: { jwt: { issuers: [{ issuer: 'x', secret: 's'.repeat(32), jwksUrl: 'http://k/jwks' }] } } }, 'auth.jwt.issuers.0.jwksUrl'],
  [{ ...base, auth: { jwt: { issuers: [{ issuer: 'x', jwksUrl: 'http://k/jwks', algorithms: ['HS256'] }] } } }, 'auth.jwt.issuers.0.algorithms.0'],
  [{ ...base, auth: { jwt: { issuers: [{ issuer: 'x', secret: 'short' }] } } }, 'auth.jwt.issuers.0.secret'],
  [{ ...base, auth: { apiKeys: { keys: [{ sha256: 'abc', clientId: 'c' }] } } }, 'auth.apiKeys.keys.0.sha256'],
  [{ ...base, authorization: { mode: 'lenient' } }, 'authorization.mode'],
  [{ ...base, admin: { token: 'short' } }, 'admin.token'],
  [{ ...base, limits: { requestTimeoutMs: 5000, headersTimeoutMs: 6000 } }, 'limits.headersTimeoutMs'],
  [{ ...base, limits: { requestTimeoutMs: -1 } }, 'limits.requestTimeoutMs'],
  [{ ...base, limits: { keepAliveTimeoutMs: 0 } }, 'limits.keepAliveTimeoutMs'],
  [{ ...base, registry: { maxSdlBytes: 0 } }, 'registry.maxSdlBytes'],
  [{ ...base, registry: { maxSdlBytes: 1.5e6 + 0.5 } }, 'registry.maxSdlBytes'],
  [{ ...base, limits: { sendTimeoutMs: -1 } }, 'limits.sendTimeoutMs'],
  [{ ...base, limits: { maxConnections: -1 } }, 'limits.maxConnections'],
  [{ ...base, limits: { maxConnections: 1.5 } }, 'limits.maxConnections'],
  [{ ...base, operations: { token: 'short' } }, 'operations.token'],
  [{ ...base, operations: { listen: { port: 4000 } } }, 'operations.listen.port'],
  [{ ...base, operations: { listen: { port: 70000 } } }, 'operations.listen.port'],
  [{ ...base, listen: { trustProxy: 1 } }, 'listen.trustProxy'],
  [{ ...base, listen: { trustProxy: true } }, 'listen.trustProxy'],
  [{ ...base, listen: { trustProxy: [] } }, 'listen.trustProxy'],
  [{ ...base, listen: { trustProxy: ['10.0.0.0/8', '10.0.0.0/33'] } }, 'listen.trustProxy.1'],
  [{ ...base, listen: { trustProxy: ['proxy.internal'] } }, 'listen.trustProxy.0'],
  [{ ...base, auth: { jwt: { maxTokenAge: 0 } } }, 'auth.jwt.maxTokenAge'],
  [{ ...base, auth: { jwt: { issuers: [{ issuer: 'x', jwksUrl: 'http://k/jwks', maxTokenAge: -60 }] } } }, 'auth.jwt.issuers.0.maxTokenAge'],
  [{ ...base, apq: { store: 'redis' } }, 'apq.redisUrl'],
  [{ ...base, apq: { store: 'disk' } }, 'apq.store'],
  [{ ...base, apq: { maxEntries: 0 } }, 'apq.maxEntries'],
  [{ ...base, apq: { maxBytes: 100 } }, 'apq.maxBytes'],
  [{ ...base, apq: { redisTtlSeconds: -1 } }, 'apq.redisTtlSeconds'],
  [{ ...base, apq: { ttl: 60 } }, 'apq.ttl'],
  [{ ...base, trustedDocuments: { allowArbitrary: 'no' } }, 'trustedDocuments.allowArbitrary'],
  [{ ...base, trustedDocuments: { exempt: { tiers: ['internal'] } } }, 'trustedDocuments.exempt.tiers'],
  [{ ...base, trustedDocuments: { exempt: { tiers: ['constructor'] } } }, 'trustedDocuments.exempt.tiers'],
  [{ ...base, trustedDocuments: { exempt: { clientIds: [''] } } }, 'trustedDocuments.exempt.clientIds.0'],
  [{ ...base, trustedDocuments: { exempt: { names: ['x'] } } }, 'trustedDocuments.exempt.names'],
])('%j is rejected naming %s', (input, path) => {
  const err = configError(input);
  expect(err.path).toBe(path);
  expect(err.message).toContain(`"${path}"`);
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-config-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads YAML and resolves the supergraph path against the file', () => {
    const file = write('a.yaml', 'supergraph: ./sg.graphql\nlisten:\n  port: 4100\n');
    const { config, supergraphPath } = loadConfigFile(file, {});
    expect(config.listen.port).toBe(4100);
    expect(supergraphPath).toBe(join(dir, 'sg.graphql'));
  });

  it('reads JSON', () => {
    const file = write('b.json', JSON.stringify({ subgraphs: [{ name: 'accounts', url: 'http://127.0.0.1:4001/graphql' }] }));
    expect(loadConfigFile(file, {}).config.subgraphs).toHaveLength(1);
  });

  it('lets JUNCTION_PORT or PORT override the port, and rejects a bad one', () => {
    const file = write('c.yaml', 'supergraph: sg.graphql\n');
    expect(loadConfigFile(file, { JUNCTION_PORT: '4555' }).config.listen.port).toBe(4555);
    expect(loadConfigFile(file, { PORT: '4666' }).config.listen.port).toBe(4666);
    expect(() => loadConfigFile(file, { PORT: 'x' })).toThrow(/listen\.port/);
  });

  it('lets JUNCTION_REDIS_URL set every Redis URL, the persisted query store included', () => {
    const file = write('e.yaml', 'supergraph: sg.graphql\napq:\n  store: redis\n');
    const { config } = loadConfigFile(file, { JUNCTION_REDIS_URL: 'redis://cache:6379' });
    expect([config.registry.redisUrl, config.budgets.redisUrl, config.apq.redisUrl]).toEqual(['redis://cache:6379', 'redis://cache:6379', 'redis://cache:6379']);
  });

  it('explains unreadable and unparsable files', () => {
    expect(() => loadConfigFile(join(dir, 'missing.yaml'), {})).toThrow(/cannot read config file/);
    expect(() => loadConfigFile(write('d.yaml', 'listen: [unclosed'), {})).toThrow(/not valid YAML or JSON/);
  });
});

describe('records keyed by names from outside (subgraphs, tiers, headers)', () => {
  const config = resolveConfig({
    ...base,
    routing: { a: { timeoutMs: 10 } },
    auth: { forwarding: { subgraphs: { a: { headersFromClaims: { 'x-a': 'sub' } } } } },
    budgets: { tiers: { default: { capacity: 1, refillPerSecond: 1 } } },
    tracing: { headers: { a: 'b' }, resourceAttributes: { a: 'b' } },
  });
  const records = {
    routing: config.routing,
    'auth.forwarding.subgraphs': config.auth.forwarding.subgraphs,
    'auth.forwarding.subgraphs.a.headersFromClaims': config.auth.forwarding.subgraphs.a.headersFromClaims,
    'auth.forwarding.default.headersFromClaims': config.auth.forwarding.default.headersFromClaims,
    'budgets.tiers': config.budgets.tiers,
    'tracing.headers': config.tracing.headers,
    'tracing.resourceAttributes': config.tracing.resourceAttributes,
  };
  it.each(Object.keys(records))('%s finds only what the config gives, never an Object.prototype member', (name) => {
    const record = records[name as keyof typeof records] as Record<string, unknown>;
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) expect({ key, value: record[key] }).toEqual({ key, value: undefined });
  });

  it.each([
    ['routing', { routing: JSON.parse('{"__proto__": { "timeoutMs": 10 }}') }],
    ['auth.forwarding.subgraphs', { auth: { forwarding: { subgraphs: JSON.parse('{"__proto__": { "authorization": true }}') } } }],
    ['budgets.tiers', { budgets: { tiers: JSON.parse('{"default": { "capacity": 1, "refillPerSecond": 1 }, "__proto__": { "capacity": 1, "refillPerSecond": 1 }}') } }],
  ])('%s refuses "__proto__" instead of dropping it', (path, input) => {
    expect(configError({ ...base, ...input }).path).toBe(`${path}.__proto__`);
  });

  it('a tier named constructor must be defined to be used, and is found when it is', () => {
    expect(configError({ ...base, budgets: { defaultTier: 'constructor' } }).path).toBe('budgets.tiers');
    const tiers = resolveConfig({ ...base, budgets: { defaultTier: 'constructor', tiers: { constructor: { capacity: 7, refillPerSecond: 1 } } } }).budgets.tiers;
    expect(tiers.constructor).toEqual({ capacity: 7, refillPerSecond: 1 });
  });
});
