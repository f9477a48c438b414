/**
 * Acceptance #2: every corpus operation gives the same JSON through Junction as through a plain
 * @apollo/gateway over the same running subgraphs: data, and each error's message, path and code.
 * With each of Junction's query planners (issue #13): Hive's and Apollo's.
 * Other error extensions differ on purpose: @apollo/gateway forwards all of a subgraph's (stack
 * traces, hosts, credentials), Junction only `code`, `serviceName` and what config allows; see
 * test/subgraphErrors.test.ts.
 */
import { CORPUS } from './corpus';
import {
  postGraphQL,
  startApolloGateway,
  startJunction,
  startSampleSubgraphs,
  type GraphQLResponse,
  type SampleSubgraphs,
} from './helpers/sampleEnvironment';
import type { PlannerName } from '../gateway/src/planning/planner';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { join } from 'node:path';
import { createSigningKey, signToken, TEST_AUDIENCE, TEST_ISSUER } from './helpers/tokens';

let subgraphs: SampleSubgraphs;
const junctions: Partial<Record<PlannerName, StartedGateway>> = {};
const PLANNERS: PlannerName[] = ['hive', 'apollo'];
let oracle: { url: string; stop(): Promise<void> };
/** A client every @authenticated, @requiresScopes and @policy of the sample admits. */
let authorization: string;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  const key = await createSigningKey('differential');
  for (const planner of PLANNERS) {
    junctions[planner] = await startJunction(subgraphs.supergraphSdl, {
      config: {
        planner,
        auth: { jwt: { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, publicKey: key.publicPem }] } },
        authorization: { policyModule: 'unused' },
      },
      policyModulePath: join(__dirname, '..', 'gateway', 'policies.sample.js'),
    });
  }
  oracle = await startApolloGateway(subgraphs.supergraphSdl);
  authorization = `Bearer ${await signToken(key, { sub: '1', scope: 'read:email internal:read' })}`;
});

afterAll(async () => {
  for (const junction of Object.values(junctions)) await junction.stop();
  await oracle?.stop();
  await subgraphs?.stop();
});

type Err = NonNullable<GraphQLResponse['body']['errors']>[number];
const comparableErrors = (errors: Err[] | undefined) =>
  errors
    ?.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code }))
    // Parallel fetches finish in any order, so errors are compared as a set.
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

function comparable(res: GraphQLResponse) {
  const valueCompletion = res.body.extensions?.valueCompletion as Err[] | undefined;
  return {
    status: res.status,
    data: res.body.data,
    errors: comparableErrors(res.body.errors),
    valueCompletion: comparableErrors(valueCompletion),
  };
}

it('has at least 40 operations', () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(40);
});

describe.each(CORPUS)('$name', (op) => {
  it.each(PLANNERS)('matches @apollo/gateway, planned by %s', async (planner) => {
    const junction = junctions[planner]!;
    expect(junction.gateway.plannerName).toBe(planner);
    const request = { query: op.query, variables: op.variables, operationName: op.operationName };
    const [ours, theirs] = await Promise.all([postGraphQL(junction.url, request, { authorization }), postGraphQL(oracle.url, request)]);
    expect(comparable(ours)).toEqual(comparable(theirs));
    // A corpus entry that silently returns nothing would make the comparison vacuous.
    expect(ours.body.data ?? ours.body.errors).toBeTruthy();
  });
});
