/** Issue #5: cost analysis through the HTTP endpoint: the same numbers as the calculator's tests. */
import { print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { parse } from 'graphql';
import { BASIC_CASES, BASIC_SDL, CUSTOM_COST_QUERY, CUSTOM_SUBGRAPH_CASES, CUSTOM_SUBGRAPH_SDL } from './fixtures/costCases';
import { costly } from './fixtures/costSubgraph';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

let subgraph: RunningSubgraph;
let supergraphSdl: string;
let requests = 0;

beforeAll(async () => {
  subgraph = await startSubgraph(costly, { onRequest: () => void requests++ });
  const outcome = composeSupergraph([{ name: 'costly', url: subgraph.url, sdl: print(costly.typeDefs) }]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  supergraphSdl = outcome.supergraphSdl;
});
afterAll(async () => {
  await subgraph?.stop();
});

async function withJunction(cost: Record<string, unknown>, fn: (j: StartedGateway) => Promise<void>) {
  const junction = await startJunction(supergraphSdl, { config: { cost } });
  try {
    await fn(junction);
  } finally {
    await junction.stop();
  }
}

it('measure: reports the estimated (127) and actual (125) cost in extensions.cost', async () => {
  await withJunction({ mode: 'measure', maxCost: 100 }, async (j) => {
    const res = await postGraphQL(j.url, { query: CUSTOM_COST_QUERY });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.extensions).toEqual({ cost: { requestedQueryCost: 127, actualQueryCost: 125 } });
  });
});

it('enforce: refuses an operation over the limit before any subgraph call', async () => {
  await withJunction({ mode: 'enforce', maxCost: 100 }, async (j) => {
    requests = 0;
    const res = await postGraphQL(j.url, { query: CUSTOM_COST_QUERY });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'The estimated cost of the operation is over the limit.', extensions: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 127, max: 100 } } }],
    });
    expect(requests).toBe(0);
    const cheap = await postGraphQL(j.url, { query: '{ fieldWithCost objectWithCost { id } }' });
    expect(cheap.body).toEqual({ data: { fieldWithCost: 1, objectWithCost: { id: '5' } }, extensions: { cost: { requestedQueryCost: 45, actualQueryCost: 45 } } });
  });
});

it('variables and slicing arguments count as in the calculator', async () => {
  await withJunction({ mode: 'enforce', maxCost: 1000 }, async (j) => {
    const query = 'query($n: Int, $in: InputTypeWithCost) { fieldWithDynamicListSize(first: $n) { items { id } } inputWithCost(someInput: $in) }';
    const res = await postGraphQL(j.url, { query, variables: { n: 50, in: { somethingWithCost: 1 } } });
    // 1 + 50 x 1 for the sized list, 1 + 20 for the input object.
    expect(res.body.extensions).toEqual({ cost: { requestedQueryCost: 51 + 21, actualQueryCost: 4 + 21 } });
  });
});

it('off (the default): no cost in the response', async () => {
  await withJunction({}, async (j) => {
    const res = await postGraphQL(j.url, { query: '{ fieldWithCost }' });
    expect(res.body).toEqual({ data: { fieldWithCost: 1 } });
  });
});

describe('the calculator\'s table through the HTTP endpoint', () => {
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@cost", "@listSize"])\n';
  // The same schemas served as real subgraphs: no resolvers, every field answers null; cost does not depend on data.
  const served = [
    { name: 'basic', sdl: link + BASIC_SDL, listSize: 100, cases: BASIC_CASES.map(([name, query, expected]) => [name, query, {}, expected] as const) },
    { name: 'custom', sdl: CUSTOM_SUBGRAPH_SDL, listSize: 10, cases: CUSTOM_SUBGRAPH_CASES },
  ];
  for (const { name, sdl, listSize, cases } of served) {
    describe(name, () => {
      let sub: RunningSubgraph;
      let junction: StartedGateway;
      beforeAll(async () => {
        sub = await startSubgraph({ name, typeDefs: parse(sdl), resolvers: {} });
        const outcome = composeSupergraph([{ name, url: sub.url, sdl }]);
        if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
        junction = await startJunction(outcome.supergraphSdl, { config: { cost: { mode: 'measure', defaultListSize: listSize } } });
      });
      afterAll(async () => {
        await junction?.stop();
        await sub?.stop();
      });
      it.each(cases)('%s', async (_case, query, variables, expected) => {
        const res = await postGraphQL(junction.url, { query, variables: variables as Record<string, unknown> });
        expect(res.body.extensions?.cost).toMatchObject({ requestedQueryCost: expected });
      });
    });
  }
});
