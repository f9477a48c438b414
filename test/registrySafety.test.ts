/**
 * Issue #10: one subgraph cannot stop the gateway (defect 4), composition does not hold the event
 * loop and polling checks what registration checks (weakness), one change is one swap (defect 8),
 * a record without its SDL is never lost (defect 5).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { admin, deadUrl, FEDERATION_HEADER, recordingLogger, startRegistryJunction, startSdlServer, tempDir, typeChainSdl } from './helpers/registryEnvironment';

let subgraphs: SampleSubgraphs;
let sdlServer: Awaited<ReturnType<typeof startSdlServer>>;
const running: StartedGateway[] = [];

beforeAll(async () => {
  [subgraphs, sdlServer] = await Promise.all([startSampleSubgraphs(), startSdlServer()]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((j) => j.stop()));
});
afterAll(async () => {
  await Promise.all([subgraphs?.stop(), sdlServer?.stop()]);
});

async function junction(registryFile: string, options: Omit<Parameters<typeof startRegistryJunction>[1], 'registryFile'> = {}) {
  const started = await startRegistryJunction(subgraphs, { registryFile, ...options });
  running.push(started);
  return started;
}

const storedSdl = (file: string, name: string) =>
  (JSON.parse(readFileSync(file, 'utf8')).subgraphs as Array<{ name: string; sdl: string }>).find((s) => s.name === name)?.sdl;

describe('a subgraph whose SDL is too large to compose', () => {
  it('is refused at registration with 422 COMPOSITION_TOO_COMPLEX naming it, and nothing changes', async () => {
    const j = await junction(join(tempDir('junction-deep-'), 'registry.json'));
    const before = (await admin(j.url, 'GET', '/supergraph')).body;
    sdlServer.setSdl('deep3000', typeChainSdl(3_000));
    const res = await admin(j.url, 'POST', '/subgraphs', { name: 'deep3000', url: sdlServer.url('deep3000') });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ code: 'COMPOSITION_TOO_COMPLEX', message: expect.stringContaining('stack'), subgraphs: ['deep3000'] }]);
    expect((await admin(j.url, 'GET', '/supergraph')).body).toBe(before);
    expect((await postGraphQL(j.url, { query: '{ topProducts(first: 1) { name } }' })).body).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  });

  it('does not stop the gateway starting: it keeps the last good SDL, with a warning naming it', async () => {
    const registryFile = join(tempDir('junction-deep-start-'), 'registry.json');
    const goodSdl = `${FEDERATION_HEADER}type Query { deep: Int }`;
    sdlServer.setSdl('deep', goodSdl);
    const first = await junction(registryFile);
    expect((await admin(first.url, 'POST', '/subgraphs', { name: 'deep', url: sdlServer.url('deep') })).status).toBe(201);
    const served = (await admin(first.url, 'GET', '/supergraph')).body;
    await running.pop()!.stop();

    // Redeployed: the subgraph now serves an 8,000-type chain.
    sdlServer.setSdl('deep', typeChainSdl(8_000));
    const logger = recordingLogger();
    const second = await junction(registryFile, { logger });
    expect((await admin(second.url, 'GET', '/supergraph')).body).toBe(served);
    expect(storedSdl(registryFile, 'deep')).toBe(goodSdl);
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'a polled SDL change does not compose; keeping the last good SDL',
      fields: { subgraph: 'deep', errors: [expect.objectContaining({ code: 'COMPOSITION_TOO_COMPLEX', subgraphs: ['deep'] })] },
    });
  });
});

describe('polling checks a changed SDL as a registration does', () => {
  it('keeps the last good SDL of a breaking change, warns and counts it once; allowBreaking applies it', async () => {
    const registryFile = join(tempDir('junction-poll-breaking-'), 'registry.json');
    const logger = recordingLogger();
    const j = await junction(registryFile, { logger, config: { logLevel: 'debug' } });
    const v1 = `${FEDERATION_HEADER}type Query { kept: Int dropped: Int }`;
    sdlServer.setSdl('evolving', v1);
    expect((await admin(j.url, 'POST', '/subgraphs', { name: 'evolving', url: sdlServer.url('evolving') })).status).toBe(201);
    const served = (await admin(j.url, 'GET', '/supergraph')).body;
    const failures = async () => (await j.gateway.metrics.compositions.get()).values.find((v) => v.labels.result === 'failure')?.value ?? 0;
    const compositions = () => logger.entries.filter((e) => e.message === 'composition finished').length;
    const before = { failures: await failures(), compositions: compositions() };

    sdlServer.setSdl('evolving', `${FEDERATION_HEADER}type Query { kept: Int }`);
    await j.registry!.poll();
    await j.registry!.poll(); // the same refused SDL is not composed (nor reported) again
    expect((await admin(j.url, 'GET', '/supergraph')).body).toBe(served);
    expect(storedSdl(registryFile, 'evolving')).toBe(v1);
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'a polled SDL change is breaking; keeping the last good SDL (register the subgraph with allowBreaking to apply it)',
        fields: { subgraph: 'evolving', errors: [{ code: 'BREAKING_CHANGE', message: 'Query.dropped was removed.', subgraphs: ['evolving'] }] },
      },
    ]);
    expect({ failures: (await failures()) - before.failures, compositions: compositions() - before.compositions }).toEqual({ failures: 1, compositions: 1 });

    const allowed = await admin(j.url, 'POST', '/subgraphs', { name: 'evolving', url: sdlServer.url('evolving'), allowBreaking: true });
    expect([allowed.status, allowed.body.changes.breaking]).toEqual([200, [{ type: 'FIELD_REMOVED', description: 'Query.dropped was removed.' }]]);

    // A safe change is still picked up by polling alone.
    sdlServer.setSdl('evolving', `${FEDERATION_HEADER}type Query { kept: Int added: Int }`);
    await j.registry!.poll();
    expect((await postGraphQL(j.url, { query: '{ added }' })).status).toBe(200);
  });

  it('checks an SDL that changed while the gateway was down the same way at startup', async () => {
    const registryFile = join(tempDir('junction-start-breaking-'), 'registry.json');
    const v1 = `${FEDERATION_HEADER}type Query { stays: Int goes: Int }`;
    sdlServer.setSdl('offline', v1);
    const first = await junction(registryFile);
    expect((await admin(first.url, 'POST', '/subgraphs', { name: 'offline', url: sdlServer.url('offline') })).status).toBe(201);
    await running.pop()!.stop();

    sdlServer.setSdl('offline', `${FEDERATION_HEADER}type Query { stays: Int }`);
    const logger = recordingLogger();
    const second = await junction(registryFile, { logger });
    expect((await admin(second.url, 'GET', '/supergraph')).body).toContain('goes: Int');
    expect(storedSdl(registryFile, 'offline')).toBe(v1);
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => [e.message, e.fields.subgraph])).toEqual([
      ['a polled SDL change is breaking; keeping the last good SDL (register the subgraph with allowBreaking to apply it)', 'offline'],
    ]);
  });
});

describe('composition and loading off the event loop', () => {
  it('keeps answering /healthz while a registration composes 100 subgraphs', async () => {
    const many = Array.from({ length: 100 }, (_, i) => {
      sdlServer.setSdl(`wide${i}`, `${FEDERATION_HEADER}type Query { f${i}: [Product] } type Product @key(fields: "id") { id: ID! p${i}: Int }`);
      return { name: `wide${i}`, url: sdlServer.url(`wide${i}`) };
    });
    const j = await startRegistryJunction({ subgraphs: many.slice(1) }, { registryFile: join(tempDir('junction-wide-'), 'registry.json') });
    running.push(j);
    const healthz = j.url.replace('/graphql', '/healthz');

    let registering = true;
    const latencies: number[] = [];
    const probe = (async () => {
      while (registering) {
        const started = performance.now();
        expect((await fetch(healthz)).status).toBe(200);
        latencies.push(performance.now() - started);
      }
    })();
    const started = performance.now();
    const res = await admin(j.url, 'POST', '/subgraphs', many[0]);
    const registration = performance.now() - started;
    registering = false;
    await probe;

    // Time the gateway could not answer: the probes that waited far longer than a /healthz round
    // trip, even on a machine this busy (loading 100 subgraphs on the event loop stalls it about 400 ms).
    const stalled = latencies.filter((ms) => ms > 200).reduce((a, b) => a + b, 0);
    if (process.env.JUNCTION_TEST_REPORT) {
      console.log(`registration ${registration.toFixed(0)} ms; /healthz: ${latencies.length} answers, slowest ${Math.max(...latencies).toFixed(0)} ms, stalled ${stalled.toFixed(0)} ms`);
    }
    expect(res.status).toBe(201);
    // Composing 100 subgraphs and loading the result (the federation model, the planner's graph) take
    // seconds: on the event loop, the gateway answered nothing meanwhile (composition) or stalled
    // (loading). Both run on threads of their own: no /healthz waits.
    expect(stalled).toBe(0);
    expect(latencies.length).toBeGreaterThan(10);
  });
});

describe('one registry change, one supergraph swap', () => {
  it('registers, updates and removes with one composition and one swap each', async () => {
    const logger = recordingLogger();
    const j = await junction(join(tempDir('junction-swaps-'), 'registry.json'), { logger, config: { logLevel: 'debug' } });
    const swaps = async () => (await j.gateway.metrics.compositions.get()).values.find((v) => v.labels.result === 'success')?.value ?? 0;
    const compositions = () => logger.entries.filter((e) => e.message === 'composition finished').length;
    const steps: Array<[string, () => Promise<number>]> = [
      ['register', async () => (sdlServer.setSdl('once', `${FEDERATION_HEADER}type Query { once: Int }`), (await admin(j.url, 'POST', '/subgraphs', { name: 'once', url: sdlServer.url('once') })).status)],
      ['update', async () => (sdlServer.setSdl('once', `${FEDERATION_HEADER}type Query { once: Int twice: Int }`), (await admin(j.url, 'POST', '/subgraphs', { name: 'once', url: sdlServer.url('once') })).status)],
      ['remove', async () => (await admin(j.url, 'DELETE', '/subgraphs/once')).status],
    ];
    for (const [step, change] of steps) {
      const before = { swaps: await swaps(), compositions: compositions() };
      const status = await change();
      await j.registry!.sync(); // whatever the store's change notification started has finished
      expect({ step, status, swaps: (await swaps()) - before.swaps, compositions: compositions() - before.compositions }).toEqual({
        step,
        status: step === 'register' ? 201 : 200,
        swaps: 1,
        compositions: 1,
      });
    }
  });
});

describe('a registry record without its SDL', () => {
  /** A registry file of the sample subgraphs, with `edit` applied to its list of records. */
  async function editedRegistry(edit: (records: Array<Record<string, unknown>>) => void) {
    const registryFile = join(tempDir('junction-incomplete-'), 'registry.json');
    await (await junction(registryFile)).stop();
    running.pop();
    const file = JSON.parse(readFileSync(registryFile, 'utf8'));
    edit(file.subgraphs);
    writeFileSync(registryFile, JSON.stringify(file, null, 2));
    return registryFile;
  }

  it('is completed from its URL at startup, with a warning naming it', async () => {
    const registryFile = await editedRegistry((records) => delete records.find((r) => r.name === 'reviews')!.sdl);
    const logger = recordingLogger();
    const j = await junction(registryFile, { logger });
    const served = await postGraphQL(j.url, { query: '{ topProducts(first: 1) { reviews { body } } }' });
    expect(served.body).toEqual({ data: { topProducts: [{ reviews: expect.arrayContaining([{ body: expect.any(String) }]) }] } });
    expect(storedSdl(registryFile, 'reviews')).toContain('type Review');
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'incomplete registry record completed: its SDL was fetched again from its URL',
      fields: { subgraph: 'reviews', problem: 'no sdl' },
    });
  });

  it.each([
    ['whose subgraph is unreachable', async () => ({ name: 'gone', url: await deadUrl() }), /Registry record "gone" is incomplete \(no sdl, sdlHash, updatedAt, fetchedAt\) and cannot be completed: .*connection refused/],
    ['without a name', async () => ({ url: subgraphs.url('reviews'), sdl: 'type Query { x: Int }' }), /A registry record without a name is incomplete \(no name, sdlHash, updatedAt, fetchedAt\)/],
  ])('%s stops the gateway starting, naming it, and stays in the file', async (_case, entry, reason) => {
    const broken = await entry();
    const registryFile = await editedRegistry((records) => void records.push(broken));
    const before = readFileSync(registryFile, 'utf8');
    await expect(junction(registryFile)).rejects.toThrow(reason);
    expect(readFileSync(registryFile, 'utf8')).toBe(before);
  });
});
