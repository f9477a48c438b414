/** Graceful shutdown: SIGTERM during load lets in-flight requests finish, accepts no new ones, exits 0. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { findLogLine } from './helpers/logLines';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL } from './helpers/sampleEnvironment';

const slow = {
  name: 'slow',
  typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { slow(ms: Int!): Int }'),
  resolvers: { Query: { slow: (_: unknown, { ms }: { ms: number }) => new Promise((r) => setTimeout(() => r(ms), ms)) } },
};

let subgraph: RunningSubgraph;
beforeAll(async () => {
  subgraph = await startSubgraph(slow);
});
afterAll(async () => {
  await subgraph?.stop();
});

it('SIGTERM during load: in-flight requests complete, new ones are refused, exit 0', async () => {
  const outcome = composeSupergraph([{ name: 'slow', url: subgraph.url, sdl: print(slow.typeDefs) }]);
  if (!outcome.ok) throw new Error('compose');
  const file = join(tempDir('junction-shutdown-'), 'supergraph.graphql');
  writeFileSync(file, outcome.supergraphSdl);
  const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'junction.js'), '--supergraph', file, '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, JUNCTION_PORT: '', PORT: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  let url = '';
  for (let i = 0; i < 200 && !url; i++) {
    url = String(findLogLine(stderr, 'junction listening')?.url ?? '');
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  expect(url).not.toBe('');

  // Ten requests that each take 500 ms in the subgraph, then SIGTERM while they are in flight.
  const inFlight = Array.from({ length: 10 }, () => postGraphQL(url, { query: '{ slow(ms: 500) }' }));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 50));
  const late = await postGraphQL(url, { query: '{ slow(ms: 1) }' }).then(
    (res) => res.status,
    () => 'refused',
  );

  const results = await Promise.all(inFlight);
  expect(results.map((r) => [r.status, r.body])).toEqual(Array.from({ length: 10 }, () => [200, { data: { slow: 500 } }]));
  expect([503, 'refused']).toContain(late);
  expect(await exited).toBe(0);
  expect(stderr).not.toMatch(/subgraph request failed/);
});
