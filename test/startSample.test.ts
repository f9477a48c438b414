/**
 * `npm start` as a newcomer meets it: the real compiled script (dist/scripts/startSample.js, built
 * by `pretest`) with its real child processes, on ports of its own (env JUNCTION_SAMPLE_PORT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { samplePorts } from '../scripts/samplePorts';
import { postGraphQL } from './helpers/sampleEnvironment';

const root = join(__dirname, '..');

describe('samplePorts', () => {
  it.each([
    [{}, 4000, [4001, 4002, 4003, 4004], undefined],
    [{ JUNCTION_SAMPLE_PORT: '5000' }, 5000, [5001, 5002, 5003, 5004], undefined],
    [{ JUNCTION_SAMPLE_PORT: '', JUNCTION_SAMPLE_OPERATIONS_PORT: '0' }, 4000, [4001, 4002, 4003, 4004], 0],
    [{ JUNCTION_SAMPLE_PORT: '65531', JUNCTION_SAMPLE_OPERATIONS_PORT: '9465' }, 65531, [65532, 65533, 65534, 65535], 9465],
  ])('%j: gateway %d, subgraphs %j, operations %s', (env, gateway, subgraphs, operations) => {
    const ports = samplePorts(env);
    expect(ports).toEqual({ gateway, operations, subgraphs: expect.any(Array) });
    expect(ports.subgraphs.map((s) => `${s.name}:${s.port}`)).toEqual(['accounts', 'inventory', 'products', 'reviews'].map((n, i) => `${n}:${subgraphs[i]}`));
  });

  it.each([
    ['JUNCTION_SAMPLE_PORT', '0'],
    ['JUNCTION_SAMPLE_PORT', '65532'],
    ['JUNCTION_SAMPLE_PORT', '-1'],
    ['JUNCTION_SAMPLE_PORT', '4000.5'],
    ['JUNCTION_SAMPLE_PORT', '1e3'],
    ['JUNCTION_SAMPLE_PORT', ' 4000'],
    ['JUNCTION_SAMPLE_OPERATIONS_PORT', '65536'],
    ['JUNCTION_SAMPLE_OPERATIONS_PORT', 'constructor'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(() => samplePorts({ [name]: value })).toThrow(`env ${name}="${value}"`);
  });
});

interface SampleRun {
  script: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The script on gateway port `base` (subgraphs on the four after it) and a free /metrics port. */
function runSample(base: number): SampleRun {
  const script = spawn(process.execPath, [join(root, 'dist', 'scripts', 'startSample.js')], {
    cwd: root,
    env: { ...process.env, JUNCTION_SAMPLE_PORT: String(base), JUNCTION_SAMPLE_OPERATIONS_PORT: '0', JUNCTION_PORT: '', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  script.stdout!.on('data', (c) => (output += c));
  script.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => script.on('exit', (code, signal) => r({ code, signal })));
  return { script, output: () => output, exited };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, run: SampleRun, ms = 20_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const found = check();
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; the script printed:\n${run.output()}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listen(port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * A gateway port whose four next ports are free too, below the ephemeral range so the free-port
 * listeners of other tests do not take one meanwhile.
 */
async function freeSampleBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const held: Server[] = [];
    try {
      for (let port = base; port <= base + 4; port++) held.push(await listen(port));
      return base;
    } catch {
      // taken: try another
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no five free consecutive ports found');
}

const TOP_PRODUCTS = '{ topProducts(first: 2) { name reviews { body } } }';
/** The trusted document the README runs by id with `npm start`. */
const README_DOCUMENT_ID = /"documentId": ?"(sha256:[0-9a-f]{64})"/.exec(readFileSync(join(root, 'README.md'), 'utf8'))![1];

describe('npm start (dist/scripts/startSample.js)', () => {
  let base: number;
  let run: SampleRun | undefined;
  let pids: number[] = [];

  beforeEach(async () => {
    base = await freeSampleBase();
  });

  afterEach(async () => {
    if (run && run.script.exitCode === null && run.script.signalCode === null) {
      run.script.kill('SIGKILL');
      await run.exited;
    }
    for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
    rmSync(join(root, 'gateway', '.junction', `registry-${base}.json`), { force: true });
    run = undefined;
    pids = [];
  });

  /** The script, once ready: its children by label, from the table it prints. */
  async function startedSample(): Promise<{ run: SampleRun; children: Record<string, { port: number; pid: number }> }> {
    const current = runSample(base);
    run = current;
    await waitFor('the ready line', () => /Stop a subgraph/.test(current.output()), current);
    const rows = [...current.output().matchAll(/^ {2}(gateway|subgraph \w+) +port (\d+) +pid (\d+)$/gm)];
    pids = rows.map((r) => Number(r[3]));
    return { run: current, children: Object.fromEntries(rows.map(([, label, port, pid]) => [label, { port: Number(port), pid: Number(pid) }])) };
  }

  it('a subgraph that stops leaves the gateway and the others serving, with partial data; Ctrl-C stops everything and exits 0', async () => {
    const { run: current, children } = await startedSample();
    expect(Object.fromEntries(Object.entries(children).map(([label, { port }]) => [label, port - base]))).toEqual({
      gateway: 0,
      'subgraph accounts': 1,
      'subgraph inventory': 2,
      'subgraph products': 3,
      'subgraph reviews': 4,
    });
    expect(current.output()).toContain(`Junction is serving http://localhost:${base}/graphql`);
    const url = `http://127.0.0.1:${base}/graphql`;
    expect((await postGraphQL(url, { query: TOP_PRODUCTS })).body).toEqual({
      data: { topProducts: [{ name: 'Table 1', reviews: [{ body: 'Love it!' }, { body: 'Too expensive.' }] }, { name: 'Couch 1', reviews: [{ body: 'Could be better.' }, { body: 'Prefer something else.' }] }] },
      extensions: expect.anything(),
    });
    // The README's trusted document, by its id in the sample manifest.
    const byId = await postGraphQL(url, { documentId: README_DOCUMENT_ID, variables: { first: 1 } });
    expect(byId.body.data).toEqual({ topProducts: [{ upc: '1', name: 'Table 1', price: 137, inStock: true }] });

    // A crash, not a graceful stop.
    const reviews = children['subgraph reviews'];
    process.kill(reviews.pid, 'SIGKILL');
    const notice = await waitFor('the notice', () => /^Subgraph reviews .*\n.*\n.*$/m.exec(current.output())?.[0], current);
    expect(notice).toBe(
      [
        `Subgraph reviews (port ${reviews.port}) stopped (signal SIGKILL). The gateway and the other subgraphs keep running:`,
        'queries that need reviews get partial data: null where it would have answered, and an error naming it.',
        `Start it again (in another terminal): node ${join('dist', 'subgraphs', 'main.js')} reviews ${reviews.port}`,
      ].join('\n'),
    );
    expect(pids.filter(isAlive)).toEqual(pids.filter((p) => p !== reviews.pid));
    const partial = await postGraphQL(url, { query: TOP_PRODUCTS });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({
      data: { topProducts: [{ name: 'Table 1', reviews: null }, { name: 'Couch 1', reviews: null }] },
      errors: [{ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'reviews' } }],
    });
    expect(current.script.exitCode).toBeNull();

    current.script.kill('SIGINT');
    expect(await current.exited).toEqual({ code: 0, signal: null });
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);

  it('SIGTERM, as Ctrl-C, stops every child and exits 0', async () => {
    const { run: current } = await startedSample();
    current.script.kill('SIGTERM');
    expect(await current.exited).toEqual({ code: 0, signal: null });
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);

  it('the gateway stopping stops everything, exit 1', async () => {
    const { run: current, children } = await startedSample();
    process.kill(children.gateway.pid, 'SIGKILL');
    expect(await current.exited).toEqual({ code: 1, signal: null });
    expect(current.output()).toContain('The gateway stopped (signal SIGKILL): stopping the subgraphs.');
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);

  it.each([
    ['gateway', 0],
    ['subgraph products', 3],
  ])('when the %s cannot start (its port is taken), everything stops and it exits 1', async (label, offset) => {
    const taken = await listen(base + offset);
    try {
      run = runSample(base);
      expect(await run.exited).toEqual({ code: 1, signal: null });
    } finally {
      await new Promise((r) => taken.close(r));
    }
    expect(run.output()).toContain(`${label} could not start on port ${base + offset} (exit code 1); its error is above.`);
    expect(run.output()).toContain('EADDRINUSE');
    expect(run.output()).toContain('A port in use? Env JUNCTION_SAMPLE_PORT=5000 moves the sample');
    // Nothing left behind holds a port: the sample can start again at once.
    const freed = await Promise.all([0, 1, 2, 3, 4].map((i) => listen(base + i)));
    await Promise.all(freed.map((s) => new Promise((r) => s.close(r))));
  }, 60_000);
});
