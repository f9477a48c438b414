/**
 * Issue #3, acceptance 5: two gateway processes on one real Redis share the registry; a change made
 * through either is served by both within 2 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { shippingSubgraph } from '../subgraphs/extras/shipping';
import { findLogLine } from './helpers/logLines';
import { ADMIN_TOKEN, admin, tempDir } from './helpers/registryEnvironment';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const BIN = join(__dirname, '..', 'bin', 'junction.js');
const describeWithRedis = redisAvailable() ? describe : describe.skip;

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

async function startGatewayProcess(configFile: string): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [BIN, '--config', configFile], {
    env: { ...process.env, JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN, JUNCTION_PORT: '', PORT: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  for (let i = 0; i < 300; i++) {
    const line = findLogLine(stderr, 'junction listening');
    if (line) {
      return {
        child,
        url: String(line.url),
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not start: ${stderr}`);
}

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${ms} ms`);
}

describeWithRedis('two replicas sharing a Redis registry', () => {
  let redis: RunningRedis;
  let subgraphs: SampleSubgraphs;
  let shipping: RunningSubgraph;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    [redis, subgraphs, shipping] = await Promise.all([startRedis(), startSampleSubgraphs(), startSubgraph(shippingSubgraph('v1'))]);
    const configFile = join(tempDir('junction-redis-'), 'junction.yaml');
    writeFileSync(
      configFile,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'subgraphs:',
        ...subgraphs.subgraphs.map((s) => `  - { name: ${s.name}, url: "${s.url}" }`),
        'registry:',
        '  store: redis',
        `  redisUrl: "${redis.url}"`,
        '  pollIntervalMs: 0',
        '  reconcileIntervalMs: 1000',
      ].join('\n'),
    );
    a = await startGatewayProcess(configFile);
    b = await startGatewayProcess(configFile);
  }, 30_000);

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([subgraphs?.stop(), shipping?.stop(), redis?.stop()]);
    expect(codes).toEqual([0, 0]);
  });

  const shippingServed = async (url: string) => !(await postGraphQL(url, { query: '{ topProducts(first: 1) { carbonFootprint } }' })).body.errors;

  it('serves on B what was registered through A, within 2 s', async () => {
    expect(await shippingServed(b.url)).toBe(false);
    const res = await admin(a.url, 'POST', '/subgraphs', { name: 'shipping', url: shipping.url });
    expect(res.status).toBe(201);
    const elapsed = await within(2000, () => shippingServed(b.url));
    expect(elapsed).toBeLessThan(2000);
    expect((await postGraphQL(b.url, { query: '{ user(id: "1") { loyaltyPoints } }' })).body).toEqual({ data: { user: { loyaltyPoints: 250 } } });
    expect((await admin(b.url, 'GET', '/subgraphs')).body.subgraphs.map((s: { name: string }) => s.name)).toContain('shipping');
  });

  it('removes from both what was removed through B, within 2 s', async () => {
    expect((await admin(b.url, 'DELETE', '/subgraphs/shipping')).status).toBe(200);
    expect(await shippingServed(b.url)).toBe(false);
    await within(2000, async () => !(await shippingServed(a.url)));
    expect((await admin(a.url, 'GET', '/subgraphs')).body.subgraphs).toHaveLength(4);
  });
});
