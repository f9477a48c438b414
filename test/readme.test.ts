/** Acceptance #1 as the README states it: its example query gives its example answer over the four sample subgraphs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../gateway/src/config';
import { signSampleToken } from '../scripts/token';
import { postGraphQL, startJunction, startSampleSubgraphs } from './helpers/sampleEnvironment';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

it('starts with the two commands', () => {
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)![1];
  expect(firstBlock).toMatch(/^npm ci && npm start\b/m);
  expect(firstBlock).toMatch(/^npm test\b/m);
});

it('answers the example query with the example answer, from all four subgraphs', async () => {
  const query = /```graphql\n([\s\S]*?)```/.exec(readme)![1];
  const answer = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme)![1]);
  const subgraphs = await startSampleSubgraphs();
  // The sample config's cost settings: the answer shows what `npm start` answers.
  const { cost } = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {}).config;
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { cost } });
  try {
    const res = await postGraphQL(junction.url, { query });
    expect(res.body).toEqual(answer);
    expect(new Set(subgraphs.requests.map((r) => r.subgraph))).toEqual(new Set(['accounts', 'inventory', 'products', 'reviews']));
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});

it('the token example: `npm run token` signs what the sample config trusts, and the answer is as shown', async () => {
  const example = /TOKEN=\$\(npm run -s token -- --sub (\S+) --scope "([^"]+)"\)[\s\S]*?-d '(\{.*\})'\n# (\{.*\})/.exec(readme)!;
  const [, sub, scope, request, answer] = example;
  const root = join(__dirname, '..');
  const sample = loadConfigFile(join(root, 'gateway', 'junction.sample.yaml'), {});
  const subgraphs = await startSampleSubgraphs();
  const junction = await startJunction(subgraphs.supergraphSdl, {
    config: { auth: sample.config.auth, authorization: sample.config.authorization, cost: sample.config.cost },
    policyModulePath: sample.policyModulePath,
  });
  try {
    const token = await signSampleToken(root, { sub, scope, expires: '5m' });
    const res = await postGraphQL(junction.url, JSON.parse(request), { authorization: `Bearer ${token}` });
    expect(res.body).toEqual(JSON.parse(answer));
    const anonymous = await postGraphQL(junction.url, JSON.parse(request));
    expect(anonymous.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE', 'UNAUTHORIZED_FIELD_OR_TYPE']);
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});
