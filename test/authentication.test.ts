/**
 * Issue #4: authentication. A real JWKS server on a free port; JWTs signed here with jose; API keys.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { GatewayConfigInput } from '../gateway/src/config';
import type { Identity } from '../gateway/src/plugins/auth/identity';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { createSigningKey, signToken, TEST_AUDIENCE, TEST_ISSUER, type SigningKey } from './helpers/tokens';

/** A JWKS endpoint whose key list tests change, and can stop and restart on the same port. */
class JwksServer {
  keys: Array<Record<string, unknown>> = [];
  requests = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server!.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }
}

let subgraphs: SampleSubgraphs;
let jwks: JwksServer;
let key1: SigningKey;
let key2: SigningKey;
let junction: StartedGateway;
const identities: Identity[] = [];
const recorder: GatewayPlugin = { name: 'identity-recorder', onValidated: ({ context }) => void identities.push(context.identity!) };

// As the sample config: accounts answers Query.me for the subject it is told (user 1 is Ada Lovelace).
const forwardUserId = { subgraphs: { accounts: { headersFromClaims: { 'x-user-id': 'sub' } } } };
const jwtAuth = (): GatewayConfigInput['auth'] => ({
  jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksUrl: jwks.url }], jwksCooldownMs: 0 },
  forwarding: forwardUserId,
});

const ME = '{ me { name } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  [subgraphs, key1, key2] = await Promise.all([startSampleSubgraphs(), createSigningKey('key-1'), createSigningKey('key-2', 'ES256')]);
  jwks = new JwksServer();
  jwks.keys = [key1.publicJwk];
  await jwks.start();
  junction = await startJunction(subgraphs.supergraphSdl, { config: { auth: jwtAuth() }, plugins: [recorder] });
});
afterAll(async () => {
  await junction?.stop();
  await jwks?.stop();
  await subgraphs?.stop();
});

async function expect401(headers: Record<string, string>, reason: RegExp, challenge = /^Bearer realm="junction", error="invalid_token"$/) {
  const res = await fetch(junction.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: ME }) });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(challenge);
  const body = (await res.json()) as { errors: Array<{ extensions: { code: string; reason: string } }>; data?: unknown };
  expect(body.data).toBeUndefined();
  expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  expect(body.errors[0].extensions.reason).toMatch(reason);
}

describe('JWT', () => {
  it('accepts a valid token and puts the identity on the context', async () => {
    identities.length = 0;
    const res = await postGraphQL(junction.url, { query: ME }, bearer(await signToken(key1, { sub: '1', scope: 'read:email write:x' })));
    expect(res.body).toEqual({ data: { me: { name: 'Ada Lovelace' } } });
    expect(identities[0]).toMatchObject({ clientId: '1', scopes: ['read:email', 'write:x'], via: 'jwt', claims: { sub: '1', iss: TEST_ISSUER } });
  });

  it('treats a request without credentials as anonymous (allowed by default)', async () => {
    identities.length = 0;
    const res = await postGraphQL(junction.url, { query: ME });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ me: null });
    expect(identities[0]).toEqual({ clientId: undefined, scopes: [], claims: {}, via: 'anonymous' });
  });

  it('refuses an expired token', async () => {
    await expect401(bearer(await signToken(key1, { sub: 'u' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })), /expired/);
  });

  it('refuses a token for another audience', async () => {
    await expect401(bearer(await signToken(key1, { sub: 'u', aud: 'someone-else' })), /"aud"/);
  });

  it('refuses a token from an unknown issuer', async () => {
    await expect401(bearer(await signToken(key1, { sub: 'u', iss: 'https://evil.example' })), /unknown issuer/);
  });

  it('refuses alg: none', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'u', iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    await expect401(bearer(unsigned), /./);
  });

  it('refuses HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const forged = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256', kid: key1.kid })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(key1.publicPem));
    await expect401(bearer(forged), /algorithm/);
  });

  it('refuses a tampered signature', async () => {
    const token = await signToken(key1, { sub: 'u' });
    const [h, p] = token.split('.');
    const other = (await signToken(key1, { sub: 'admin' })).split('.')[1];
    await expect401(bearer(`${h}.${other}.${token.split('.')[2]}`), /signature/);
    expect(p).not.toBe(other);
  });

  it('refuses a malformed Authorization header', async () => {
    await expect401({ authorization: 'Basic dXNlcjpwYXNz' }, /Bearer/, /error="invalid_request"/);
    await expect401({ authorization: 'Bearer not-a-jwt' }, /not a JWT/);
  });

  it('accepts a key rotated into the JWKS without a restart', async () => {
    const token = await signToken(key2, { sub: '1' });
    await expect401(bearer(token), /unknown key/);
    jwks.keys = [key1.publicJwk, key2.publicJwk];
    const res = await postGraphQL(junction.url, { query: ME }, bearer(token));
    expect(res.body).toEqual({ data: { me: { name: 'Ada Lovelace' } } });
  });

  it('keeps cached keys working while the JWKS server is down; without cached keys, 401 and the gateway stays up', async () => {
    const token = await signToken(key1, { sub: '1' });
    // `junction` has key-1 cached; `cold` has never fetched the JWKS.
    const cold = await startJunction(subgraphs.supergraphSdl, { config: { auth: jwtAuth() } });
    await jwks.stop();
    try {
      expect((await postGraphQL(junction.url, { query: ME }, bearer(token))).body).toEqual({ data: { me: { name: 'Ada Lovelace' } } });
      const res = await postGraphQL(cold.url, { query: ME }, bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect((await fetch(cold.url.replace('/graphql', '/healthz'))).status).toBe(200);
      expect((await postGraphQL(cold.url, { query: '{ topProducts(first: 1) { upc } }' })).body).toEqual({ data: { topProducts: [{ upc: '1' }] } });
    } finally {
      await cold.stop();
      await jwks.start();
    }
  });
});

describe('token lifetime: exp required, iat not in the future, maxTokenAge', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** A token with exactly the time claims given (signToken always sets both). */
  const sign = (times: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT({ sub: '1', ...times }).setProtectedHeader({ alg: key1.alg, kid: key1.kid }).setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE);
    return jwt.sign(key1.privateKey);
  };
  type Jwt = NonNullable<GatewayConfigInput['auth']>['jwt'];
  const issuer = (extra: object = {}) => ({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key1.publicPem, ...extra });
  const HOUR = 3600;

  it.each<[string, Omit<NonNullable<Jwt>, 'issuers'>, object, () => { iat?: number; exp?: number }, RegExp | 'ok']>([
    ['no exp, by default', {}, {}, () => ({ iat: now() }), /no "exp" claim/],
    ['no exp, requireExp off', { requireExp: false }, {}, () => ({ iat: now() }), 'ok'],
    ['no exp, requireExp off for this issuer only', {}, { requireExp: false }, () => ({ iat: now() }), 'ok'],
    ['no exp, requireExp off globally but on for this issuer', { requireExp: false }, { requireExp: true }, () => ({ iat: now() }), /no "exp" claim/],
    ['exp and no iat, by default', {}, {}, () => ({ exp: now() + HOUR }), 'ok'],
    ['iat an hour in the future', {}, {}, () => ({ iat: now() + HOUR, exp: now() + 2 * HOUR }), /"iat" claim is in the future/],
    ['iat far in the future (1e12 s)', {}, {}, () => ({ iat: 1e12, exp: 1e12 + HOUR }), /"iat" claim is in the future/],
    ['iat in the future within the clock tolerance', {}, {}, () => ({ iat: now() + 2, exp: now() + HOUR }), 'ok'],
    ['iat in the future, with maxTokenAge', { maxTokenAge: 600 }, {}, () => ({ iat: now() + HOUR, exp: now() + 2 * HOUR }), /"iat" claim is in the future/],
    ['maxTokenAge, a fresh token', { maxTokenAge: 600 }, {}, () => ({ iat: now() - 60, exp: now() + HOUR }), 'ok'],
    ['maxTokenAge, a token issued too long ago (exp still ahead)', { maxTokenAge: 600 }, {}, () => ({ iat: now() - HOUR, exp: now() + HOUR }), /issued longer ago than maxTokenAge/],
    ['maxTokenAge, a token without iat', { maxTokenAge: 600 }, {}, () => ({ exp: now() + HOUR }), /no "iat" claim/],
    ['maxTokenAge of this issuer over the global one', { maxTokenAge: 600 }, { maxTokenAge: 2 * HOUR }, () => ({ iat: now() - HOUR, exp: now() + HOUR }), 'ok'],
    ['maxTokenAge of this issuer only', {}, { maxTokenAge: 600 }, () => ({ iat: now() - HOUR, exp: now() + HOUR }), /issued longer ago than maxTokenAge/],
  ])('%s', async (_what, jwt, issuerOptions, times, outcome) => {
    const gateway = await startJunction(subgraphs.supergraphSdl, { config: { auth: { jwt: { ...jwt, issuers: [issuer(issuerOptions)] }, forwarding: forwardUserId } } });
    try {
      const res = await postGraphQL(gateway.url, { query: ME }, bearer(await sign(times())));
      if (outcome === 'ok') {
        expect(res.body).toEqual({ data: { me: { name: 'Ada Lovelace' } } });
      } else {
        expect(res.status).toBe(401);
        expect(res.body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Invalid credentials.', 'UNAUTHENTICATED']]);
        expect(res.body.errors?.[0].extensions?.reason).toMatch(outcome);
      }
    } finally {
      await gateway.stop();
    }
  });
});

describe('scopes from other claims', () => {
  it.each([
    ['an array claim (Auth0 permissions)', 'permissions', { permissions: ['read:email'] }],
    ['a nested array claim (Keycloak realm_access.roles)', 'realm_access.roles', { realm_access: { roles: ['read:email', 'other'] } }],
    ['a space-separated string claim', 'scp', { scp: 'other read:email' }],
  ])('reads %s', async (_what, scopesClaim, claims) => {
    const gateway = await startJunction(subgraphs.supergraphSdl, {
      config: { auth: { jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key1.publicPem, scopesClaim }] } } },
    });
    try {
      const res = await postGraphQL(gateway.url, { query: '{ users(role: ADMIN) { email } }' }, bearer(await signToken(key1, { sub: 'u', ...claims })));
      expect(res.body).toEqual({ data: { users: [{ email: 'ada@example.com' }] } });
    } finally {
      await gateway.stop();
    }
  });
});

describe('anonymous requests refused by config', () => {
  it('401 without credentials', async () => {
    const strict = await startJunction(subgraphs.supergraphSdl, { config: { auth: { ...jwtAuth(), allowAnonymous: false } } });
    try {
      const res = await fetch(strict.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ topProducts { upc } }' }) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="junction"');
      expect(((await res.json()) as { errors: Array<{ message: string }> }).errors[0].message).toBe('Authentication required.');
    } finally {
      await strict.stop();
    }
  });
});

describe('API keys', () => {
  const sha = (k: string) => createHash('sha256').update(k).digest('hex');
  const keys = [
    { sha256: sha('key-of-the-reporting-job'), clientId: 'reporting', scopes: ['read:email'] },
    { sha256: sha('key-of-the-old-integration'), clientId: 'legacy', scopes: [] },
  ];
  const query = '{ users(role: ADMIN) { email } }';

  it('accepts known keys with their scopes, refuses unknown ones, and revoked ones once the config is reloaded', async () => {
    let gateway = await startJunction(subgraphs.supergraphSdl, { config: { auth: { apiKeys: { keys } } }, plugins: [recorder] });
    try {
      identities.length = 0;
      expect((await postGraphQL(gateway.url, { query }, { 'x-api-key': 'key-of-the-reporting-job' })).body).toEqual({ data: { users: [{ email: 'ada@example.com' }] } });
      expect(identities[0]).toEqual({ clientId: 'reporting', scopes: ['read:email'], claims: {}, via: 'apiKey' });
      const legacy = await postGraphQL(gateway.url, { query }, { 'x-api-key': 'key-of-the-old-integration' });
      expect(legacy.body.data).toEqual({ users: [{ email: null }] });
      const unknown = await postGraphQL(gateway.url, { query }, { 'x-api-key': 'guess' });
      expect(unknown.status).toBe(401);
      expect(unknown.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'unknown API key' });
    } finally {
      await gateway.stop();
    }
    // The legacy key is removed from the config and the gateway reloaded with it.
    gateway = await startJunction(subgraphs.supergraphSdl, { config: { auth: { apiKeys: { keys: [keys[0]] } } } });
    try {
      expect((await postGraphQL(gateway.url, { query }, { 'x-api-key': 'key-of-the-old-integration' })).status).toBe(401);
      expect((await postGraphQL(gateway.url, { query }, { 'x-api-key': 'key-of-the-reporting-job' })).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });
});

describe('the sample accounts subgraph answers Query.me for the user the gateway names, and nobody else', () => {
  let gateway: StartedGateway;
  beforeAll(async () => {
    gateway = await startJunction(subgraphs.supergraphSdl, {
      config: {
        auth: {
          jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key1.publicPem }] },
          apiKeys: { keys: [{ sha256: createHash('sha256').update('a-key-without-claims').digest('hex'), clientId: 'k' }] },
          forwarding: forwardUserId,
        },
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it.each([
    ['a known subject', async () => bearer(await signToken(key1, { sub: '2' })), { name: 'Alan Turing' }],
    ['an unknown subject', async () => bearer(await signToken(key1, { sub: '999' })), null],
    ['a subject named like an Object.prototype key', async () => bearer(await signToken(key1, { sub: 'constructor' })), null],
    ['an empty subject', async () => bearer(await signToken(key1, { sub: '' })), null],
    ['no subject header at all (an API key has no claims)', async () => ({ 'x-api-key': 'a-key-without-claims' }), null],
  ])('%s', async (_what, headers, me) => {
    const res = await postGraphQL(gateway.url, { query: ME }, await headers());
    expect(res.body).toEqual({ data: { me } });
  });
});

describe('forwarding to subgraphs', () => {
  it('passes Authorization and claim headers where configured, never the API key', async () => {
    const gateway = await startJunction(subgraphs.supergraphSdl, {
      config: {
        auth: {
          jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key1.publicPem }] },
          apiKeys: { keys: [{ sha256: createHash('sha256').update('a-key').digest('hex'), clientId: 'k' }] },
          forwarding: { subgraphs: { accounts: { authorization: true, headersFromClaims: { 'x-user-id': 'sub', 'x-scopes': 'scope' } } } },
        },
      },
    });
    try {
      const token = await signToken(key1, { sub: '4', scope: 'a b' });
      subgraphs.requests.length = 0;
      await postGraphQL(gateway.url, { query: '{ me { name } topProducts(first: 1) { upc } }' }, bearer(token));
      const accounts = subgraphs.requests.find((r) => r.subgraph === 'accounts')!;
      const products = subgraphs.requests.find((r) => r.subgraph === 'products')!;
      expect(accounts.headers).toMatchObject({ authorization: `Bearer ${token}`, 'x-user-id': '4', 'x-scopes': 'a b' });
      expect(products.headers.authorization).toBeUndefined();
      expect(products.headers['x-user-id']).toBeUndefined();

      subgraphs.requests.length = 0;
      await postGraphQL(gateway.url, { query: '{ users(role: ADMIN) { name } }' }, { 'x-api-key': 'a-key' });
      expect(subgraphs.requests.every((r) => r.headers['x-api-key'] === undefined)).toBe(true);
    } finally {
      await gateway.stop();
    }
  });
});
