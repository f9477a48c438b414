/**
 * Issue #3, acceptance 2: no dropped traffic. 50 clients query without pause while a subgraph is
 * registered, updated and removed 20 times; every response is a well-formed success.
 */
import { join } from 'node:path';
import { Agent } from 'undici';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { shippingSubgraph } from '../subgraphs/extras/shipping';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { admin, startRegistryJunction, tempDir } from './helpers/registryEnvironment';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const CLIENTS = 50;
const CYCLES = 20;
const QUERY = JSON.stringify({ query: '{ topProducts(first: 3) { upc name inStock reviews { author { username name } } } }' });

let subgraphs: SampleSubgraphs;
let v1: RunningSubgraph;
let v2: RunningSubgraph;
let junction: StartedGateway;

beforeAll(async () => {
  [subgraphs, v1, v2] = await Promise.all([startSampleSubgraphs(), startSubgraph(shippingSubgraph('v1')), startSubgraph(shippingSubgraph('v2'))]);
  junction = await startRegistryJunction(subgraphs, { registryFile: join(tempDir('junction-load-'), 'registry.json') });
});
afterAll(async () => {
  await junction?.stop();
  await Promise.all([subgraphs?.stop(), v1?.stop(), v2?.stop()]);
});

it(`drops nothing: ${CLIENTS} clients during ${CYCLES} register/update/remove cycles`, async () => {
  const agent = new Agent({ connections: CLIENTS });
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  let expected: string | undefined;

  const client = async () => {
    while (!stop) {
      try {
        const res = await agent.request({ origin: new URL(junction.url).origin, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' }, body: QUERY });
        const text = await res.body.text();
        expected ??= text;
        if (res.statusCode !== 200 || text !== expected) failures.push(`${res.statusCode} ${text.slice(0, 200)}`);
        else ok++;
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);

  const statuses: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    statuses.push((await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: v1.url })).status);
    statuses.push((await admin(junction.url, 'POST', '/subgraphs', { name: 'shipping', url: v2.url })).status);
    statuses.push((await admin(junction.url, 'DELETE', '/subgraphs/shipping')).status);
  }
  stop = true;
  await Promise.all(clients);
  await agent.close();

  if (process.env.JUNCTION_TEST_REPORT) console.log(`load test: ${ok} successful responses, ${failures.length} failures`);
  expect(statuses).toEqual(Array.from({ length: CYCLES }, () => [201, 200, 200]).flat());
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(CYCLES * 3);
  expect(JSON.parse(expected!).data.topProducts).toHaveLength(3);
}, 120_000);
