/**
 * Issue #6, acceptance 1: 10,000 malformed or hostile requests against a running gateway process
 * (issue #10 added documents built to be expensive: fragment chains, fan-out, deep variables).
 * Every one gets a well-formed error response, the process never crashes, and its memory after the
 * run is within 10% of before. Inputs come from a seeded generator, so a failure replays.
 *
 * Memory is the V8 heap in use after a forced full collection (memoryProbe), not the resident size:
 * that swings by ±20% with when the collector last ran, while a leak is what survives a collection.
 */
import { join } from 'node:path';
import { Agent } from 'undici';
import { HOSTILE_SHAPES, bodyOf } from './fixtures/hostileDocuments';
import { gatewayConfigFile, startGatewayProcess } from './helpers/gatewayProcess';
import { memoryProbe } from './helpers/memoryProbe';
import { tempDir } from './helpers/registryEnvironment';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const TOTAL = 10_000;
const CONCURRENCY = 16;

/** mulberry32: small, seeded, good enough to vary inputs reproducibly. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Hostile {
  kind: string;
  contentType: string;
  body: Buffer | string;
}

function hostile(random: () => number, i: number): Hostile {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const n = (max: number) => 1 + Math.floor(random() * max);
  const json = (o: unknown) => JSON.stringify(o);
  switch (i % 13) {
    case 0:
      return { kind: 'random bytes', contentType: 'application/json', body: Buffer.from(Array.from({ length: n(2000) }, () => Math.floor(random() * 256))) };
    case 1: {
      const d = pick([30, 100, 600, 5000]);
      return { kind: 'deep nesting', contentType: 'application/json', body: json({ query: `{${'me{reviews{author'.repeat(d)}${'}}}'.repeat(d)}}` }) };
    }
    case 2:
      return { kind: 'alias bomb', contentType: 'application/json', body: json({ query: `{ ${Array.from({ length: 200 + n(2800) }, (_, k) => `a${k}: topProducts { upc }`).join(' ')} }` }) };
    case 3:
      return { kind: "huge string", contentType: "application/json", body: json({ query: `{ user(identifier: "${"x".repeat(n(900_000))}") { id } }` }) };
    case 4:
      return { kind: 'bad UTF-8', contentType: 'application/json', body: Buffer.concat([Buffer.from('{"query":"{ me { '), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xa0, 0xa1]), Buffer.from(' } }"}')]) };
    case 5:
      return { kind: 'wrong content type', contentType: pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']), body: 'query={ me { id } }' };
    case 6: {
      const variables: Record<string, unknown> = {};
      for (let k = 0; k < n(20_000); k++) variables[`v${k}`] = { deep: [k, String(k), { k }] };
      return { kind: 'giant variables', contentType: 'application/json', body: json({ query: 'query($id: ID!) { user(id: $id) { id } }', variables }) };
    }
    case 7: {
      // Batching is on (at most 10): batches over it are refused whole, the others carry hostile operations.
      const items = Array.from({ length: n(20) }, () => JSON.parse(hostile(random, pick([1, 2, 8, 9, 10, 11])).body as string) as unknown);
      return { kind: 'array batch', contentType: 'application/json', body: json(items) };
    }
    case 8:
      return { kind: 'syntax garbage', contentType: 'application/json', body: json({ query: Array.from({ length: n(400) }, () => pick(['{', '}', '(', ')', '...', 'on', '$', '@', ':', '"', '#', 'query', '[', ']'])).join(' ') }) };
    case 9:
      return { kind: 'wrong types', contentType: 'application/json', body: json(pick([{ query: 42 }, { query: null }, { query: ['{ me { id } }'] }, { query: '{ me { id } }', variables: 'x' }, { operationName: {} }, 'null', 17])) };
    case 10:
      return { kind: 'variable type confusion', contentType: 'application/json', body: json({ query: 'query($n: Int, $r: Role) { topProducts(first: $n) { upc } users(role: $r) { id } }', variables: { n: pick(['x', 1e300, -1.5, [1], {}]), r: pick(['NOPE', 3, null]) } }) };
    case 12: {
      // Documents built to be expensive, each past a limit (sizes drawn from where it starts to bite).
      const [shape, from, to] = pick([
        ['doubling chain on Query', 7, 400],
        ['doubling chain in a list field', 8, 400],
        ['tripling chain', 7, 300],
        ['alias fan-out through fragments', 5, 300],
        ['doubling chain across entity types', 14, 200],
        ['wide fragment fan-out', 1001, 3000],
        ['wide fan-out of nested fragments', 201, 600],
        ['nested inline fragments', 501, 3000],
        ['deep list in variables', 1, 200_000],
      ] as Array<[string, number, number]>);
      return { kind: shape, contentType: 'application/json', body: bodyOf(HOSTILE_SHAPES[shape](from + Math.floor(random() * (to - from)))) };
    }
    default:
      return { kind: 'directive and fragment abuse', contentType: 'application/json', body: json({ query: `query { ...A } ${Array.from({ length: n(50) }, (_, k) => `fragment ${k ? `F${k}` : 'A'} on Query { __typename ${k < 49 ? `...F${k + 1}` : ''} }`).join(' ')} ${'@skip(if: false) '.repeat(n(300))}` }) };
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

it(`answers ${TOTAL} hostile requests with well-formed errors, without crashing or growing`, async () => {
  const dir = tempDir('junction-fuzz-');
  const config = gatewayConfigFile(dir, subgraphs.supergraphSdl, { batching: { enabled: true, maxSize: 10 } });
  // A small old space: a leak fast enough would also end the process, failing the test.
  const probe = memoryProbe(dir);
  const { child, url } = await startGatewayProcess(['--config', config], probe.env, ['--max-old-space-size=256', ...probe.nodeOptions]);
  const origin = new URL(url).origin;
  const agent = new Agent({ connections: CONCURRENCY });
  const random = prng(20261125);
  const malformed: string[] = [];
  const statuses = new Map<number, number>();
  let batchesRun = 0;

  const send = async (h: Hostile) => {
    const res = await agent.request({ origin, path: '/graphql', method: 'POST', headers: { 'content-type': h.contentType }, body: h.body });
    const text = await res.body.text();
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    type Body = { errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }>; data?: unknown };
    let body: Body | Body[] | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const isError = (b: Body | undefined) =>
      b !== undefined && Array.isArray(b.errors) && b.errors.length > 0 && b.errors.every((e) => typeof e.message === 'string' && typeof e.extensions?.code === 'string');
    // A batch that was run answers 200 with one error result per hostile operation.
    if (Array.isArray(body)) batchesRun++;
    const results = Array.isArray(body) && res.statusCode === 200 && h.kind === 'array batch' ? body : [body as Body | undefined];
    const wellFormed =
      ((res.statusCode >= 400 && res.statusCode < 500) || res.statusCode === 200) && results.length > 0 && results.every(isError) && !/\bat \S+ \(|node_modules|127\.0\.0\.1/.test(text);
    if (!wellFormed) malformed.push(`${h.kind}: ${res.statusCode} ${text.slice(0, 200)}`);
  };

  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          await send(hostile(random, i));
        }
      }),
    );
  };

  try {
    await run(3000); // warm up: JIT, caches and pools reach their steady size
    const before = await probe.measure(child);
    await run(TOTAL);
    const after = await probe.measure(child);
    if (process.env.JUNCTION_TEST_REPORT) console.log(`fuzz: after a full GC, heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB (x${(after.heapUsed / before.heapUsed).toFixed(3)}), external ${mib(before.external)} -> ${mib(after.external)} MiB, rss ${mib(before.rss)} -> ${mib(after.rss)} MiB; statuses ${JSON.stringify([...statuses])}, batches run ${batchesRun}`);
    expect(malformed.slice(0, 5)).toEqual([]);
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    // A leak keeps something per request: 10,000 more requests leave more live heap. Less is no leak
    // (a collection may free what the warm-up compiled or cached), so there is no lower bound.
    expect(after.heapUsed / before.heapUsed).toBeLessThan(1.1);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL + 3000);
    expect(batchesRun).toBeGreaterThan(100);
  } finally {
    await agent.close();
    child.kill('SIGTERM');
  }
}, 180_000);
