import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadSupergraph } from '../../planning/loadSupergraph';
import { composeSupergraph } from '../composeSupergraph';
import { CompositionWorker, type CompositionWorkerOptions } from '../compositionWorker';
import { FakeClock } from '../../../../test/helpers/fakeClock';

const header = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';
const small = [{ name: 'a', url: 'http://a/graphql', sdl: header + 'type Query { a: Int }' }];

/** `type Query { h: H0 } type H0 { h: [H1] } ... type H{n} { x: Int }`: composition recurses along it. */
function typeChain(n: number) {
  const types = Array.from({ length: n }, (_, i) => `type H${i} { h: [H${i + 1}] }`).join('\n');
  return [{ name: 'chain', url: 'http://chain/graphql', sdl: `${header}type Query { h: H0 }\n${types}\ntype H${n} { x: Int }` }];
}

/** Many entity subgraphs: seconds of composition, all of it CPU. */
function manySubgraphs(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    url: `http://s${i}/graphql`,
    sdl: `${header}type Query { f${i}: [Product] } type Product @key(fields: "id") { id: ID! p${i}: Int }`,
  }));
}

/** Timers whose timeouts fire only when the test says so. */
const workers: CompositionWorker[] = [];
function worker(options: Partial<CompositionWorkerOptions> = {}) {
  const w = new CompositionWorker({ timeoutMs: 120_000, maxHeapMb: 1024, clock: new FakeClock(), ...options });
  workers.push(w);
  return w;
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

it('composes off the main thread exactly as composeSupergraph does', async () => {
  const subgraphs = [
    { name: 'a', url: 'http://a/graphql', sdl: header + 'type Query { a: T } type T @key(fields: "id") { id: ID! x: Int }' },
    { name: 'b', url: 'http://b/graphql', sdl: header + 'type T @key(fields: "id") { id: ID! y: Int }' },
  ];
  expect(await worker().compose(subgraphs)).toEqual(composeSupergraph(subgraphs));
  const bad = [{ name: 'a', url: 'http://a/graphql', sdl: 'type Query {' }];
  expect(await worker().compose(bad)).toEqual(composeSupergraph(bad));
});

it.each([3_000, 8_000])('reports a %i-type chain as too complex instead of throwing', async (n) => {
  const w = worker();
  expect(await w.compose(typeChain(n))).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'COMPOSITION_TOO_COMPLEX' })] });
  expect((await w.compose(small)).ok).toBe(true);
});

it('composes only what the main thread can then load', async () => {
  const outcome = await worker().compose(typeChain(800));
  expect(outcome.ok).toBe(true);
  if (outcome.ok) expect(() => loadSupergraph(outcome.supergraphSdl)).not.toThrow();
});

it('stops a composition past its time limit, then composes the next on a fresh thread', async () => {
  const clock = new FakeClock();
  const w = worker({ clock, timeoutMs: 60_000 });
  const slow = w.compose(manySubgraphs(60));
  const queued = w.compose(small);
  expect(clock.pending).toBe(1); // one job runs at a time, one timer for it
  await clock.advance(60_000);
  expect(await slow).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'COMPOSITION_TOO_COMPLEX', message: expect.stringContaining('longer than') })] });
  expect((await queued).ok).toBe(true);
  expect(clock.pending).toBe(0);
});

it('reports a thread that runs out of memory as too complex', async () => {
  const w = worker({ maxHeapMb: 12 });
  expect(await w.compose(manySubgraphs(40))).toEqual({
    ok: false,
    errors: [expect.objectContaining({ code: 'COMPOSITION_TOO_COMPLEX', message: expect.stringContaining('out of memory') })],
  });
});

it('keeps the event loop free while it composes', async () => {
  const subgraphs = manySubgraphs(40);
  const w = worker();
  await w.compose(small); // the thread is up
  const free = monitorEventLoopDelay({ resolution: 10 });
  free.enable();
  const started = performance.now();
  const outcome = await w.compose(subgraphs);
  const offThread = performance.now() - started;
  free.disable();

  expect(outcome.ok).toBe(true);
  // On the event loop the longest stall would be the whole composition; off it, a small part of it.
  expect(offThread).toBeGreaterThan(100);
  expect(free.max / 1e6).toBeLessThan(offThread * 0.25);
});

it('fails what is queued when closed, and composes again on a new thread afterwards', async () => {
  const w = worker();
  const queued = [w.compose(manySubgraphs(20)), w.compose(small)];
  await w.close();
  expect((await Promise.all(queued)).map((o) => !o.ok && o.errors[0].code)).toEqual(['COMPOSITION_FAILED', 'COMPOSITION_FAILED']);
  expect((await w.compose(small)).ok).toBe(true);
});
