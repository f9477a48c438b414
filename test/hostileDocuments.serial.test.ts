/**
 * Issue #10, acceptance 2: documents built to be expensive, against a gateway process run with the
 * sample's protections (cost enforced, budgets on, authorization active): no request takes more
 * than 100 ms of the gateway's CPU, nothing blocks the gateway's event loop for 50 ms, and memory
 * ends within 10% of where it started. CPU is read from /proc (the process's own user + system
 * time) around each request, sent one at a time, so it is the gateway's work for that request alone.
 *
 * The event loop is measured inside the gateway (prom-client's event-loop delay histogram, on
 * /metrics), not by timing /healthz from here: a round trip also counts this process's own event
 * loop and the scheduler of a machine other tests share, which took it to 58 and 65 ms in full
 * suite runs. And the file runs alone, after the others (`*.serial.test.ts`, see scripts/test.cjs):
 * a gateway thread descheduled by the suite's other files reads as a stalled event loop too (84 ms
 * for a 30 ms step, with the fuzz test beside it). /healthz is still probed throughout, as a liveness check. Memory is the V8 heap in use
 * after a forced full collection (memoryProbe): the resident size swings with when the collector
 * last ran.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { HOSTILE_SHAPES, bodyOf, type HostileDocument } from './fixtures/hostileDocuments';
import { gatewayConfigFile, startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { memoryProbe, type MemoryProbe } from './helpers/memoryProbe';
import { tempDir } from './helpers/registryEnvironment';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const CPU_BUDGET_MS = 100;
const EVENT_LOOP_BUDGET_MS = 50;
/** prom-client's default eventLoopMonitoringPrecision: the delay histogram samples every 10 ms. */
const EVENT_LOOP_RESOLUTION_MS = 10;
/** Liveness only: /healthz keeps answering. Timing here is the event-loop budget's job, above. */
const HEALTHZ_LIVENESS_MS = 1000;
const TICK_MS = 10; // /proc counts CPU in clock ticks of 1/100 s
const OPERATIONS_TOKEN = 'hostile-documents-operations-token';

/** Sizes an attacker would pick: at what the default limits let through, and far past them. */
const CASES: HostileDocument[] = [
  ...[20, 40, 200].map(HOSTILE_SHAPES['doubling chain on Query']),
  ...[7, 30, 400].map(HOSTILE_SHAPES['doubling chain in a list field']),
  ...[5, 25].map(HOSTILE_SHAPES['tripling chain']),
  ...[4, 30].map(HOSTILE_SHAPES['alias fan-out through fragments']),
  ...[4, 24].map(HOSTILE_SHAPES['doubling chain across entity types']),
  // Distinct fragments spread side by side: graphql-js compares them pair by pair and the planner
  // tried to fit each back into the subgraph fetches; both are linear now. The largest fan-outs the
  // default limits let through (1,000 selections), and past them.
  ...[50, 150, 990, 1_500].map(HOSTILE_SHAPES['wide fragment fan-out']),
  ...[40, 199, 250].map(HOSTILE_SHAPES['wide fan-out of nested fragments']),
  // Each operation of a document is validated, whichever one runs: as many as 15,000 tokens hold.
  ...[300, 930].map(HOSTILE_SHAPES['many operations']),
  ...[100, 450, 600].map(HOSTILE_SHAPES['nested inline fragments']),
  ...[1_000, 100_000].map(HOSTILE_SHAPES['deep list in variables']),
  ...[1_000_000, 2_147_483_648].map(HOSTILE_SHAPES['negative slicing argument']),
];

function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime and stime, in ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

let subgraphs: SampleSubgraphs;
let gateway: GatewayProcess;
let memory: MemoryProbe;
let agent: Agent;
let origin: string;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  const dir = tempDir('junction-hostile-');
  const config = gatewayConfigFile(dir, subgraphs.supergraphSdl, {
    cost: { mode: 'enforce', maxCost: 5000 },
    // Every request from one address: a generous bucket, so no case is refused for budget alone.
    budgets: { enabled: true, tiers: { default: { capacity: 1e9, refillPerSecond: 1e6 } } },
    limits: { maxDepth: 15 },
    // Caches the first warm-up round fills: every document here is new text, so with the default
    // 1,000 entries the heap would grow by each document cached, which is bounded, not a leak.
    cache: { documents: 10, plans: 10 },
    // /metrics, for the gateway's own event-loop delay.
    operations: { token: OPERATIONS_TOKEN },
  });
  memory = memoryProbe(dir);
  gateway = await startGatewayProcess(['--config', config], { ...memory.env, JUNCTION_OPERATIONS_TOKEN: OPERATIONS_TOKEN }, memory.nodeOptions);
  origin = new URL(gateway.url).origin;
  agent = new Agent({ connections: 4 });
}, 30_000);
afterAll(async () => {
  await agent?.close();
  await gateway?.stop();
  await subgraphs?.stop();
});

async function post(body: string): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } }> {
  const res = await agent.request({ origin, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.statusCode, body: (await res.body.json()) as never };
}

/**
 * The longest event-loop delay the gateway saw since the previous call, in ms. prom-client reads
 * its histogram at each scrape of /metrics, then resets it. The value is the longest interval
 * between the monitor's 10 ms samples, so it counts the sampling interval too: an event loop
 * blocked for B ms reads between B and B + 10 ms, never less than B.
 */
async function maxEventLoopDelayMs(): Promise<number> {
  const res = await agent.request({ origin, path: '/metrics', method: 'GET', headers: { authorization: `Bearer ${OPERATIONS_TOKEN}` } });
  const text = await res.body.text();
  const value = /^junction_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  if (res.statusCode !== 200 || value === undefined) throw new Error(`no event-loop delay on /metrics: ${res.statusCode} ${text.slice(0, 200)}`);
  return Number(value) * 1000;
}

it('answers every hostile document within its CPU budget without blocking the event loop or growing', async () => {
  const pid = gateway.child.pid!;
  // Warm up: JIT, caches and pools at their steady size, so the first case pays no compilation.
  const warmUp = async (round: number) => {
    for (const doc of CASES) await post(bodyOf({ ...doc, query: `${doc.query} # warm-up ${round}` }));
  };
  for (let i = 0; i < 2; i++) await warmUp(i);
  const before = await memory.measure(gateway.child);
  // The forced collection throws away compiled code the measured phase would then pay for again.
  await warmUp(2);
  // Resets the histogram, so the next reading covers the measured phase alone (not the warm-up or the
  // forced collection). The monitor records nothing until its first sample after a reset: wait for it.
  await maxEventLoopDelayMs();
  await new Promise((r) => setTimeout(r, 3 * EVENT_LOOP_RESOLUTION_MS));

  let probing = true;
  let slowestHealthz = 0;
  const probe = (async () => {
    while (probing) {
      const start = performance.now();
      const res = await agent.request({ origin, path: '/healthz', method: 'GET' });
      await res.body.dump();
      slowestHealthz = Math.max(slowestHealthz, performance.now() - start);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const report: Array<{ name: string; cpuMs: number; status: number; code: string | undefined }> = [];
  try {
    for (const doc of CASES) {
      // Distinct text each time, so no cache answers for the document.
      const started = cpuMs(pid);
      const res = await post(bodyOf({ ...doc, query: `${doc.query} # measured` }));
      report.push({ name: doc.name, cpuMs: cpuMs(pid) - started, status: res.status, code: res.body.errors?.[0]?.extensions?.code });
      expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
    }
  } finally {
    probing = false;
    await probe;
  }
  const eventLoopDelay = await maxEventLoopDelayMs();
  const after = await memory.measure(gateway.child);
  if (process.env.JUNCTION_TEST_REPORT) {
    console.log(
      report.map((r) => `${r.name}: ${r.cpuMs} ms CPU, ${r.status} ${r.code ?? ''}`).join('\n') +
        `\nlongest event-loop delay ${eventLoopDelay.toFixed(1)} ms (sampling interval included); slowest /healthz round trip ${slowestHealthz.toFixed(1)} ms` +
        `\nafter a full GC, heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB (x${(after.heapUsed / before.heapUsed).toFixed(3)}), external ${mib(before.external)} -> ${mib(after.external)} MiB, rss ${mib(before.rss)} -> ${mib(after.rss)} MiB`,
    );
  }
  // One tick of measurement error is allowed over the budget.
  expect(report.filter((r) => r.cpuMs > CPU_BUDGET_MS + TICK_MS)).toEqual([]);
  expect(eventLoopDelay).toBeLessThan(EVENT_LOOP_BUDGET_MS);
  expect(slowestHealthz).toBeLessThan(HEALTHZ_LIVENESS_MS);
  // A leak keeps something per request. Less live heap than before is no leak (a collection may free
  // what the warm-up compiled or cached), so there is no lower bound.
  expect(after.heapUsed / before.heapUsed).toBeLessThan(1.1);
  expect(gateway.child.exitCode).toBeNull();
}, 120_000);

it('refuses what expands past the limits, with the limit code', async () => {
  const codes = async (doc: HostileDocument) => (await post(bodyOf(doc))).body.errors?.map((e) => e.extensions?.code);
  expect(await codes(HOSTILE_SHAPES['doubling chain on Query'](40))).toEqual(['ROOT_FIELD_LIMIT_EXCEEDED', 'SELECTION_LIMIT_EXCEEDED']);
  expect(await codes(HOSTILE_SHAPES['doubling chain in a list field'](40))).toEqual(['SELECTION_LIMIT_EXCEEDED']);
  expect(await codes(HOSTILE_SHAPES['alias fan-out through fragments'](30))).toEqual(['ALIAS_LIMIT_EXCEEDED', 'SELECTION_LIMIT_EXCEEDED']);
  expect(await codes(HOSTILE_SHAPES['nested inline fragments'](600))).toEqual(['DEPTH_LIMIT_EXCEEDED']);
  expect(await codes(HOSTILE_SHAPES['deep list in variables'](1000))).toEqual(['BAD_USER_INPUT']);
});

it('sizes a negative slicing argument as 0: the estimate is never negative', async () => {
  const res = await post(bodyOf(HOSTILE_SHAPES['negative slicing argument'](1_000_000)));
  const cost = (res.body as { extensions?: { cost?: { requestedQueryCost?: number } } }).extensions?.cost;
  expect(cost?.requestedQueryCost).toBeGreaterThanOrEqual(0);
});
