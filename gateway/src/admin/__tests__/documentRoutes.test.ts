/**
 * Issue #12, trusted documents through the admin API: `PUT/GET/DELETE /admin/documents/:client/:version`
 * take a manifest in any of the three formats, store its documents, and refuse a bad one whole with
 * its line and reason, leaving what is stored as it was. In-process (`inject`), on a real file store.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../deps';
import { createGateway, type Gateway } from '../../gateway';
import { TrustedDocumentIndex } from '../../plugins/trustedDocuments/documentIndex';
import { FileDocumentStore } from '../../registry/fileDocumentStore';
import { TrustedDocumentRegistry } from '../../registry/trustedDocumentRegistry';
import { createServer } from '../../server/createServer';
import { FakeClock } from '../../../../test/helpers/fakeClock';

const TOKEN = 'a-long-enough-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ME = 'query Me { me { id } }';
const TOP = 'query Top { topProducts { name } }';

const apollo = (bodies: string[]) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: bodies.map((body) => ({ id: sha(body), body, type: 'query' })) }, null, 2);
const relay = (bodies: string[]) => JSON.stringify(Object.fromEntries(bodies.map((body, i) => [`relay-${i}`, body])), null, 2);
const codegen = (bodies: string[]) => JSON.stringify(Object.fromEntries(bodies.map((body) => [sha(body), body])), null, 2);
/** `n` distinct operations. */
const operations = (n: number) => Array.from({ length: n }, (_, i) => `query Q${i} { me { id } }`);

const config = resolveConfig({ supergraph: 'inline', trustedDocuments: { enabled: true, maxDocumentsPerManifest: 20, maxDocuments: 30, maxManifestBytes: 4096 } });
let gateway: Gateway;
let storeFile: string;
let store: FileDocumentStore;
let index: TrustedDocumentIndex;
let documents: TrustedDocumentRegistry;
let app: FastifyInstance;
let off: FastifyInstance;

beforeAll(async () => {
  gateway = createGateway(config, { logger: silentLogger });
  storeFile = join(mkdtempSync(join(tmpdir(), 'junction-documents-')), 'registry.documents.json');
  store = await FileDocumentStore.open(storeFile);
  index = new TrustedDocumentIndex();
  documents = new TrustedDocumentRegistry({ store, index, files: [], config: config.trustedDocuments, maxTokens: 15_000, reconcileIntervalMs: 0, logger: silentLogger, clock: new FakeClock() });
  await documents.start();
  app = createServer(gateway, { graphiql: false, bodyLimit: 1024, admin: { token: TOKEN, documents: { registry: documents, maxManifestBytes: 4096 } } });
  off = createServer(gateway, { graphiql: false, bodyLimit: 1024, admin: { token: TOKEN } });
});

afterAll(async () => {
  await app.close();
  await off.close();
  await documents.stop();
  await store.close();
  await gateway.close();
});

function request(method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: string, headers: Record<string, string> = {}, to = app) {
  return to.inject({ method, url, payload, headers: { ...AUTH, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers } });
}

it.each([
  ['Apollo persisted query manifest', apollo([ME, TOP]), sha(ME)],
  ['Relay persisted_queries.json', relay([ME, TOP]), 'relay-0'],
  ['GraphQL Code Generator persisted documents', codegen([ME, TOP]), sha(ME)],
])('stores a manifest in %s and serves it by id and by hash', async (_format, manifest, id) => {
  const put = await request('PUT', '/admin/documents/web/1.0.0', manifest);
  expect(put.statusCode).toBe(201);
  expect(put.json().manifest).toMatchObject({ client: 'web', version: '1.0.0', documents: 2 });
  expect(index.lookup('web', '1.0.0', id)?.body).toBe(ME);
  expect(index.lookup('web', '1.0.0', `sha256:${sha(TOP)}`)?.body).toBe(TOP);
  expect(index.isTrusted(TOP, 'web', '1.0.0')).toBe(true);
  expect(index.isTrusted('{ me { id } }', 'web', '1.0.0')).toBe(false);
  // Stored as documents, so a store read back (another process) has them without parsing again.
  const onDisk = JSON.parse(readFileSync(storeFile, 'utf8'));
  expect(onDisk.manifests[0].documents.map((d: { body: string }) => d.body)).toEqual([ME, TOP]);

  const list = await request('GET', '/admin/documents');
  expect(list.json()).toEqual({ manifests: [{ client: 'web', version: '1.0.0', documents: 2, updatedAt: expect.any(String) }], files: [] });
  const got = await request('GET', '/admin/documents/web/1.0.0');
  expect(got.json().documents.map((d: { body: string }) => d.body)).toEqual([ME, TOP]);
  const replaced = await request('PUT', '/admin/documents/web/1.0.0', manifest);
  expect(replaced.statusCode).toBe(200);
  const removed = await request('DELETE', '/admin/documents/web/1.0.0');
  expect(removed.json()).toEqual({ removed: { client: 'web', version: '1.0.0' } });
  expect(index.lookup('web', '1.0.0', id)).toBeUndefined();
  expect((await request('GET', '/admin/documents')).json().manifests).toEqual([]);
});

it('takes names like constructor, __proto__ and toString as plain names', async () => {
  for (const [client, version] of [
    ['constructor', '__proto__'],
    ['__proto__', 'toString'],
    ['hasOwnProperty', 'constructor'],
  ]) {
    expect((await request('PUT', `/admin/documents/${client}/${version}`, codegen([ME]))).statusCode).toBe(201);
    expect(index.lookup(client, version, sha(ME))?.body).toBe(ME);
    expect(index.lookup(client, 'valueOf', sha(ME))).toBeUndefined();
  }
  expect((await request('GET', '/admin/documents')).json().manifests.map((m: { client: string; version: string }) => `${m.client}/${m.version}`)).toEqual([
    '__proto__/toString',
    'constructor/__proto__',
    'hasOwnProperty/constructor',
  ]);
  for (const path of ['constructor/__proto__', '__proto__/toString', 'hasOwnProperty/constructor']) expect((await request('DELETE', `/admin/documents/${path}`)).statusCode).toBe(200);
});

describe('bad input is refused whole, and what is stored stays', () => {
  beforeAll(async () => {
    expect((await request('PUT', '/admin/documents/ios/2.1', apollo(operations(10)))).statusCode).toBe(201);
    expect((await request('PUT', '/admin/documents/android/2.1', apollo(operations(5)))).statusCode).toBe(201);
  });

  type Case = [string, 'PUT' | 'GET' | 'DELETE', string, string | undefined, number, string, Record<string, unknown>?, Record<string, string>?];
  it.each<Case>([
    ['a trailing comma', 'PUT', '/admin/documents/ios/2.1', '{\n  "a": "{ me { id } }",\n}', 400, 'INVALID_MANIFEST', { line: 3, reason: expect.stringMatching(/^not JSON/) }],
    ['a document that is not GraphQL', 'PUT', '/admin/documents/ios/2.1', '{\n  "a": "{ me { id } }",\n  "b": "{ me { "\n}', 400, 'INVALID_MANIFEST', { line: 3, reason: expect.stringMatching(/the document of "b" is not GraphQL/) }],
    ['one id twice', 'PUT', '/admin/documents/ios/2.1', '{\n  "a": "{ me { id } }",\n  "a": "{ me { id } }"\n}', 400, 'INVALID_MANIFEST', { line: 3, reason: 'an id appears twice' }],
    ['more documents than a manifest may hold', 'PUT', '/admin/documents/ios/2.1', relay(operations(21)), 400, 'INVALID_MANIFEST', { line: 1, reason: 'more than 20 documents' }],
    ['more documents than the store may hold', 'PUT', '/admin/documents/web/3', relay(operations(16)), 422, 'TOO_MANY_DOCUMENTS'],
    ['a body over maxManifestBytes', 'PUT', '/admin/documents/ios/2.1', JSON.stringify({ a: `{ me { id } } ${'#'.repeat(5000)}` }), 413, 'MANIFEST_TOO_LARGE'],
    ['a body that is not JSON', 'PUT', '/admin/documents/ios/2.1', 'x', 400, 'BAD_REQUEST', undefined, { 'content-type': 'text/plain' }],
    ['a control character in a name', 'PUT', '/admin/documents/i%01os/2.1', codegen([ME]), 400, 'INVALID_CLIENT_NAME'],
    ['a version starting with a space', 'PUT', '/admin/documents/ios/%202.1', codegen([ME]), 400, 'INVALID_CLIENT_NAME'],
    ['a name of 129 characters', 'PUT', `/admin/documents/${'x'.repeat(129)}/1`, codegen([ME]), 400, 'INVALID_CLIENT_NAME'],
    ['a manifest never stored', 'GET', '/admin/documents/toString/1', undefined, 404, 'MANIFEST_NOT_FOUND'],
    ['removing a manifest never stored', 'DELETE', '/admin/documents/ios/constructor', undefined, 404, 'MANIFEST_NOT_FOUND'],
    ['no token', 'GET', '/admin/documents', undefined, 401, 'UNAUTHENTICATED', undefined, { authorization: '' }],
  ])('%s', async (...[, method, url, payload, status, code, detail, headers]: Case) => {
    const before = readFileSync(storeFile, 'utf8');
    const res = await request(method, url, payload, headers);
    expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({ status, type: 'application/json; charset=utf-8' });
    expect(res.json()).toEqual({ errors: [{ code, message: expect.any(String), ...detail }] });
    expect(readFileSync(storeFile, 'utf8')).toBe(before);
    expect((await request('GET', '/admin/documents')).json().manifests.map((m: { client: string; documents: number }) => [m.client, m.documents])).toEqual([
      ['android', 5],
      ['ios', 10],
    ]);
    expect(index.lookup('ios', '2.1', sha('query Q9 { me { id } }'))).toBeDefined();
  });

  it('replacing a manifest counts its new documents, not its old ones, against the limit', async () => {
    // 5 (android) + 25 would be 30 with ios's old 10 dropped: allowed.
    const bigger = codegen(operations(20));
    expect(bigger.length).toBeGreaterThan(1024); // over the server's body limit, within maxManifestBytes
    expect((await request('PUT', '/admin/documents/ios/2.1', bigger)).statusCode).toBe(200);
    expect((await request('PUT', '/admin/documents/ios/2.1', apollo(operations(10)))).statusCode).toBe(200);
  });
});

it('answers TRUSTED_DOCUMENTS_OFF while trusted documents are off', async () => {
  for (const [method, url] of [
    ['GET', '/admin/documents'],
    ['PUT', '/admin/documents/a/1'],
    ['DELETE', '/admin/documents/a/1'],
  ] as const) {
    const res = await request(method, url, method === 'PUT' ? codegen([ME]) : undefined, {}, off);
    expect({ status: res.statusCode, code: res.json().errors[0].code }).toEqual({ status: 404, code: 'TRUSTED_DOCUMENTS_OFF' });
  }
});
