/**
 * The `junction` command as compliance suites start it: `--supergraph FILE --port N`, and `--config`.
 * Runs the compiled CLI (`npm test` builds first).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningUrl, runJunction as runCli } from './helpers/gatewayProcess';
import { postGraphQL, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const dir = mkdtempSync(join(tmpdir(), 'junction-cli-'));
let subgraphs: SampleSubgraphs;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

it('serves a supergraph file with --supergraph and --port, answers /healthz, stops on SIGTERM', async () => {
  const file = join(dir, 'supergraph.graphql');
  writeFileSync(file, subgraphs.supergraphSdl);
  const cli = runCli(['--supergraph', file, '--port', '0', '--host', '127.0.0.1']);
  try {
    const url = await listeningUrl(cli);
    expect((await fetch(url.replace('/graphql', '/healthz'))).status).toBe(200);
    const res = await postGraphQL(url, { query: '{ topProducts(first: 1) { name inStock reviews { author { username } } } }' });
    expect(res.body).toEqual({ data: { topProducts: [{ name: 'Table 1', inStock: true, reviews: [{ author: { username: '@ada' } }, { author: { username: '@alan' } }] }] } });
  } finally {
    cli.child.kill('SIGTERM');
  }
  expect(await cli.exited).toBe(0);
});

it('composes from a config file that lists subgraph URLs', async () => {
  const file = join(dir, 'junction.yaml');
  writeFileSync(
    file,
    ['listen:', '  host: 127.0.0.1', '  port: 0', 'subgraphs:', ...subgraphs.subgraphs.map((s) => `  - { name: ${s.name}, url: "${s.url}" }`)].join('\n'),
  );
  const cli = runCli(['--config', file]);
  try {
    const url = await listeningUrl(cli);
    const res = await postGraphQL(url, { query: '{ user(id: "1") { username reviews { product { upc inStock } } } }' });
    expect(res.body.data?.user).toMatchObject({ username: '@ada' });
  } finally {
    cli.child.kill('SIGTERM');
  }
  expect(await cli.exited).toBe(0);
});

it.each([
  [['--config', 'BAD'], 'listen:\n  port: -1\nsupergraph: x.graphql\n', /Invalid configuration at "listen\.port"/],
  [['--config', 'BAD'], 'supergraph: x.graphql\nlimits:\n  maxdepth: 3\n', /"limits\.maxdepth": unknown option/],
  [[], '', /Give --config FILE or --supergraph FILE/],
  [['--port'], '', /--port/],
])('exits with status 2 and says why: %j', async (args, configText, message) => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, configText);
  const cli = runCli(args.map((a) => (a === 'BAD' ? file : a)));
  expect(await cli.exited).toBe(2);
  expect(cli.stderr()).toMatch(message);
});

it('exits with status 1 when the supergraph cannot be loaded', async () => {
  const cli = runCli(['--supergraph', join(dir, 'does-not-exist.graphql'), '--port', '0']);
  expect(await cli.exited).toBe(1);
  expect(cli.stderr()).toMatch(/Cannot read supergraph file/);
});
