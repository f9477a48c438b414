/**
 * Issue #3: subgraphs registered, updated and removed at runtime through the admin API (file store).
 */
import { runJunction } from './helpers/gatewayProcess';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { conflictingSubgraph, shippingSubgraph } from '../subgraphs/extras/shipping';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { ADMIN_TOKEN, admin, deadUrl, startGarbageServer, startPlainService, startRegistryJunction, tempDir } from './helpers/registryEnvironment';

let subgraphs: SampleSubgraphs;
let shippingV1: RunningSubgraph;
let shippingV2: RunningSubgraph;
let shippingBreaking: RunningSubgraph;
let conflicting: RunningSubgraph;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  [shippingV1, shippingV2, shippingBreaking, conflicting] = await Promise.all([
    startSubgraph(shippingSubgraph('v1')),
    startSubgraph(shippingSubgraph('v2')),
    startSubgraph(shippingSubgraph('breaking')),
    startSubgraph(conflictingSubgraph),
  ]);
});
afterAll(async () => {
  await Promise.all([subgraphs?.stop(), shippingV1?.stop(), shippingV2?.stop(), shippingBreaking?.stop(), conflicting?.stop()]);
});

const JOINED = '{ topProducts(first: 2) { name carbonFootprint } user(id: "1") { name loyaltyPoints } }';
const JOINED_DATA = {
  topProducts: [
    { name: 'Table 1', carbonFootprint: 107 },
    { name: 'Couch 1', carbonFootprint: 114 },
  ],
  user: { name: 'Ada Lovelace', loyaltyPoints: 250 },
};

/** What must not change when a registry request is refused. */
async function snapshot(j: StartedGateway) {
  return { list: (await admin(j.url, 'GET', '/subgraphs')).body, supergraph: (await admin(j.url, 'GET', '/supergraph')).body };
}

describe('registration with the file store', () => {
  const dir = tempDir('junction-registry-');
  const registryFile = join(dir, 'registry.json');
  let junction: StartedGateway;

  beforeAll(async () => {
    junction = await startRegistryJunction(subgraphs, { registryFile });
  });
  afterAll(async () => {
    await junction?.stop();
  });

  it('lists the seeded subgraphs', async () => {
    const res = await admin(junction.url, 'GET', '/subgraphs');
    expect(res.status).toBe(200);
    expect(res.body.subgraphs.map((s: { name: string; healthy: boolean }) => [s.name, s.healthy])).toEqual([
      ['accounts', true],
      ['inventory', true],
      ['products', true],
      ['reviews', true],
    ]);
    expect(res.body.subgraphs[0]).toEqual({ name: 'accounts', url: subgraphs.url('accounts'), sdlHash: expect.stringMatching(/^[0-9a-f]{64}$/), updatedAt: expect.any(String), healthy: true });
  });

  it('registers a subgraph: its fields join the sample entities in under 2 s', async () => {
    const before = await postGraphQL(junction.url, { query: JOINED });
    expect(before.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const started = performance.now();
    const res = await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shippingV1.url });
    let served = await postGraphQL(junction.url, { query: JOINED });
    while (served.body.errors && performance.now() - started < 2000) served = await postGraphQL(junction.url, { query: JOINED });
    const elapsed = performance.now() - started;

    expect(res.status).toBe(201);
    expect(res.body.subgraph).toMatchObject({ name: 'shipping', url: shippingV1.url, healthy: true });
    expect(res.body.supergraphHash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.changes.breaking).toEqual([]);
    expect(res.body.changes.safe.map((c: { description: string }) => c.description)).toEqual(
      expect.arrayContaining(['Product.carbonFootprint was added.', 'User.loyaltyPoints was added.']),
    );
    expect(served.body).toEqual({ data: JOINED_DATA });
    expect(elapsed).toBeLessThan(2000);
    expect((await admin(junction.url, 'GET', '/supergraph')).body).toContain('carbonFootprint');
  });

  it('stores registrations in the file, atomically replaced', () => {
    const file = JSON.parse(readFileSync(registryFile, 'utf8'));
    expect(file.subgraphs.map((s: { name: string }) => s.name)).toEqual(['accounts', 'inventory', 'products', 'reviews', 'shipping']);
  });

  it('keeps registrations across a restart', async () => {
    const port = junction.port;
    await junction.stop();
    junction = await startRegistryJunction(subgraphs, { registryFile, port });
    expect((await postGraphQL(junction.url, { query: JOINED })).body).toEqual({ data: JOINED_DATA });
  });

  it('refuses a subgraph that does not compose with 422 and the errors, changing nothing', async () => {
    const before = await snapshot(junction);
    const res = await admin(junction.url, 'POST', '/subgraphs', { name: 'pricing', url: conflicting.url });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { code: 'FIELD_TYPE_MISMATCH', message: expect.stringContaining('"Product.price"'), subgraphs: expect.arrayContaining(['pricing', 'products']) },
      ]),
    );
    expect(await snapshot(junction)).toEqual(before);
    expect((await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { price } }' })).body).toEqual({ data: { topProducts: [{ price: 137 }] } });
  });

  it.each([
    ['an unreachable URL', async () => ({ name: 'nowhere', url: await deadUrl() }), 502, 'SUBGRAPH_UNREACHABLE'],
    ['a name with bad characters', async () => ({ name: 'bad name!', url: shippingV1.url }), 400, 'INVALID_SUBGRAPH_NAME'],
    ['a URL that is not http(s)', async () => ({ name: 'files', url: 'file:///etc/passwd' }), 400, 'INVALID_SUBGRAPH_URL'],
    ['a URL outside the allowlist', async () => ({ name: 'outside', url: 'http://example.com/graphql' }), 400, 'URL_NOT_ALLOWED'],
    ['a missing URL', async () => ({ name: 'nourl' }), 400, 'INVALID_SUBGRAPH_URL'],
  ])('refuses %s, changing nothing', async (_what, body, status, code) => {
    const before = await snapshot(junction);
    const res = await admin(junction.url, 'POST', '/subgraphs', await body());
    expect(res.status).toBe(status);
    expect(res.body.errors.map((e: { code: string }) => e.code)).toEqual([code]);
    expect(await snapshot(junction)).toEqual(before);
  });

  it('refuses a URL that answers garbage with 502, changing nothing', async () => {
    const garbage = await startGarbageServer();
    try {
      const before = await snapshot(junction);
      const res = await admin(junction.url, 'POST', '/subgraphs', { name: 'garbage', url: garbage.url });
      expect(res.status).toBe(502);
      expect(res.body.errors[0]).toMatchObject({ code: 'SUBGRAPH_UNREACHABLE', message: expect.stringContaining('not a GraphQL response') });
      expect(await snapshot(junction)).toEqual(before);
    } finally {
      await garbage.stop();
    }
  });

  it('refuses requests without the right token with 401, changing nothing', async () => {
    const before = await snapshot(junction);
    for (const token of [null, 'wrong-token-wrong-token', '']) {
      const post = await admin(junction.url, 'POST', '/subgraphs', { name: 'sneaky', url: shippingV2.url }, token);
      expect(post.status).toBe(401);
      expect(post.body.errors[0].code).toBe('UNAUTHENTICATED');
      expect((await admin(junction.url, 'DELETE', '/subgraphs/shipping', undefined, token)).status).toBe(401);
      expect((await admin(junction.url, 'GET', '/supergraph', undefined, token)).status).toBe(401);
    }
    expect(await snapshot(junction)).toEqual(before);
  });

  it('refuses 400 for a body that is not JSON', async () => {
    const res = await fetch(junction.url.replace('/graphql', '/admin/subgraphs'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(res.status).toBe(400);
  });

  it('updates with a safe change, reporting it', async () => {
    const res = await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shippingV2.url });
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual({ breaking: [], dangerous: [], safe: [{ type: 'FIELD_ADDED', description: 'Product.recyclable was added.' }] });
    expect((await postGraphQL(junction.url, { query: '{ topProducts(first: 2) { recyclable } }' })).body).toEqual({
      data: { topProducts: [{ recyclable: false }, { recyclable: true }] },
    });
  });

  it('refuses a breaking update unless allowBreaking, listing the breaking changes', async () => {
    const before = await snapshot(junction);
    const refused = await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shippingBreaking.url });
    expect(refused.status).toBe(409);
    expect(refused.body.errors.map((e: { code: string; message: string }) => [e.code, e.message]).sort()).toEqual([
      ['BREAKING_CHANGE', 'Product.carbonFootprint was removed.'],
      ['BREAKING_CHANGE', 'Product.recyclable was removed.'],
    ]);
    expect(refused.body.changes.breaking).toHaveLength(2);
    expect(await snapshot(junction)).toEqual(before);

    const allowed = await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shippingBreaking.url, allowBreaking: true });
    expect(allowed.status).toBe(200);
    expect(allowed.body.changes.breaking.map((c: { type: string }) => c.type)).toEqual(['FIELD_REMOVED', 'FIELD_REMOVED']);
    const gone = await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { carbonFootprint } }' });
    expect(gone.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('joins a plain GraphQL service (no _service) by its root fields, via introspection', async () => {
    const plain = await startPlainService();
    try {
      const res = await admin(junction.url, 'POST', '/subgraphs', { name: 'weather', url: plain.url });
      expect(res.status).toBe(201);
      const served = await postGraphQL(junction.url, { query: '{ weather(city: "Oslo") { city celsius } user(id: "1") { name } }' });
      expect(served.body).toEqual({ data: { weather: { city: 'Oslo', celsius: 6 }, user: { name: 'Ada Lovelace' } } });
      expect((await admin(junction.url, 'DELETE', '/subgraphs/weather')).status).toBe(200);
    } finally {
      await plain.stop();
    }
  });

  it('removes a subgraph', async () => {
    const res = await admin(junction.url, 'DELETE', '/subgraphs/shipping');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ removed: 'shipping', supergraphHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const gone = await postGraphQL(junction.url, { query: '{ shippingZones }' });
    expect(gone.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await admin(junction.url, 'GET', '/subgraphs')).body.subgraphs).toHaveLength(4);
  });

  it('404 for an unknown subgraph; 422 when the rest would not compose', async () => {
    expect((await admin(junction.url, 'DELETE', '/subgraphs/nope')).status).toBe(404);
    const before = await snapshot(junction);
    // inventory @requires products' price and weight: without products nothing can provide them.
    const res = await admin(junction.url, 'DELETE', '/subgraphs/products');
    expect(res.status).toBe(422);
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await snapshot(junction)).toEqual(before);
  });
});

describe('polling', () => {
  const registryFile = join(tempDir('junction-poll-'), 'registry.json');
  let junction: StartedGateway;
  let shipping: RunningSubgraph;

  beforeAll(async () => {
    junction = await startRegistryJunction(subgraphs, { registryFile });
    shipping = await startSubgraph(shippingSubgraph('v1'));
    expect((await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url })).status).toBe(201);
  });
  afterAll(async () => {
    await junction?.stop();
    await shipping?.stop();
  });

  it('picks up a changed SDL, and keeps the last good one while a subgraph is down', async () => {
    // The service is redeployed on the same port with a new field.
    await shipping.stop();
    shipping = await startSubgraph(shippingSubgraph('v2'), { port: shipping.port });
    await junction.registry!.poll();
    expect((await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { recyclable } }' })).body).toEqual({ data: { topProducts: [{ recyclable: false }] } });

    await shipping.stop();
    await junction.registry!.poll();
    const list = (await admin(junction.url, 'GET', '/subgraphs')).body.subgraphs;
    expect(list.find((s: { name: string }) => s.name === 'shipping').healthy).toBe(false);
    // Still composed with the last good SDL: the field validates, its fetch fails.
    const res = await postGraphQL(junction.url, { query: '{ topProducts(first: 1) { name recyclable } }' });
    expect(res.body.data).toEqual({ topProducts: [{ name: 'Table 1', recyclable: null }] });
    expect(res.body.errors?.[0].extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');

    shipping = await startSubgraph(shippingSubgraph('v2'), { port: shipping.port });
    await junction.registry!.poll();
    expect((await admin(junction.url, 'GET', '/subgraphs')).body.subgraphs.find((s: { name: string }) => s.name === 'shipping').healthy).toBe(true);
  });
});

describe('junction subgraph add / list / remove', () => {
  const registryFile = join(tempDir('junction-cli-registry-'), 'registry.json');
  let junction: StartedGateway;
  let shipping: RunningSubgraph;

  beforeAll(async () => {
    junction = await startRegistryJunction(subgraphs, { registryFile });
    shipping = await startSubgraph(shippingSubgraph('v1'));
  });
  afterAll(async () => {
    await junction?.stop();
    await shipping?.stop();
  });

  const cli = async (args: string[], token = ADMIN_TOKEN) => {
    const run = runJunction(['subgraph', ...args], { env: { JUNCTION_ADMIN_TOKEN: token, JUNCTION_GATEWAY_URL: junction.url.replace('/graphql', '') } });
    const status = await run.exited;
    return { status, stdout: run.stdout(), stderr: run.stderr() };
  };

  it('adds, lists and removes through the admin API', async () => {
    const added = await cli(['add', 'shipping', shipping.url]);
    expect(added).toMatchObject({ status: 0, stdout: expect.stringContaining(`registered shipping at ${shipping.url}`) });
    expect(added.stdout).toContain('safe: Product.carbonFootprint was added.');
    expect((await postGraphQL(junction.url, { query: '{ shippingZones }' })).body).toEqual({ data: { shippingZones: ['EU', 'US', 'APAC'] } });

    const listed = await cli(['list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['accounts', 'inventory', 'products', 'reviews', 'shipping']);

    const removed = await cli(['remove', 'shipping']);
    expect(removed).toMatchObject({ status: 0, stdout: expect.stringContaining('removed shipping') });
    expect(removed.stdout).toContain('breaking: Query.shippingZones was removed.');
  });

  it('prints the gateway\'s reasons and exits 1 when refused, 2 on bad usage', async () => {
    const refused = await cli(['add', 'pricing', conflicting.url]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/Refused \(HTTP 422\)[\s\S]*\[FIELD_TYPE_MISMATCH\] \(subgraphs: pricing, products\)/);
    const unauthorized = await cli(['list'], 'not-the-token-at-all');
    expect(unauthorized.status).toBe(1);
    expect(unauthorized.stderr).toContain('[UNAUTHENTICATED]');
    expect((await cli(['add', 'only-a-name'])).status).toBe(2);
  });
});
