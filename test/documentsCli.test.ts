/**
 * Issue #12: `junction documents push|list|remove` against a running gateway, as an operator runs
 * them (the compiled CLI; `npm test` builds first): exit 0 when done, 1 with the gateway's reasons
 * when refused, 2 on bad usage.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJunction, startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const TOKEN = 'a-long-enough-admin-token';
const dir = mkdtempSync(join(tmpdir(), 'junction-documents-cli-'));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ME = 'query Me { me { id } }';
let subgraphs: SampleSubgraphs;
let gateway: GatewayProcess;

beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  writeFileSync(join(dir, 'supergraph.graphql'), subgraphs.supergraphSdl);
  writeFileSync(join(dir, 'every-client.json'), JSON.stringify({ [sha('{ __typename }')]: '{ __typename }' }));
  writeFileSync(
    join(dir, 'junction.yaml'),
    ['listen: { host: 127.0.0.1, port: 0 }', 'supergraph: supergraph.graphql', 'trustedDocuments:', '  enabled: true', '  manifests: [{ file: every-client.json }]'].join('\n'),
  );
  gateway = await startGatewayProcess(['--config', join(dir, 'junction.yaml')], { JUNCTION_ADMIN_TOKEN: TOKEN });
});

afterAll(async () => {
  await gateway?.stop();
  await subgraphs?.stop();
});

async function documents(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cli = runJunction(['documents', ...args, '--gateway', gateway.url], { env: { JUNCTION_ADMIN_TOKEN: TOKEN } });
  const status = await cli.exited;
  return { status, stdout: cli.stdout(), stderr: cli.stderr() };
}

it('pushes, lists and removes a manifest', async () => {
  const file = join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha(ME), body: ME, name: 'Me', type: 'query' }] }));
  expect(await documents('push', file, '--client', 'constructor', '--version', '1.0 (42)')).toEqual({ status: 0, stdout: 'stored 1 documents for constructor 1.0 (42)\n', stderr: '' });
  const list = await documents('list');
  expect(list.status).toBe(0);
  expect(list.stdout).toMatch(/^constructor\s+1\.0 \(42\)\s+1 documents {2}updated \S+\n\(every client\)\s+\(every\)\s+1 documents {2}file \S+every-client\.json\n$/);
  expect(await documents('remove', '--client', 'constructor', '--version', '1.0 (42)')).toEqual({ status: 0, stdout: 'removed the manifest of constructor 1.0 (42)\n', stderr: '' });
});

it('prints the gateway’s reasons, with the line, when it refuses a manifest (exit 1)', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{\n  "a": "{ me { id } }",\n  "b": "{ me { "\n}');
  const refused = await documents('push', file, '--client', 'web', '--version', '1');
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/^Refused \(HTTP 400\):\n {2}INVALID_MANIFEST: The manifest is refused whole: line 3: the document of "b" is not GraphQL/);
  expect((await documents('remove', '--client', 'web', '--version', '1')).stderr).toMatch(/MANIFEST_NOT_FOUND/);
  expect((await documents('push', join(dir, 'missing.json'), '--client', 'web', '--version', '1')).stderr).toMatch(/Cannot read .*missing\.json: ENOENT/);
});

it.each([
  [['push', 'x.json']],
  [['push', '--client', 'web', '--version', '1']],
  [['remove', '--client', 'web']],
  [['list', 'extra']],
  [['frobnicate']],
])('exits 2 on bad usage: %j', async (args) => {
  const result = await documents(...args);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('junction documents push FILE --client NAME --version V');
});
