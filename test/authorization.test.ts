/**
 * Issue #4: authorization from @authenticated, @requiresScopes and @policy. Unauthorized selections
 * are null with an UNAUTHORIZED_FIELD_OR_TYPE error at their query path, the rest of the data is
 * there, and (counted at the subgraphs) the field was never requested.
 */
import { print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { ledger, vault } from './fixtures/authSubgraphs';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { createSigningKey, signToken, TEST_AUDIENCE, TEST_ISSUER, type SigningKey } from './helpers/tokens';
import { join } from 'node:path';

let key: SigningKey;
const received: Array<{ subgraph: string; query: string }> = [];
let running: RunningSubgraph[];
let supergraphSdl: string;
let junction: StartedGateway;

const auth = { jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: '' }] } };

async function as(scope: string | null): Promise<Record<string, string>> {
  return scope === null ? {} : { authorization: `Bearer ${await signToken(key, { sub: 'u1', scope })}` };
}

async function ask(query: string, scope: string | null = null, gateway = junction) {
  received.length = 0;
  return (await postGraphQL(gateway.url, { query }, await as(scope))).body;
}

const unauthorized = (path: Array<string>, missing: Record<string, unknown>) => ({
  message: 'Unauthorized field or type',
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', missing },
});

const asked = (field: string) => received.some((r) => new RegExp(`\\b${field}\\b`).test(r.query));

beforeAll(async () => {
  key = await createSigningKey('authz');
  auth.jwt.issuers[0].publicKey = key.publicPem;
  running = await Promise.all(
    [vault, ledger].map((def) => startSubgraph(def, { onRequest: (r) => received.push({ subgraph: def.name, query: r.query ?? '' }) })),
  );
  const outcome = composeSupergraph([vault, ledger].map((d, i) => ({ name: d.name, url: running[i].url, sdl: print(d.typeDefs) })));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  supergraphSdl = outcome.supergraphSdl;
  const auditor: GatewayPlugin = { name: 'none' };
  junction = await startJunction(supergraphSdl, { config: { auth }, plugins: [auditor] });
});
afterAll(async () => {
  await junction?.stop();
  await Promise.all(running.map((s) => s.stop()));
});

describe('@requiresScopes', () => {
  it('OR: either scope admits', async () => {
    for (const scope of ['read:balance', 'admin', 'read:balance admin']) {
      expect(await ask('{ account(id: "a1") { owner balance } }', scope)).toEqual({ data: { account: { owner: 'Ada', balance: 100 } } });
    }
  });

  it('removes the field for other callers: null, an error saying what is missing, never asked of the subgraph', async () => {
    const res = await ask('{ account(id: "a1") { owner balance } }', 'unrelated');
    expect(res).toEqual({
      errors: [unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })],
      data: { account: { owner: 'Ada', balance: null } },
    });
    expect(received).toHaveLength(1);
    expect(asked('balance')).toBe(false);
  });

  it('AND: all scopes of an alternative are needed; a non-null field nulls its parent', async () => {
    expect(await ask('{ account(id: "a1") { owner pin } }', 'read:pin admin')).toEqual({ data: { account: { owner: 'Ada', pin: '1234' } } });
    const res = await ask('{ account(id: "a1") { owner pin } }', 'read:pin');
    expect(res).toEqual({ errors: [unauthorized(['account', 'pin'], { requiresScopes: [['read:pin', 'admin']] })], data: { account: null } });
    expect(asked('pin')).toBe(false);
  });

  it('reports list items with "@" in the path, once', async () => {
    const res = await ask('{ accounts { owner balance } }');
    expect(res).toEqual({
      errors: [unauthorized(['accounts', '@', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })],
      data: { accounts: [{ owner: 'Ada', balance: null }, { owner: 'Alan', balance: null }] },
    });
  });
});

describe('@authenticated', () => {
  it('on a type: fields returning it are removed for anonymous callers, served to authenticated ones', async () => {
    expect(await ask('{ secrets { id value } account(id: "a2") { owner } }')).toEqual({
      errors: [unauthorized(['secrets'], { authenticated: true })],
      data: { secrets: null, account: { owner: 'Alan' } },
    });
    expect(asked('secrets')).toBe(false);
    expect(await ask('{ secrets { id value } }', '')).toEqual({ data: { secrets: [{ id: 's1', value: 'hunter2' }] } });
  });

  it('(and @requiresScopes) on an enum: fields returning it are protected', async () => {
    expect(await ask('{ account(id: "a2") { owner tier } }', 'read:tier')).toEqual({ data: { account: { owner: 'Alan', tier: 'SILVER' } } });
    expect(await ask('{ account(id: "a2") { owner tier } }', '')).toEqual({
      errors: [unauthorized(['account', 'tier'], { requiresScopes: [['read:tier']] })],
      data: { account: { owner: 'Alan', tier: null } },
    });
    expect(asked('tier')).toBe(false);
  });

  it('on a @key field: still used to join entities, null to the client', async () => {
    const res = await ask('{ account(id: "a1") { owner number transactions } }');
    expect(res).toEqual({
      errors: [unauthorized(['account', 'number'], { authenticated: true })],
      data: { account: { owner: 'Ada', number: null, transactions: 70 } },
    });
    expect(received.map((r) => r.subgraph).sort()).toEqual(['ledger', 'vault']);
  });
});

describe('@policy', () => {
  it('asks the policy function and denies when it does not say true', async () => {
    const res = await ask('{ account(id: "a1") { owner audit } }', 'admin');
    expect(res).toEqual({ errors: [unauthorized(['account', 'audit'], { policies: [['auditor']] })], data: { account: { owner: 'Ada', audit: null } } });
    expect(asked('audit')).toBe(false);
  });

  it('serves the field when the policy module admits the caller', async () => {
    const policies = await startJunction(supergraphSdl, {
      config: { auth, authorization: { policyModule: 'x' } },
      policyModulePath: join(__dirname, 'fixtures', 'auditorPolicy.js'),
    });
    try {
      expect(await ask('{ account(id: "a1") { audit } }', 'audit:read', policies)).toEqual({ data: { account: { audit: 'clean' } } });
      expect((await ask('{ account(id: "a1") { audit } }', 'admin', policies)).data).toEqual({ account: { audit: null } });
    } finally {
      await policies.stop();
    }
  });
});

describe('interfaces and unions', () => {
  it('removes an interface field whose implementations include a protected type', async () => {
    const res = await ask('{ things { id name } }');
    expect(res).toEqual({ errors: [unauthorized(['things'], { requiresScopes: [['private']] })], data: { things: null } });
    expect(await ask('{ things { id name } }', 'private')).toEqual({
      data: { things: [{ id: 't1', name: 'lamp' }, { id: 't2', name: 'diary' }] },
    });
  });

  it('keeps type-specific fragments on allowed types and removes those on protected ones', async () => {
    const res = await ask('{ things { ... on PublicThing { id name } ... on PrivateThing { hidden } } }');
    expect(res).toEqual({ errors: [unauthorized(['things'], { requiresScopes: [['private']] })], data: { things: [{ id: 't1', name: 'lamp' }, {}] } });
    expect(asked('hidden')).toBe(false);
  });

  it('does the same for unions', async () => {
    const res = await ask('{ search { __typename ... on PublicThing { name } ... on PrivateThing { name hidden } } }');
    expect(res).toEqual({
      errors: [unauthorized(['search'], { requiresScopes: [['private']] })],
      data: { search: [{ __typename: 'PublicThing', name: 'lamp' }, { __typename: 'PrivateThing' }] },
    });
  });

  it('an interface field protected on one implementation is removed when selected through the interface', async () => {
    expect(await ask('{ gadgets { id serial } }')).toEqual({
      errors: [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })],
      data: { gadgets: [{ id: 'g1', serial: null }, { id: 'g2', serial: null }] },
    });
    // ...but reachable on the implementation that does not protect it.
    expect(await ask('{ gadgets { id ... on Watch { serial } } }')).toEqual({ data: { gadgets: [{ id: 'g1' }, { id: 'g2', serial: 'W-2' }] } });
    expect(await ask('{ gadgets { ... on Phone { serial } } }')).toEqual({
      errors: [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })],
      data: { gadgets: [{ serial: null }, {}] },
    });
  });
});

describe('other routes to a protected field', () => {
  it('aliases and named fragments are filtered like the field itself', async () => {
    const res = await ask('query { a: account(id: "a1") { money: balance } ...F } fragment F on Query { account(id: "a1") { ...G } } fragment G on Account { balance owner }');
    expect(res.errors).toEqual([
      unauthorized(['a', 'money'], { requiresScopes: [['read:balance'], ['admin']] }),
      unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] }),
    ]);
    expect(res.data).toEqual({ a: { money: null }, account: { balance: null, owner: 'Ada' } });
    expect(asked('balance')).toBe(false);
  });

  it('a fragment used both where it is allowed and where it is not is filtered per place', async () => {
    const res = await ask('{ gadgets { ... on Watch { ...S } ... on Phone { ...S } } } fragment S on Gadget { serial }');
    expect(res.data).toEqual({ gadgets: [{ serial: null }, { serial: 'W-2' }] });
    expect(res.errors).toEqual([unauthorized(['gadgets', '@', 'serial'], { authenticated: true })]);
  });
});

it('caches plans per authorization outcome: a filtered plan never serves another caller', async () => {
  const query = '{ account(id: "a1") { owner balance } }';
  const anonymous = await ask(query);
  const admin = await ask(query, 'admin');
  const again = await ask(query);
  expect(anonymous.data).toEqual({ account: { owner: 'Ada', balance: null } });
  expect(admin).toEqual({ data: { account: { owner: 'Ada', balance: 100 } } });
  expect(again).toEqual(anonymous);
});

describe('plans are cached by the whole authorization outcome, not by the paths removed', () => {
  // Both fragments answer at `docs.@.x`: a key made of removed paths is the same for a memo:read
  // and a finance:read caller, and the second got the first one's plan (and MEMO-SECRET-1).
  const query = '{ docs { __typename ... on Memo { x: secret } ... on Invoice { x: amount } } }';
  const docs = (memo: string | null, invoice: string | null) => [
    { __typename: 'Memo', x: memo },
    { __typename: 'Invoice', x: invoice },
  ];
  const callers: Array<[string, string | null, ReturnType<typeof docs>]> = [
    ['memo:read', 'memo:read', docs('MEMO-SECRET-1', null)],
    ['finance:read', 'finance:read', docs(null, 'INVOICE-AMOUNT-1')],
    ['anonymous', null, docs(null, null)],
    ['both scopes', 'memo:read finance:read', docs('MEMO-SECRET-1', 'INVOICE-AMOUNT-1')],
  ];

  it.each([
    ['in one order', [0, 1, 2, 3, 1, 0]],
    ['in another', [1, 0, 3, 2, 0, 1]],
  ])('each caller gets its own answer, %s', async (_order, sequence) => {
    for (const i of sequence) {
      const [who, scope, expected] = callers[i];
      const res = await ask(query, scope);
      expect({ who, docs: res.data?.docs }).toEqual({ who, docs: expected });
      // What a caller may not see is never asked of the subgraph either.
      if (!scope?.includes('memo:read')) expect({ who, asked: asked('secret') }).toEqual({ who, asked: false });
      if (!scope?.includes('finance:read')) expect({ who, asked: asked('amount') }).toEqual({ who, asked: false });
    }
  });
});

it('reject mode refuses the whole operation with 403 when anything would be removed', async () => {
  const strict = await startJunction(supergraphSdl, { config: { auth, authorization: { mode: 'reject' } } });
  try {
    received.length = 0;
    const res = await postGraphQL(strict.url, { query: '{ account(id: "a1") { owner balance } secrets { id } }' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      errors: [unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] }), unauthorized(['secrets'], { authenticated: true })],
    });
    expect(received).toEqual([]);
    expect((await postGraphQL(strict.url, { query: '{ account(id: "a1") { owner } }' })).body).toEqual({ data: { account: { owner: 'Ada' } } });
  } finally {
    await strict.stop();
  }
});

describe('the sample subgraphs', () => {
  let sample: SampleSubgraphs;
  let gateway: StartedGateway;
  beforeAll(async () => {
    sample = await startSampleSubgraphs();
    // As the sample config: accounts answers Query.me for the subject it is told.
    const forwarding = { subgraphs: { accounts: { headersFromClaims: { 'x-user-id': 'sub' } } } };
    gateway = await startJunction(sample.supergraphSdl, { config: { auth: { ...auth, forwarding } }, policyModulePath: join(__dirname, '..', 'gateway', 'policies.sample.js') });
  });
  afterAll(async () => {
    await gateway?.stop();
    await sample?.stop();
  });

  it('Query.me is @authenticated, User.email needs read:email, Product.supplierCost the internal policy', async () => {
    sample.requests.length = 0;
    const res = await postGraphQL(gateway.url, { query: '{ me { name } users(role: ADMIN) { name email } topProducts(first: 1) { upc supplierCost } }' });
    expect(res.body).toEqual({
      errors: [
        unauthorized(['me'], { authenticated: true }),
        unauthorized(['users', '@', 'email'], { requiresScopes: [['read:email']] }),
        unauthorized(['topProducts', '@', 'supplierCost'], { policies: [['internal']] }),
      ],
      data: { me: null, users: [{ name: 'Ada Lovelace', email: null }], topProducts: [{ upc: '1', supplierCost: null }] },
    });
    expect(sample.requests.map((r) => r.subgraph).sort()).toEqual(['accounts', 'products']);
    expect(sample.requests.some((r) => /\bme\b|\bemail\b|supplierCost/.test(r.query ?? ''))).toBe(false);

    const staff = await postGraphQL(
      gateway.url,
      { query: '{ me { name } users(role: ADMIN) { email } topProducts(first: 1) { supplierCost } }' },
      { authorization: `Bearer ${await signToken(key, { sub: '1', scope: 'read:email internal:read' })}` },
    );
    expect(staff.body).toEqual({ data: { me: { name: 'Ada Lovelace' }, users: [{ email: 'ada@example.com' }], topProducts: [{ supplierCost: 43 }] } });
  });
});
