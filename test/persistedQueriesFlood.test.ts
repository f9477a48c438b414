/**
 * Acceptance #4 for automatic persisted queries, against a gateway process: 10,000 distinct
 * unknown hashes and 10,000 distinct registered queries leave the in-memory store within its bound
 * (read from the process's own /metrics) and its resident memory about where it was; hashes of the
 * wrong length or alphabet, prototype names and a body over `limits.maxBodyBytes` are refused
 * clearly, and the gateway keeps serving. The queries need no subgraph (`__typename`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { sha256Hex } from '../gateway/src/plugins/persistedQueries/useAutomaticPersistedQueries';
import { startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';

const MAX_ENTRIES = 2_000;
const MAX_BYTES = 1024 * 1024;
const MAX_BODY = 64 * 1024;
const TOKEN = 'operations-token-0123456789';
const CONCURRENCY = 16;
const persisted = (hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash: hash } });
const registered = (i: number | string) => `query Registered${i} { __typename }`;

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

let gateway: GatewayProcess;
let origin: string;
let agent: Agent;

beforeAll(async () => {
  const dir = tempDir('junction-apq-');
  const config = join(dir, 'junction.json');
  writeFileSync(
    config,
    JSON.stringify({
      supergraph: join(__dirname, '..', 'supergraph.graphql'),
      listen: { host: '127.0.0.1', port: 0 },
      operations: { token: TOKEN },
      limits: { maxBodyBytes: MAX_BODY },
      apq: { maxEntries: MAX_ENTRIES, maxBytes: MAX_BYTES },
    }),
  );
  // A small old space makes V8 collect as it goes, so the resident size tracks live memory (and a
  // store that grew without bound would end the process).
  gateway = await startGatewayProcess(['--config', config], {}, ['--max-old-space-size=256']);
  origin = new URL(gateway.url).origin;
  agent = new Agent({ connections: CONCURRENCY });
});
afterAll(async () => {
  await agent?.close();
  await gateway?.stop();
});

async function post(body: string | object): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } }> {
  const res = await agent.request({ origin, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.statusCode, body: (await res.body.json()) as never };
}

/** Sends `count` requests, CONCURRENCY at a time; returns how many got each status and first code. */
async function flood(count: number, body: (i: number) => object): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const res = await post(body(next++));
        const key = `${res.status} ${res.body.errors?.[0]?.extensions?.code ?? 'data'}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    }),
  );
  return outcomes;
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return Number(line?.split(' ').pop() ?? NaN);
}

it('10,000 unknown hashes and 10,000 registered queries: the store stays within its bound, memory about where it was', async () => {
  // Warm up (JIT, pools, caches at their steady size): fill the store once.
  expect(await flood(3_000, (i) => ({ query: registered(`Early${i}`), extensions: persisted(sha256Hex(registered(`Early${i}`))) }))).toEqual({ '200 data': 3_000 });
  const before = rssKiB(gateway.child.pid!);

  const unknown = await flood(10_000, (i) => ({ extensions: persisted(sha256Hex(`unknown ${i}`)) }));
  const registrations = await flood(10_000, (i) => ({ query: registered(i), extensions: persisted(sha256Hex(registered(i))) }));
  const after = rssKiB(gateway.child.pid!);

  expect(unknown).toEqual({ '200 PERSISTED_QUERY_NOT_FOUND': 10_000 });
  expect(registrations).toEqual({ '200 data': 10_000 });
  expect(await metric('junction_apq_stored', 'unit="entries"')).toBe(MAX_ENTRIES);
  expect(await metric('junction_apq_stored', 'unit="bytes"')).toBeLessThanOrEqual(MAX_BYTES);
  expect(await metric('junction_apq_total', 'result="registered"')).toBe(13_000);
  // The last ones registered run by hash; the first were dropped, and are asked for again.
  expect((await post({ extensions: persisted(sha256Hex(registered(9_999))) })).body).toEqual({ data: { __typename: 'Query' } });
  expect((await post({ extensions: persisted(sha256Hex(registered(0))) })).body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  if (process.env.JUNCTION_TEST_REPORT) {
    console.log(`apq flood: rss ${before} KiB -> ${after} KiB after 10,000 unknown hashes and 10,000 registrations (store bound ${MAX_ENTRIES} entries)`);
  }
  expect(after / before).toBeLessThan(1.25);
  expect(gateway.child.exitCode).toBeNull();
}, 180_000);

it.each([
  ['a hash of 63 digits', { extensions: persisted('a'.repeat(63)) }],
  ['a hash of 128 digits (SHA-512 length)', { extensions: persisted('a'.repeat(128)) }],
  ['a hash with letters past f', { extensions: persisted('z'.repeat(64)) }],
  ['a hash with a query', { query: '{ __typename }', extensions: persisted('A'.repeat(63) + '!') }],
  ['"constructor" as the hash', { extensions: persisted('constructor') }],
  ['"__proto__" as the hash', { extensions: persisted('__proto__') }],
  ['"toString" as the version', { extensions: persisted('a'.repeat(64), 'toString') }],
])('%s: 400 BAD_REQUEST', async (_name, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
});

it('prototype names as extension keys are data, not a persisted query', async () => {
  const body = `{"query": "{ __typename }", "extensions": {"__proto__": ${JSON.stringify(persisted('a'.repeat(64)))}, "constructor": {"persistedQuery": 1}}}`;
  expect(await post(body)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
});

it('an APQ body over limits.maxBodyBytes is refused with 413 before anything is hashed or stored', async () => {
  const query = `{ __typename } # ${'x'.repeat(MAX_BODY)}`;
  const res = await post({ query, extensions: persisted(sha256Hex(query)) });
  expect(res.status).toBe(413);
  expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BODY_LIMIT_EXCEEDED']);
  expect((await post({ extensions: persisted(sha256Hex(query)) })).body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
});

afterEach(async () => {
  // Whatever came before, the gateway still answers.
  expect((await post({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
});
