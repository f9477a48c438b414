/**
 * Acceptance #3: entity fetches are batched, one request per fetch node whatever the list length,
 * counted at the subgraphs themselves.
 */
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import type { StartedGateway } from '../gateway/src/server/startGateway';

let subgraphs: SampleSubgraphs;
let junction: StartedGateway;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  junction = await startJunction(subgraphs.supergraphSdl);
});
afterAll(async () => {
  await junction?.stop();
  await subgraphs?.stop();
});

const QUERY = `query Products($n: Int) {
  topProducts(first: $n) {
    upc name inStock shippingEstimate
    reviews { body author { username name reviews { stars } } }
  }
}`;

async function run(n: number) {
  subgraphs.requests.length = 0;
  const res = await postGraphQL(junction.url, { query: QUERY, variables: { n } });
  expect(res.body.errors).toBeUndefined();
  const perSubgraph: Record<string, number> = {};
  for (const r of subgraphs.requests) perSubgraph[r.subgraph] = (perSubgraph[r.subgraph] ?? 0) + 1;
  return { res, perSubgraph, requests: [...subgraphs.requests] };
}

it('makes the same subgraph requests for 1 and for 50 products', async () => {
  const one = await run(1);
  const fifty = await run(50);
  expect((one.res.body.data!.topProducts as unknown[]).length).toBe(1);
  expect((fifty.res.body.data!.topProducts as unknown[]).length).toBe(50);
  expect(fifty.perSubgraph).toEqual(one.perSubgraph);
  // products (root), inventory (inStock + shippingEstimate), reviews, accounts (author name)...
  expect(Object.keys(one.perSubgraph).sort()).toEqual(['accounts', 'inventory', 'products', 'reviews']);
  expect(fifty.requests.length).toBe(one.requests.length);
});

it('sends each distinct entity once per fetch', async () => {
  const { requests } = await run(50);
  // 20 reviews by 5 authors: the accounts fetch carries 5 representations, not 20.
  const accounts = requests.filter((r) => r.subgraph === 'accounts');
  expect(accounts).toHaveLength(1);
  const reps = accounts[0].variables?.representations as Array<{ id: string }>;
  expect(reps.map((r) => r.id).sort()).toEqual(['1', '2', '3', '4', '5']);
  // ...and inventory gets all 50 products in one request.
  const inventory = requests.filter((r) => r.subgraph === 'inventory');
  expect(inventory).toHaveLength(1);
  expect((inventory[0].variables?.representations as unknown[]).length).toBe(50);
});
