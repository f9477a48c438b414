/**
 * Issue #12, acceptance 3: with `allowArbitrary: false` and manifests of 5 operations in each of the
 * three formats (Apollo's persisted query manifest, Relay's `persisted_queries.json`, GraphQL Code
 * Generator's persisted documents), the 5 run by id and by full text against the real sample
 * subgraphs, any other operation is refused with no subgraph called, and an exempt client id (an
 * API key's) may still send anything. Then two gateway processes on one Redis: a manifest pushed
 * through the admin API of one is honoured by the other within 2 s.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { gatewayConfigFile, startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** Five operations over every sample subgraph. */
const OPERATIONS = [
  'query TopProducts { topProducts { upc name price } }',
  'query Reviewed { topProducts(first: 2) { name reviews { body author { username } } } }',
  'query Stock { topProducts(first: 3) { upc inStock } }',
  'query Product($upc: String!) { product(upc: $upc) { name averageStars } }',
  'query Reviews { reviews(minStars: 4) { stars product { name } } }',
];
const VARIABLES: Array<Record<string, unknown> | undefined> = [undefined, undefined, undefined, { upc: '1' }, undefined];
const OTHER = 'query Users { users { id name } }';
const ADMIN_TOKEN = 'test-admin-token-0123456789';
const API_KEY = 'internal-tools-key-0123456789';

/** The same five in each format, with the ids each tool gives them. */
const FORMATS: Array<{ format: string; client: string; id(text: string, i: number): string; manifest(): string }> = [
  {
    format: "Apollo's persisted query manifest",
    client: 'apollo-app',
    id: (text) => sha256(text),
    manifest: () =>
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: OPERATIONS.map((body) => ({ id: sha256(body), name: /query (\w+)/.exec(body)![1], type: 'query', body })),
      }),
  },
  // Relay's compiler names a document by the MD5 of its text.
  { format: "Relay's persisted_queries.json", client: 'relay-app', id: (text) => md5(text), manifest: () => JSON.stringify(Object.fromEntries(OPERATIONS.map((b) => [md5(b), b]))) },
  // GraphQL Code Generator's client preset: SHA-256 hashes; here with the appendix's prefix.
  {
    format: "GraphQL Code Generator's persisted documents",
    client: 'codegen-app',
    id: (text) => `sha256:${sha256(text)}`,
    manifest: () => JSON.stringify(Object.fromEntries(OPERATIONS.map((b) => [`sha256:${sha256(b)}`, b]))),
  },
];

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

describe('allowArbitrary: false, a manifest file in each format', () => {
  let junction: StartedGateway;
  /** What the five answer when sent as text by a client that may send anything. */
  const reference: unknown[] = [];

  beforeAll(async () => {
    const dir = tempDir('junction-trusted-');
    const manifests = FORMATS.map(({ client, manifest }) => {
      const file = join(dir, `${client}.json`);
      writeFileSync(file, manifest());
      return { file, client };
    });
    junction = await startJunction(subgraphs.supergraphSdl, {
      config: {
        trustedDocuments: { enabled: true, allowArbitrary: false, manifests, exempt: { clientIds: ['internal-tools'] } },
        registry: { file: join(dir, 'registry.json') },
        auth: { apiKeys: { keys: [{ sha256: sha256(API_KEY), clientId: 'internal-tools' }] } },
      },
    });
    for (const [i, query] of OPERATIONS.entries()) {
      const res = await postGraphQL(junction.url, { query, variables: VARIABLES[i] }, { 'x-api-key': API_KEY });
      expect(res.body.errors).toBeUndefined();
      reference.push(res.body.data);
    }
  });
  afterAll(async () => {
    await junction?.stop();
  });

  it.each(FORMATS.flatMap((f) => OPERATIONS.map((text, i) => [f.format, i, f] as const)))('%s: operation %i runs by id and by full text', async (_format, i, f) => {
    const headers = { 'apollographql-client-name': f.client, 'apollographql-client-version': '1.0.0' };
    subgraphs.requests.length = 0;
    const byId = await postGraphQL(junction.url, { documentId: f.id(OPERATIONS[i], i), variables: VARIABLES[i] }, headers);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual({ data: reference[i] });
    expect(subgraphs.requests.length).toBeGreaterThan(0);
    const byText = await postGraphQL(junction.url, { query: OPERATIONS[i], variables: VARIABLES[i] }, headers);
    expect(byText.body).toEqual({ data: reference[i] });
  });

  it.each<[string, object, Record<string, string>]>([
    ['another operation', { query: OTHER }, {}],
    ['a trusted text with one more space', { query: `${OPERATIONS[0]} ` }, {}],
    ['another operation with its APQ hash', { query: OTHER, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(OTHER) } } }, {}],
    ['another operation from a client that calls itself internal-tools', { query: OTHER }, { 'apollographql-client-name': 'internal-tools' }],
    ['another operation with a wrong API key', { query: OTHER }, { 'x-api-key': `${API_KEY}x` }],
  ])('refuses %s, and no subgraph is called', async (_name, body, headers) => {
    subgraphs.requests.length = 0;
    const res = await postGraphQL(junction.url, body, headers);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.data).toBeUndefined();
    expect(['PERSISTED_QUERY_NOT_ALLOWED', 'UNAUTHENTICATED']).toContain(res.body.errors?.[0]?.extensions?.code);
    expect(subgraphs.requests).toEqual([]);
  });

  it('lets the exempt client id send any operation', async () => {
    const res = await postGraphQL(junction.url, { query: OTHER }, { 'x-api-key': API_KEY });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data as { users: unknown[] }).users.length).toBeGreaterThan(0);
  });

  it('counts each request in junction_trusted_documents_total', async () => {
    const counts = async () => Object.fromEntries((await junction.gateway.metrics.trustedDocuments.get()).values.map((v) => [v.labels.result, v.value]));
    const before = await counts();
    const app = { 'apollographql-client-name': 'relay-app' };
    await postGraphQL(junction.url, { documentId: md5(OPERATIONS[0]) }, app);
    await postGraphQL(junction.url, { query: OPERATIONS[0] }, app);
    await postGraphQL(junction.url, { query: OTHER }, app);
    await postGraphQL(junction.url, { query: OTHER }, { 'x-api-key': API_KEY });
    await postGraphQL(junction.url, { documentId: 'no-such-id' }, app);
    // Refused by authentication first: not counted.
    await postGraphQL(junction.url, { query: OTHER }, { 'x-api-key': 'wrong' });
    const after = await counts();
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
    expect(delta).toEqual({ trusted: 2, refused: 1, exempt: 1, not_found: 1 });
  });
});

const describeWithRedis = redisAvailable() ? describe : describe.skip;

describeWithRedis('two replicas on one Redis', () => {
  let redis: RunningRedis;
  const replicas: GatewayProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const dir = tempDir('junction-trusted-replicas-');
    const config = gatewayConfigFile(dir, subgraphs.supergraphSdl, {
      registry: { store: 'redis', redisUrl: redis.url },
      trustedDocuments: { enabled: true, allowArbitrary: false },
    });
    for (let i = 0; i < 2; i++) replicas.push(await startGatewayProcess(['--config', config], { JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN }));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
  });

  it('honours on B, within 2 s, a manifest pushed through A', async () => {
    const [a, b] = replicas;
    const headers = { 'apollographql-client-name': 'web', 'apollographql-client-version': '7.1' };
    const request = { documentId: 'top-products', variables: {} };
    subgraphs.requests.length = 0;
    expect((await postGraphQL(b.url, request, headers)).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postGraphQL(b.url, { query: OPERATIONS[0] }, headers)).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    expect(subgraphs.requests).toEqual([]);

    const pushed = await fetch(new URL('/admin/documents/web/7.1', a.url), {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ 'top-products': OPERATIONS[0] }),
    });
    expect(pushed.status).toBe(201);
    const started = performance.now();
    let answer = await postGraphQL(b.url, request, headers);
    while (answer.status !== 200 && performance.now() - started < 2_000) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await postGraphQL(b.url, request, headers);
    }
    const ms = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(ms).toBeLessThan(2_000);
    expect((answer.body.data as { topProducts: unknown[] }).topProducts.length).toBeGreaterThan(0);
    expect((await postGraphQL(b.url, { query: OPERATIONS[0] }, headers)).status).toBe(200);
    if (process.env.JUNCTION_TEST_REPORT) console.log(`pushed on A, served by id on B after ${ms.toFixed(0)} ms`);
  });
});
