/** Acceptance #1 as the README states it: its example query gives its example answer over the four sample subgraphs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const junction = await startJunction(subgraphs.supergraphSdl);
  try {
    const res = await postGraphQL(junction.url, { query });
    expect(res.body).toEqual(answer);
    expect(new Set(subgraphs.requests.map((r) => r.subgraph))).toEqual(new Set(['accounts', 'inventory', 'products', 'reviews']));
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});
