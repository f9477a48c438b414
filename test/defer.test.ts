/**
 * Incremental delivery (`@defer`) against the oracle: for each operation of the corpus, the parts
 * Junction sends (multipart, deferSpec=20220824), merged in order, are exactly the response
 * @apollo/gateway gives for the same operation without its `@defer`s (data and errors). The same
 * operation sent by a client that accepts only JSON gets that whole response at once.
 */
import { parse, print, visit } from 'graphql';
import { resolveConfig } from '../gateway/src/config';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { startGateway, type StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startApolloGateway, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

type Json = Record<string, unknown>;
type Payload = { data?: Json | null; errors?: Json[]; hasNext?: boolean; incremental?: Array<{ data: Json | null; path: Array<string | number>; label?: string; errors?: Json[] }> };

/** `oracle`: the operation without @defer, where removing the directive is not enough (a variable only `if:` used). */
const CORPUS: Array<{ name: string; query: string; variables?: Json; parts: number; oracle?: string }> = [
  { name: 'a scalar deferred', query: '{ topProducts(first: 3) { name ... @defer { price } } }', parts: 2 },
  { name: 'another subgraph deferred, through a list', query: '{ topProducts(first: 2) { name ... @defer { reviews { body author { name } } } } }', parts: 2 },
  { name: 'labelled', query: '{ topProducts(first: 2) { upc ... @defer(label: "stock") { inStock } } }', parts: 2 },
  { name: 'two sibling defers', query: '{ topProducts(first: 2) { name ... @defer(label: "a") { inStock } ... @defer(label: "b") { reviews { stars } } } }', parts: 3 },
  { name: 'nested defers', query: '{ user(id: "1") { name ... @defer { reviews { body product { name ... @defer { inStock } } } } } }', parts: 3 },
  { name: 'defer at the root', query: '{ topProducts(first: 1) { name } ... @defer { users { name } } }', parts: 2 },
  { name: 'two root fields, one deferred', query: '{ user(id: "2") { name } ... @defer { topProducts(first: 2) { upc } } }', parts: 2 },
  { name: 'named fragment deferred', query: '{ topProducts(first: 2) { name ...Reviews @defer } } fragment Reviews on Product { reviews { stars author { username } } }', parts: 2 },
  { name: 'named fragment with a defer inside', query: '{ topProducts(first: 2) { ...Card } } fragment Card on Product { name ... @defer { shippingEstimate } }', parts: 2 },
  { name: '@defer(if: true) from a variable', query: 'query ($d: Boolean!) { topProducts(first: 2) { name ... @defer(if: $d) { inStock } } }', variables: { d: true }, parts: 2, oracle: '{ topProducts(first: 2) { name inStock } }' },
  { name: '@defer(if: false) from a variable: one response', query: 'query ($d: Boolean!) { topProducts(first: 2) { name ... @defer(if: $d) { inStock } } }', variables: { d: false }, parts: 1, oracle: '{ topProducts(first: 2) { name inStock } }' },
  { name: '@defer(if: false) literal', query: '{ topProducts(first: 2) { name ... @defer(if: false) { inStock } } }', parts: 1 },
  { name: 'deferred with @skip inside', query: 'query ($s: Boolean!) { topProducts(first: 2) { name ... @defer { inStock price @skip(if: $s) } } }', variables: { s: true }, parts: 2 },
  { name: 'deferred fragment under @include', query: 'query ($i: Boolean!) { topProducts(first: 2) { name ... @defer @include(if: $i) { inStock } } }', variables: { i: true }, parts: 2 },
  { name: 'deferred fragment excluded by @include', query: 'query ($i: Boolean!) { topProducts(first: 2) { name ... @defer @include(if: $i) { inStock } } }', variables: { i: false }, parts: 2 },
  { name: 'a field also selected outside the deferred fragment', query: '{ topProducts(first: 2) { name ... @defer { name price } } }', parts: 2 },
  { name: 'a @requires field deferred', query: '{ topProducts(first: 3) { upc ... @defer { shippingEstimate } } }', parts: 2 },
  { name: 'an interface, type condition deferred', query: '{ items { upc ... on Product @defer { inStock } } }', parts: 2 },
  { name: 'an interface, fields deferred', query: '{ items { upc ... @defer { name price } } }', parts: 2 },
  { name: 'a union, a member deferred', query: '{ search(term: "gift") { ... on GiftCard { name } ... on Product @defer { upc inStock } } }', parts: 2 },
  { name: 'aliases in a deferred fragment', query: '{ first: topProducts(first: 1) { n: name ... @defer { stocked: inStock r: reviews { s: stars } } } }', parts: 2 },
  { name: '__typename in a deferred fragment', query: '{ topProducts(first: 2) { name ... @defer { __typename inStock } } }', parts: 2 },
  { name: 'an error in a deferred part (nullable field)', query: '{ user(id: "3") { name ... @defer { riskScore } } }', parts: 2 },
  { name: 'an error in the primary part, none deferred', query: '{ users { name riskScore ... @defer { username } } }', parts: 2 },
  { name: 'deferred inside a deferred list element object', query: '{ topProducts(first: 2) { upc reviews { body ... @defer { author { name } } } } }', parts: 2 },
  { name: 'deep nesting through three subgraphs', query: '{ user(id: "2") { reviews { product { name ... @defer { inStock reviews { author { name } } } } } } }', parts: 2 },
  { name: 'an entity by key, fields from two subgraphs deferred', query: '{ product(upc: "3") { name ... @defer { inStock averageStars } } }', parts: 2 },
  { name: 'an argument on a deferred field', query: '{ topProducts(first: 1) { name ... @defer { reviews { body(truncate: 4) } } } }', parts: 2 },
  { name: 'a variable used only in a deferred part', query: 'query ($t: Int) { topProducts(first: 1) { name ... @defer { reviews { body(truncate: $t) } } } }', variables: { t: 3 }, parts: 2 },
  { name: 'an empty list under the deferred path', query: '{ topProducts(first: 12) { upc ... @defer { reviews { stars } } } }', parts: 2 },
  { name: 'a mutation with a deferred fragment below its root field', query: 'mutation { submitReview(input: { upc: "4", authorId: "1", body: "Deferred.", stars: 4 }) { id ... @defer { product { name inStock } } } }', parts: 2 },
];

let subgraphs: SampleSubgraphs;
let junction: StartedGateway;
let apollo: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  junction = await startJunction(subgraphs.supergraphSdl);
  apollo = await startApolloGateway(subgraphs.supergraphSdl);
});
afterAll(async () => {
  await junction?.stop();
  await apollo?.stop();
  await subgraphs?.stop();
});

const withoutDefer = (query: string) => print(visit(parse(query), { Directive: (node) => (node.name.value === 'defer' ? null : undefined) }));

/** The parts of a multipart (deferSpec=20220824) response. */
async function parts(query: string, variables?: Json): Promise<{ type: string | null; payloads: Payload[] }> {
  const res = await fetch(junction.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const type = res.headers.get('content-type');
  const text = await res.text();
  if (!type?.startsWith('multipart/mixed')) return { type, payloads: [JSON.parse(text) as Payload] };
  const payloads = text
    .split('\r\n---')
    .slice(1, -1)
    .map((part) => JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4)) as Payload);
  return { type, payloads };
}

/** The incremental parts merged in order into the first: what the whole response would be. */
function merged(payloads: Payload[]): Payload {
  const [first, ...rest] = payloads;
  const data = structuredClone(first.data ?? null);
  const errors = [...(first.errors ?? [])];
  for (const payload of rest) {
    for (const item of payload.incremental ?? []) {
      let target: unknown = data;
      for (const step of item.path) target = (target as Record<string | number, unknown>)[step];
      if (item.data) deepMerge(target as Json, item.data);
      errors.push(...(item.errors ?? []));
    }
  }
  return errors.length > 0 ? { data, errors } : { data };
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(value) && Array.isArray(existing)) value.forEach((v, i) => (v && typeof v === 'object' ? deepMerge(existing[i] as Json, v as Json) : (existing[i] = v)));
    else if (value && typeof value === 'object' && existing && typeof existing === 'object') deepMerge(existing as Json, value as Json);
    else target[key] = value;
  }
}

/** Errors as both gateways word them: message, path and code, in a stable order. */
const comparable = (r: Payload) => ({
  data: r.data,
  errors: (r.errors ?? []).map((e) => JSON.stringify([e.message, e.path, (e.extensions as Json | undefined)?.code])).sort(),
});

describe('merging the parts gives @apollo/gateway\'s response to the operation without @defer', () => {
  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, { query, variables, parts: expectedParts, oracle: oracleQuery }) => {
    const oracle = await postGraphQL(apollo.url, oracleQuery ? { query: oracleQuery } : { query: withoutDefer(query), variables });
    const { type, payloads } = await parts(query, variables);
    expect(payloads).toHaveLength(expectedParts === 1 ? 1 : payloads.length);
    if (expectedParts > 1) {
      expect(type).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
      expect(payloads[0].hasNext).toBe(true);
      expect(payloads.at(-1)!.hasNext).toBe(false);
      expect(payloads.slice(0, -1).every((p) => p.hasNext === true)).toBe(true);
      expect(payloads.length).toBeGreaterThanOrEqual(2);
      expect(payloads.length).toBeLessThanOrEqual(expectedParts);
      // No label the gateway gave a fragment reaches the client.
      expect(JSON.stringify(payloads)).not.toContain('junction__defer_');
    }
    expect(comparable(merged(payloads))).toEqual(comparable(oracle.body as Payload));
    // A client that accepts only JSON gets the whole response at once.
    const plain = await postGraphQL(junction.url, { query, variables });
    expect(comparable(plain.body as Payload)).toEqual(comparable(oracle.body as Payload));
  });
});

it('the corpus has at least 30 operations, each with @defer', () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  for (const { query } of CORPUS) expect(query).toContain('@defer');
});

describe('documents that use @defer wrongly are refused before anything runs', () => {
  it.each([
    ['on a mutation root field', 'mutation { ... @defer { submitReview(input: { upc: "1", authorId: "1", body: "x", stars: 1 }) { id } } }', 'root fields of a mutation'],
    ['in a subscription', 'subscription { reviewAdded { body ... @defer { stars } } }', 'subscription'],
    ['a label from a variable', 'query ($l: String) { topProducts { name ... @defer(label: $l) { price } } }', 'literal string'],
    ['the same label twice', '{ topProducts { name ... @defer(label: "x") { price } ... @defer(label: "x") { upc } } }', 'unique'],
    ['a label of the gateway\'s', '{ topProducts { name ... @defer(label: "junction__defer_0") { price } } }', "gateway's"],
  ])('%s', async (_case, query, message) => {
    const before = subgraphs.requests.length;
    const res = await postGraphQL(junction.url, { query });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringContaining(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(subgraphs.requests.length).toBe(before);
  });
});

it('a null that bubbles up inside a deferred part stays in its item: the object sent before keeps its fields', async () => {
  // Product 7's warehouseCode (String!) fails: without @defer the whole product is null.
  const { payloads } = await parts('{ product(upc: "7") { upc name ... @defer { warehouseCode } } }');
  expect(payloads[0]).toEqual({ data: { product: { upc: '7', name: expect.any(String) } }, hasNext: true });
  expect(payloads[1]).toMatchObject({ incremental: [{ data: null, path: ['product'], errors: [expect.objectContaining({ path: ['product', 'warehouseCode'] })] }], hasNext: false });
});

it('the plugins see an incremental response end once, after its last part: the actual cost of the whole, one log line, the budget settled', async () => {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const ends: Array<{ estimated?: number; actual?: number; parts: number }> = [];
  let partsSent = 0;
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'info', listen: { host: '127.0.0.1', port: 0 }, cost: { mode: 'measure' }, budgets: { enabled: true } });
  const logger = { debug() {}, info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }), warn() {}, error() {} };
  const watcher: GatewayPlugin = {
    name: 'watcher',
    onPhase: ({ phase }) => (phase === 'part' ? () => void partsSent++ : undefined),
    onResult: ({ context }) => void ends.push({ estimated: context.cost?.estimated, actual: context.cost?.actual, parts: partsSent }),
  };
  const budgeted = await startGateway({ config, supergraphSdl: subgraphs.supergraphSdl, logger, plugins: [watcher] });
  try {
    const query = '{ topProducts(first: 2) { name ... @defer { reviews { body } } } }';
    const res = await fetch(budgeted.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824' }, body: JSON.stringify({ query }) });
    expect((await res.text()).match(/"hasNext"/g)).toHaveLength(2);
    for (let i = 0; i < 100 && ends.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const whole = await postGraphQL(budgeted.url, { query: withoutDefer(query) });
    expect(ends).toHaveLength(2);
    // Seen once, after both parts, with the cost of the whole response: the same as without @defer.
    expect(ends[0]).toEqual({ estimated: ends[1].estimated, actual: (whole.body.extensions?.cost as { actualQueryCost: number }).actualQueryCost, parts: 2 });
    expect(lines.filter((l) => l.message === 'request')).toHaveLength(2);
    // Settled: what the estimate took beyond the actual cost is back in the bucket.
    const available = (whole.body.extensions?.cost as { throttleStatus: { currentlyAvailable: number } }).throttleStatus.currentlyAvailable;
    const capacity = config.budgets.tiers[config.budgets.defaultTier].capacity;
    expect(ends[0].estimated!).toBeGreaterThan(ends[0].actual! + 1);
    expect(capacity - available).toBeLessThanOrEqual(2 * ends[0].actual! + 1);
  } finally {
    await budgeted.stop();
  }
});

it('authorization applies before planning: a protected field in a deferred fragment is null with UNAUTHORIZED_FIELD_OR_TYPE, never fetched, as without @defer', async () => {
  const query = '{ user(id: "1") { name ... @defer { email username } } }';
  const before = subgraphs.requests.length;
  const { payloads } = await parts(query);
  const fetched = subgraphs.requests.slice(before).map((r) => r.query ?? '');
  expect(fetched.some((q) => q.includes('email'))).toBe(false);
  expect(payloads).toHaveLength(2);
  const whole = await postGraphQL(junction.url, { query: withoutDefer(query) });
  expect(whole.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  expect(comparable(merged(payloads))).toEqual(comparable(whole.body as Payload));
});

it("a query without @defer, sent with Apollo Client's Accept (multipart allowed): one JSON answer, over GET cacheable as without it", async () => {
  const accept = 'multipart/mixed;deferSpec=20220824,application/json';
  const query = encodeURIComponent('{ topProducts(first: 1) { name } }');
  const get = await fetch(`${junction.url}?query=${query}`, { headers: { accept, 'apollo-require-preflight': 'true' } });
  expect([get.status, get.headers.get('content-type'), get.headers.get('cache-control')]).toEqual([200, 'application/json; charset=utf-8', null]);
  expect(await get.json()).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  const failing = await fetch(`${junction.url}?query=${encodeURIComponent('{ user(id: "3") { riskScore } }')}`, { headers: { accept, 'apollo-require-preflight': 'true' } });
  expect(failing.headers.get('cache-control')).toBe('no-store');
});
