/**
 * Trusted documents at request time, in process: how a request names a document (`documentId` over
 * POST and GET, Apollo's persisted query hash, the text itself), which manifests its client-name
 * headers select, what `allowArbitrary: false` refuses and whom `exempt` lets through, and what is
 * counted and logged. The operations here need no subgraph (`__typename`) or are refused before any
 * fetch; test/trustedDocuments.test.ts runs them against real subgraphs and replicas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveConfig, type GatewayConfigInput } from '../../../config';
import { silentLogger, type Logger } from '../../../deps';
import { createGateway } from '../../../gateway';
import { createServer } from '../../../server/createServer';
import type { Identity } from '../../auth/identity';
import { MemoryPersistedQueryStore } from '../../persistedQueries/persistedQueryStore';
import { sha256Hex, useAutomaticPersistedQueries } from '../../persistedQueries/useAutomaticPersistedQueries';
import type { GatewayPlugin } from '../../types';
import { TrustedDocumentIndex } from '../documentIndex';
import { parseManifest } from '../manifest';
import { useTrustedDocuments, type TrustedDocumentResult } from '../useTrustedDocuments';

const supergraphSdl = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'supergraph.graphql'), 'utf8');

const TYPENAME = 'query Typename { __typename }';
const ALIASED = 'query Aliased { kind: __typename }';
const WEB_ONLY = 'query Web { web: __typename }';
const IOS_2 = 'query Ios { ios: __typename }';
const LOGIN = 'mutation Login { login(username: "ada") { id } }';
const UNTRUSTED = 'query Other { other: __typename }';

/** Every client's manifest (Apollo's format), the web client's (Relay's ids), iOS 2's (a codegen hash). */
const manifests = [
  {
    documents: parseManifest(
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: sha256Hex(TYPENAME), name: 'Typename', type: 'query', body: TYPENAME },
          { id: 'aliased-1', name: 'Aliased', type: 'query', body: ALIASED },
          { id: 'login', name: 'Login', type: 'mutation', body: LOGIN },
        ],
      }),
    ).documents,
  },
  { client: 'web', documents: parseManifest(JSON.stringify({ GetThing: WEB_ONLY, constructor: TYPENAME })).documents },
  { client: 'ios', version: '2', documents: parseManifest(JSON.stringify({ GetThing: IOS_2 })).documents },
];

type Body = { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
interface Answer {
  status: number;
  body: Body;
}

interface Harness {
  app: FastifyInstance;
  apqStore: MemoryPersistedQueryStore;
  counted: TrustedDocumentResult[];
  warnings: Array<Record<string, unknown>>;
  post(body: object, headers?: Record<string, string>): Promise<Answer>;
  get(params: Record<string, string>, headers?: Record<string, string>): Promise<Answer>;
}

/** The caller the (fake) authentication before the plugin says it is: `x-test-client` names an API-key client. */
const authenticate: GatewayPlugin = {
  name: 'test-authentication',
  onRequest({ request, context }) {
    const clientId = request.headers['x-test-client'];
    context.identity = clientId
      ? ({ clientId, scopes: [], claims: {}, via: 'apiKey' } satisfies Identity)
      : ({ clientId: undefined, scopes: [], claims: {}, via: 'anonymous' } satisfies Identity);
  },
};

const open: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

async function harness(trustedDocuments: GatewayConfigInput['trustedDocuments'], extra: GatewayConfigInput = {}, enabled = true): Promise<Harness> {
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', trustedDocuments: { enabled, ...trustedDocuments }, ...extra });
  const index = new TrustedDocumentIndex();
  index.replace('files', manifests);
  const counted: TrustedDocumentResult[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const logger: Logger = { ...silentLogger, warn: (_message, fields) => void warnings.push(fields ?? {}) };
  const apqStore = new MemoryPersistedQueryStore({ maxEntries: 100, maxBytes: 1 << 20 });
  const plugins = [
    authenticate,
    useTrustedDocuments({ index: enabled ? index : undefined, config: config.trustedDocuments, budgets: config.budgets, logger, count: (r) => void counted.push(r) }),
    useAutomaticPersistedQueries({ store: apqStore, logger: silentLogger }),
  ];
  const gateway = createGateway(config, { logger: silentLogger, plugins });
  gateway.useSupergraph(supergraphSdl);
  const app = createServer(gateway, { graphiql: true, bodyLimit: config.limits.maxBodyBytes, batching: { enabled: true, maxSize: 10 } });
  open.push(app);
  await app.ready();
  const answer = (res: { statusCode: number; body: string }) => ({ status: res.statusCode, body: JSON.parse(res.body) as Body });
  return {
    app,
    apqStore,
    counted,
    warnings,
    post: async (body, headers = {}) => answer(await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) })),
    get: async (params, headers = {}) =>
      answer(await app.inject({ method: 'GET', url: `/graphql?${new URLSearchParams(params)}`, headers: { 'apollo-require-preflight': 'true', ...headers } })),
  };
}

const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions?.code;
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const web = { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.4' };
const ios2 = { 'apollographql-client-name': 'ios', 'apollographql-client-version': '2' };

describe('with allowArbitrary: false', () => {
  it.each<[string, object, Record<string, string>, Record<string, unknown>]>([
    ['a manifest id', { documentId: 'aliased-1' }, {}, { kind: 'Query' }],
    ['sha256: and the hash of the body', { documentId: `sha256:${sha256Hex(ALIASED)}` }, {}, { kind: 'Query' }],
    ['an Apollo manifest id that is the hash, as documentId', { documentId: sha256Hex(TYPENAME) }, {}, { __typename: 'Query' }],
    ['the full text', { query: ALIASED }, {}, { kind: 'Query' }],
    ['an APQ hash that is a manifest id (Apollo persisted query lists)', { extensions: apq(sha256Hex(TYPENAME)) }, {}, { __typename: 'Query' }],
    ['an APQ hash that is the body hash of a Relay-style document', { extensions: apq(sha256Hex(WEB_ONLY)) }, web, { web: 'Query' }],
    ['the text with its APQ hash', { query: ALIASED, extensions: apq(sha256Hex(ALIASED)) }, {}, { kind: 'Query' }],
    ['a web id, for web', { documentId: 'GetThing' }, web, { web: 'Query' }],
    ['the same id, for iOS 2', { documentId: 'GetThing' }, ios2, { ios: 'Query' }],
    ['"constructor", an id in the web manifest', { documentId: 'constructor' }, web, { __typename: 'Query' }],
    ['an every-client document, for web', { documentId: 'aliased-1' }, web, { kind: 'Query' }],
  ])('runs a trusted document named by %s', async (_name, body, headers, data) => {
    const h = await harness({ allowArbitrary: false });
    const res = await h.post(body, headers);
    expect(res).toEqual({ status: 200, body: { data } });
    expect(h.counted).toEqual(['trusted']);
  });

  it('runs a document named by documentId over GET (a browser asking for HTML too), and refuses a mutation over GET with 405', async () => {
    const h = await harness({ allowArbitrary: false });
    expect(await h.get({ documentId: 'aliased-1' })).toEqual({ status: 200, body: { data: { kind: 'Query' } } });
    expect(await h.get({ documentId: 'aliased-1' }, { accept: 'text/html,application/json;q=0.9' })).toEqual({ status: 200, body: { data: { kind: 'Query' } } });
    const mutation = await h.get({ documentId: 'login' });
    expect([mutation.status, mutation.body.data]).toEqual([405, undefined]);
  });

  it.each<[string, object, Record<string, string>]>([
    ['a text in no manifest', { query: UNTRUSTED }, {}],
    ['a trusted text changed by a space', { query: `${ALIASED} ` }, {}],
    ['a text only in the web manifest, from iOS 2', { query: WEB_ONLY }, ios2],
    ['an unknown APQ hash', { extensions: apq(sha256Hex(UNTRUSTED)) }, {}],
    ['an unknown text with its APQ hash', { query: UNTRUSTED, extensions: apq(sha256Hex(UNTRUSTED)) }, {}],
    ['a self-declared client name that is exempt as a client id', { query: UNTRUSTED }, { 'apollographql-client-name': 'tools' }],
  ])('refuses %s with 400 PERSISTED_QUERY_NOT_ALLOWED, storing nothing', async (_name, body, headers) => {
    const h = await harness({ allowArbitrary: false, exempt: { clientIds: ['tools'] } });
    const res = await h.post(body, headers);
    expect([res.status, codeOf(res), res.body.data]).toEqual([400, 'PERSISTED_QUERY_NOT_ALLOWED', undefined]);
    expect(h.counted).toEqual(['refused']);
    expect(h.apqStore.size).toBe(0);
  });

  it('lets an exempt client id or tier send anything', async () => {
    const h = await harness(
      { allowArbitrary: false, exempt: { clientIds: ['tools'], tiers: ['internal'] } },
      { budgets: { tiers: { default: { capacity: 10, refillPerSecond: 1 }, internal: { capacity: 10, refillPerSecond: 1 } }, assign: [{ clientId: 'ops', tier: 'internal' }] } },
    );
    for (const client of ['tools', 'ops']) {
      expect(await h.post({ query: UNTRUSTED }, { 'x-test-client': client })).toEqual({ status: 200, body: { data: { other: 'Query' } } });
    }
    // An exempt caller's APQ registration works as ever.
    expect(codeOf(await h.post({ extensions: apq(sha256Hex(UNTRUSTED)) }, { 'x-test-client': 'tools' }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await h.post({ query: UNTRUSTED, extensions: apq(sha256Hex(UNTRUSTED)) }, { 'x-test-client': 'tools' })).status).toBe(200);
    expect(h.apqStore.size).toBe(1);
    expect(codeOf(await h.post({ query: UNTRUSTED }, { 'x-test-client': 'someone' }))).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    expect(h.counted).toEqual(['exempt', 'exempt', 'exempt', 'exempt', 'refused']);
  });

  it('refuses a batch item outside the manifests and runs the others', async () => {
    const h = await harness({ allowArbitrary: false });
    const res = await h.app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([{ documentId: 'aliased-1' }, { query: UNTRUSTED }]) });
    const items = JSON.parse(res.body) as Body[];
    expect(items.map((b) => b.data ?? b.errors?.[0]?.extensions?.code)).toEqual([{ kind: 'Query' }, 'PERSISTED_QUERY_NOT_ALLOWED']);
  });
});

describe('a documentId that is not right', () => {
  it.each<[string, object, number, string]>([
    ['names nothing', { documentId: 'nothing-here' }, 404, 'PERSISTED_QUERY_NOT_FOUND'],
    ['web and iOS 2 name two texts, without a client name', { documentId: 'GetThing' }, 404, 'PERSISTED_QUERY_NOT_FOUND'],
    ['is __proto__', { documentId: '__proto__' }, 404, 'PERSISTED_QUERY_NOT_FOUND'],
    ['is toString', { documentId: 'toString' }, 404, 'PERSISTED_QUERY_NOT_FOUND'],
    ['is a sha256 id of 63 digits', { documentId: `sha256:${sha256Hex(ALIASED).slice(1)}` }, 400, 'BAD_REQUEST'],
    ['is a sha256 id in upper case', { documentId: `sha256:${sha256Hex(ALIASED).toUpperCase()}` }, 400, 'BAD_REQUEST'],
    ['is a sha256 id of base64', { documentId: `sha256:${Buffer.from(sha256Hex(ALIASED), 'hex').toString('base64')}` }, 400, 'BAD_REQUEST'],
    ['is a sha256 id of no document', { documentId: `sha256:${sha256Hex(UNTRUSTED)}` }, 404, 'PERSISTED_QUERY_NOT_FOUND'],
    ['has a space', { documentId: 'aliased 1' }, 400, 'BAD_REQUEST'],
    ['is empty', { documentId: '' }, 400, 'BAD_REQUEST'],
    ['is 257 characters', { documentId: 'x'.repeat(257) }, 400, 'BAD_REQUEST'],
    ['is 1 MB', { documentId: 'x'.repeat(1_000_000) }, 400, 'BAD_REQUEST'],
    ['is a number', { documentId: 42 }, 400, 'BAD_REQUEST'],
    ['comes with a query', { documentId: 'aliased-1', query: ALIASED }, 400, 'BAD_REQUEST'],
    ['comes with an APQ hash', { documentId: 'aliased-1', extensions: apq(sha256Hex(ALIASED)) }, 400, 'BAD_REQUEST'],
  ])('one that %s is refused, and runs nothing', async (_name, body, status, code) => {
    const h = await harness({ allowArbitrary: true }, { limits: { maxBodyBytes: 2_000_000 } });
    const res = await h.post(body);
    expect([res.status, codeOf(res), res.body.data]).toEqual([status, code, undefined]);
  });

  it('without a client name, names the document of any manifest that has it', async () => {
    const h = await harness({ allowArbitrary: false });
    expect(await h.post({ documentId: 'aliased-1' })).toEqual({ status: 200, body: { data: { kind: 'Query' } } });
    expect(await h.post({ documentId: 'constructor' })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('is refused when trusted documents are off, with PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    const h = await harness({}, {}, false);
    const res = await h.post({ documentId: 'aliased-1' });
    expect([res.status, codeOf(res)]).toEqual([400, 'PERSISTED_QUERY_NOT_SUPPORTED']);
    // Texts and APQ are as ever.
    expect((await h.post({ query: UNTRUSTED })).status).toBe(200);
    expect(h.counted).toEqual([]);
  });

  it('is refused, not parsed, when the GET has two', async () => {
    const h = await harness({});
    const res = await h.app.inject({ method: 'GET', url: '/graphql?documentId=a&documentId=b', headers: { 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(400);
  });
});

describe('with allowArbitrary: true (rollout)', () => {
  it('runs operations outside the manifests, counting them, and logs them with logUnknown', async () => {
    const h = await harness({ allowArbitrary: true, logUnknown: true });
    expect((await h.post({ query: UNTRUSTED, operationName: 'Other' }, web)).body).toEqual({ data: { other: 'Query' } });
    expect((await h.post({ query: ALIASED })).body).toEqual({ data: { kind: 'Query' } });
    expect(h.counted).toEqual(['unknown', 'trusted']);
    expect(h.warnings).toEqual([
      expect.objectContaining({ refused: false, clientName: 'web', clientVersion: '1.4', operationName: 'Other', sha256: sha256Hex(UNTRUSTED), text: UNTRUSTED }),
    ]);
  });

  it('logs nothing without logUnknown, and at most 1 KB of a long text with it', async () => {
    const quiet = await harness({ allowArbitrary: true });
    await quiet.post({ query: UNTRUSTED });
    expect(quiet.warnings).toEqual([]);
    const loud = await harness({ allowArbitrary: false, logUnknown: true });
    const long = `{ __typename } # ${'x'.repeat(5000)}`;
    await loud.post({ query: long });
    expect(loud.warnings).toEqual([expect.objectContaining({ refused: true, sha256: sha256Hex(long), text: long.slice(0, 1024) })]);
  });
});
