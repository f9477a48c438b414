/**
 * Issue #10: a subgraph (broken or hostile) whose SDL answer is huge or never ends. The registry
 * reads an SDL answer (`_service { sdl }`, or the introspection result of a plain service) up to
 * `registry.maxSdlBytes` and drops the connection there: a registration is refused with 422
 * SUBGRAPH_RESPONSE_TOO_LARGE and changes nothing; polling, at startup or later, keeps the last good
 * SDL with a warning naming the subgraph. The gateway's memory does not grow with the body.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startGatewayProcess } from './helpers/gatewayProcess';
import { findLogLine } from './helpers/logLines';
import { admin, FEDERATION_HEADER, recordingLogger, startRegistryJunction, tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { floodResponse } from './helpers/floodResponse';

const MiB = 1024 * 1024;
const DEFAULT_MAX_SDL_BYTES = 8 * MiB;

interface Answer {
  /** `sdl`: the `_service { sdl }` answer is the large one; `introspection`: a plain service (no `_service`) whose introspection result is. */
  kind: 'sdl' | 'introspection';
  /** Bytes of the whole body; Infinity never ends. */
  size: number;
  contentLength: boolean;
}

/**
 * Subgraphs at `url(name)`, each with one root field named after it (`{ <name> }` answers "still
 * here"). The SDL answer of each is what `set` says: a `_service { sdl }` answer padded with an SDL
 * comment to `size` bytes (valid JSON and a valid SDL whatever the size), or, for a plain service,
 * an introspection result that size. Finite bodies are written as fast as the reader takes them; an
 * endless one at some 60 MB/s, so that a gateway reading it whole fails its timeout before it fills
 * the machine. Records the bytes written per SDL answer, once its connection closed or it ended.
 */
interface SdlFlood {
  url(name: string): string;
  set(name: string, answer: Answer): void;
  written: number[];
  stop(): Promise<void>;
}

async function startSdlFlood(): Promise<SdlFlood> {
  const answers = new Map<string, Answer>();
  const written: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const name = /^\/([^/]+)\/graphql$/.exec(req.url ?? '')?.[1] ?? '';
      const answer = answers.get(name) ?? { kind: 'sdl', size: 0, contentLength: false };
      const json = (value: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (/_service\s*\{\s*sdl/.test(body)) {
        if (answer.kind === 'introspection') return json({ errors: [{ message: 'Cannot query field "_service" on type "Query".' }] });
        const sdl = `${FEDERATION_HEADER}type Query { ${name}: String }\n`;
        if (answer.size === 0) return json({ data: { _service: { sdl } } });
        // The SDL, then a comment of x's up to the size: still a valid SDL.
        return floodResponse(res, Buffer.from(`{"data":{"_service":{"sdl":${JSON.stringify(`${sdl}# `).slice(0, -1)}`), Buffer.from('"}}}'), answer, written);
      }
      if (/__schema/.test(body)) return floodResponse(res, Buffer.from('{"data":{"__schema":{"description":"'), Buffer.from('"}}}'), answer, written);
      json({ data: { [name]: 'still here' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${origin}/${name}/graphql`,
    set: (name, answer) => {
      answers.set(name, answer);
      written.length = 0;
    },
    written,
    stop: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

let subgraphs: SampleSubgraphs;
let sdlFlood: SdlFlood;
const running: StartedGateway[] = [];
beforeAll(async () => {
  [subgraphs, sdlFlood] = await Promise.all([startSampleSubgraphs(), startSdlFlood()]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((j) => j.stop()));
});
afterAll(async () => {
  await Promise.all([subgraphs?.stop(), sdlFlood?.stop()]);
});

// A gateway reading the body whole would read an endless one until this timeout (and then answer 502).
const config = { limits: { subgraphTimeoutMs: 3_000 } };
async function junction(registryFile: string, options: Omit<Parameters<typeof startRegistryJunction>[1], 'registryFile'> = {}) {
  const started = await startRegistryJunction(subgraphs, { registryFile, ...options, config: { ...config, ...options.config } });
  running.push(started);
  return started;
}
const storedSdl = (file: string, name: string) =>
  (JSON.parse(readFileSync(file, 'utf8')).subgraphs as Array<{ name: string; sdl: string }>).find((s) => s.name === name)?.sdl;

async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  for (const end = performance.now() + ms; !condition() && performance.now() < end; ) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

const tooLarge = (name: string, limit: number) => ({
  code: 'SUBGRAPH_RESPONSE_TOO_LARGE',
  message: `Could not fetch the SDL of subgraph "${name}": its answer is larger than registry.maxSdlBytes (${limit} bytes).`,
  subgraphs: [name],
});

describe('registering a subgraph whose SDL answer is too large', () => {
  it.each([
    ['an endless _service answer', 'endless', { kind: 'sdl', size: Infinity, contentLength: false }],
    ['a 64 MiB _service answer, chunked', 'chunked', { kind: 'sdl', size: 64 * MiB, contentLength: false }],
    ['a 64 MiB _service answer with Content-Length', 'declared', { kind: 'sdl', size: 64 * MiB, contentLength: true }],
    ['an endless introspection answer of a plain service', 'plain', { kind: 'introspection', size: Infinity, contentLength: false }],
  ] as const)('%s: 422 SUBGRAPH_RESPONSE_TOO_LARGE, nothing changes, and reading stopped at the limit', async (_name, name, answer) => {
    const j = await junction(join(tempDir('junction-sdl-size-'), 'registry.json'));
    const [subgraphsBefore, supergraphBefore] = [(await admin(j.url, 'GET', '/subgraphs')).body, (await admin(j.url, 'GET', '/supergraph')).body];
    sdlFlood.set(name, answer);

    const res = await admin(j.url, 'POST', '/subgraphs', { name, url: sdlFlood.url(name) });
    expect([res.status, res.body]).toEqual([422, { errors: [tooLarge(name, DEFAULT_MAX_SDL_BYTES)] }]);
    expect((await admin(j.url, 'GET', '/subgraphs')).body).toEqual(subgraphsBefore);
    expect((await admin(j.url, 'GET', '/supergraph')).body).toBe(supergraphBefore);
    // The connection was dropped at the limit: the subgraph could write little more than the limit
    // and what the socket buffers hold, whatever the size of its body.
    await waitFor(() => sdlFlood.written.length === 1);
    expect(sdlFlood.written[0]).toBeLessThan(DEFAULT_MAX_SDL_BYTES + 16 * MiB);
    expect((await postGraphQL(j.url, { query: '{ topProducts(first: 1) { name } }' })).body).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  });

  it('an SDL answer just under the limit registers', async () => {
    const j = await junction(join(tempDir('junction-sdl-under-'), 'registry.json'));
    sdlFlood.set('under', { kind: 'sdl', size: DEFAULT_MAX_SDL_BYTES - 1024, contentLength: false });
    expect((await admin(j.url, 'POST', '/subgraphs', { name: 'under', url: sdlFlood.url('under') })).status).toBe(201);
    expect((await postGraphQL(j.url, { query: '{ under }' })).body).toEqual({ data: { under: 'still here' } });
  });

  it('registry.maxSdlBytes sets the limit', async () => {
    const j = await junction(join(tempDir('junction-sdl-limit-'), 'registry.json'), { config: { registry: { maxSdlBytes: MiB } } });
    sdlFlood.set('small', { kind: 'sdl', size: 2 * MiB, contentLength: false });
    const res = await admin(j.url, 'POST', '/subgraphs', { name: 'small', url: sdlFlood.url('small') });
    expect([res.status, res.body]).toEqual([422, { errors: [tooLarge('small', MiB)] }]);
    sdlFlood.set('small', { kind: 'sdl', size: MiB - 1024, contentLength: false });
    expect((await admin(j.url, 'POST', '/subgraphs', { name: 'small', url: sdlFlood.url('small') })).status).toBe(201);
  });
});

describe('polling a registered subgraph whose SDL answer became too large', () => {
  const warning = (name: string) => ({
    level: 'warn',
    message: 'subgraph SDL could not be fetched; keeping the last good one',
    fields: { subgraph: name, reason: tooLarge(name, DEFAULT_MAX_SDL_BYTES).message },
  });

  it('keeps the last good SDL, with a warning naming the subgraph', async () => {
    const registryFile = join(tempDir('junction-sdl-poll-'), 'registry.json');
    const logger = recordingLogger();
    const j = await junction(registryFile, { logger });
    sdlFlood.set('grown', { kind: 'sdl', size: 0, contentLength: false });
    expect((await admin(j.url, 'POST', '/subgraphs', { name: 'grown', url: sdlFlood.url('grown') })).status).toBe(201);
    const [served, stored] = [(await admin(j.url, 'GET', '/supergraph')).body, storedSdl(registryFile, 'grown')];

    sdlFlood.set('grown', { kind: 'sdl', size: Infinity, contentLength: false });
    await j.registry!.poll();
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([warning('grown')]);
    expect((await admin(j.url, 'GET', '/supergraph')).body).toBe(served);
    expect(storedSdl(registryFile, 'grown')).toBe(stored);
    expect((await postGraphQL(j.url, { query: '{ grown }' })).body).toEqual({ data: { grown: 'still here' } });
  });

  it('at startup: the gateway starts on the last good SDL, with a warning naming the subgraph', async () => {
    const registryFile = join(tempDir('junction-sdl-start-'), 'registry.json');
    sdlFlood.set('redeployed', { kind: 'sdl', size: 0, contentLength: false });
    const first = await junction(registryFile);
    expect((await admin(first.url, 'POST', '/subgraphs', { name: 'redeployed', url: sdlFlood.url('redeployed') })).status).toBe(201);
    const [served, stored] = [(await admin(first.url, 'GET', '/supergraph')).body, storedSdl(registryFile, 'redeployed')];
    await running.pop()!.stop();

    sdlFlood.set('redeployed', { kind: 'sdl', size: Infinity, contentLength: false });
    const logger = recordingLogger();
    const second = await junction(registryFile, { logger });
    expect((await admin(second.url, 'GET', '/supergraph')).body).toBe(served);
    expect(storedSdl(registryFile, 'redeployed')).toBe(stored);
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([warning('redeployed')]);
    expect((await postGraphQL(second.url, { query: '{ redeployed }' })).body).toEqual({ data: { redeployed: 'still here' } });
  });
});

it('a gateway process polling a subgraph that answers 256 MiB SDLs grows by less than 64 MiB', async () => {
  const dir = tempDir('junction-sdl-flood-');
  sdlFlood.set('flood', { kind: 'sdl', size: 0, contentLength: false });
  writeFileSync(
    join(dir, 'junction.json'),
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      subgraphs: [{ name: 'flood', url: sdlFlood.url('flood') }],
      registry: { file: 'registry.json', pollIntervalMs: 200, reconcileIntervalMs: 0 },
    }),
  );
  const gateway = await startGatewayProcess(['--config', join(dir, 'junction.json')]);
  try {
    for (let i = 0; i < 3; i++) expect((await postGraphQL(gateway.url, { query: '{ flood }' })).body).toEqual({ data: { flood: 'still here' } }); // warm
    const before = peakRssBytes(gateway.child.pid!);

    sdlFlood.set('flood', { kind: 'sdl', size: 256 * MiB, contentLength: false });
    await waitFor(() => sdlFlood.written.length >= 4, 20_000);
    const grown = peakRssBytes(gateway.child.pid!) - before;
    if (process.env.JUNCTION_TEST_REPORT) console.log(`peak RSS grew by ${(grown / MiB).toFixed(1)} MiB over ${sdlFlood.written.length} polls; written per poll (MiB): ${sdlFlood.written.map((w) => (w / MiB).toFixed(1)).join(', ')}`);
    expect(grown).toBeLessThan(64 * MiB);
    expect(Math.max(...sdlFlood.written)).toBeLessThan(DEFAULT_MAX_SDL_BYTES + 16 * MiB);
    expect(findLogLine(gateway.stderr(), 'subgraph SDL could not be fetched; keeping the last good one')).toMatchObject({ subgraph: 'flood' });
    expect((await postGraphQL(gateway.url, { query: '{ flood }' })).body).toEqual({ data: { flood: 'still here' } });
  } finally {
    await gateway.stop();
  }
}, 40_000);

/** The process's peak resident set size so far (VmHWM), in bytes. */
function peakRssBytes(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return Number(kb) * 1024;
}
