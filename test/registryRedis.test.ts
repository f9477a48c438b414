/**
 * Issue #3, acceptance 5: two gateway processes on one real Redis share the registry; a change made
 * through either is served by both within 2 s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { shippingSubgraph } from '../subgraphs/extras/shipping';
import { startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { ADMIN_TOKEN, admin, tempDir } from './helpers/registryEnvironment';
import { redisAvailable, startRedis, type RunningRedis } from './helpers/redisServer';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const describeWithRedis = redisAvailable() ? describe : describe.skip;

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
    a = await startGatewayProcess(['--config', configFile], { JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN });
    b = await startGatewayProcess(['--config', configFile], { JUNCTION_ADMIN_TOKEN: ADMIN_TOKEN });
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
