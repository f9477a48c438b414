/** The typed request pipeline: hooks fire in order, can reject, set subgraph headers and replace results. */
import { GraphQLError } from 'graphql';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import type { StartedGateway } from '../gateway/src/server/startGateway';

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

async function withJunction(plugins: GatewayPlugin[], fn: (j: StartedGateway) => Promise<void>) {
  const junction = await startJunction(subgraphs.supergraphSdl, { plugins });
  try {
    await fn(junction);
  } finally {
    await junction.stop();
  }
}

it('runs the hooks in pipeline order, with the plan and a subgraph fetch per fetch node', async () => {
  const seen: string[] = [];
  const recorder: GatewayPlugin = {
    name: 'recorder',
    onRequest: ({ context }) => void seen.push(`request ${typeof context.requestId}`),
    onParsed: ({ document }) => void seen.push(`parsed ${document.definitions.length}`),
    onValidated: ({ operationKind, variables }) => void seen.push(`validated ${operationKind} n=${variables.n}`),
    onPlanned: ({ plan }) => void seen.push(`planned ${plan.node?.kind}`),
    onSubgraphRequest: ({ subgraph }) => {
      seen.push(`fetch ${subgraph}`);
      return ({ status }) => void seen.push(`fetched ${subgraph} ${status}`);
    },
    onResult: ({ status, result }) => void seen.push(`result ${status} ${Object.keys(result).join(',')}`),
  };
  await withJunction([recorder], async (j) => {
    await postGraphQL(j.url, { query: 'query($n: Int) { topProducts(first: $n) { upc inStock } }', variables: { n: 1 } });
  });
  expect(seen).toEqual([
    'request string',
    'parsed 1',
    'validated query n=1',
    'planned Sequence',
    'fetch products',
    'fetched products 200',
    'fetch inventory',
    'fetched inventory 200',
    'result 200 data',
  ]);
});

it('lets onRequest reject with a status, before anything is parsed or fetched', async () => {
  const reached: string[] = [];
  const gate: GatewayPlugin = {
    name: 'gate',
    onRequest: ({ request, reject }) => {
      if (request.headers['x-test-pass'] !== 'letmein') {
        reject(new GraphQLError('No key.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } }));
      }
    },
    onParsed: () => void reached.push('parsed'),
  };
  await withJunction([gate], async (j) => {
    subgraphs.requests.length = 0;
    const denied = await postGraphQL(j.url, { query: '{ user(id: "1") { id } }' });
    expect(denied.status).toBe(401);
    expect(denied.body).toEqual({ errors: [{ message: 'No key.', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(reached).toEqual([]);
    expect(subgraphs.requests).toEqual([]);
    const allowed = await postGraphQL(j.url, { query: '{ user(id: "1") { id } }' }, { 'x-test-pass': 'letmein' });
    expect(allowed.body).toEqual({ data: { user: { id: '1' } } });
  });
});

it('lets onSubgraphRequest set headers the subgraph receives', async () => {
  const tagger: GatewayPlugin = {
    name: 'tagger',
    onSubgraphRequest: ({ headers, context, subgraph }) => {
      headers['x-request-id'] = context.requestId;
      headers['x-for'] = subgraph;
    },
  };
  await withJunction([tagger], async (j) => {
    subgraphs.requests.length = 0;
    await postGraphQL(j.url, { query: '{ user(id: "1") { id } }' }, { 'x-request-id': 'req-42' });
    expect(subgraphs.requests.map((r) => [r.headers['x-request-id'], r.headers['x-for']])).toEqual([['req-42', 'accounts']]);
  });
});

it('lets onRequest supply the query text (setQuery): the hooks after it and the subgraphs see that text, onResult what the client sent', async () => {
  // A document named by id, the way trusted documents and persisted queries name them.
  const documents = new Map([['user-1', '{ user(id: "1") { name } }']]);
  const seen: string[] = [];
  const plugins: GatewayPlugin[] = [
    {
      name: 'documents',
      onRequest: ({ request, setQuery }) => {
        const id = request.extensions?.documentId;
        if (typeof id === 'string' && documents.has(id)) setQuery(documents.get(id)!);
      },
    },
    {
      name: 'recorder',
      onRequest: ({ request }) => void seen.push(`onRequest ${request.query}`),
      onValidated: ({ request, operation }) => void seen.push(`onValidated ${request.query} ${operation.operation}`),
      onSubgraphRequest: ({ request, subgraph }) => void seen.push(`onSubgraphRequest ${subgraph} ${request.query}`),
      onResult: ({ request, status }) => void seen.push(`onResult ${status} ${request.query}`),
    },
  ];
  await withJunction(plugins, async (j) => {
    const res = await fetch(j.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: { documentId: 'user-1' } }) });
    expect(await res.json()).toEqual({ data: { user: { name: 'Ada Lovelace' } } });
  });
  const text = documents.get('user-1');
  expect(seen).toEqual([`onRequest ${text}`, `onValidated ${text} query`, `onSubgraphRequest accounts ${text}`, 'onResult 200 undefined']);
});

it('lets onPlanned reject and onResult replace the result', async () => {
  const plugins: GatewayPlugin[] = [
    {
      name: 'no-inventory',
      onPlanned: ({ plan, reject }) => {
        if (JSON.stringify(plan).includes('"serviceName":"inventory"')) reject(new GraphQLError('Inventory is closed.', { extensions: { code: 'CLOSED' } }));
      },
    },
    { name: 'stamp', onResult: ({ result, setResult }) => setResult({ ...result, extensions: { stamped: true } }) },
  ];
  await withJunction(plugins, async (j) => {
    const closed = await postGraphQL(j.url, { query: '{ topProducts { inStock } }' });
    expect(closed.status).toBe(400);
    expect(closed.body).toEqual({ errors: [{ message: 'Inventory is closed.', extensions: { code: 'CLOSED' } }], extensions: { stamped: true } });
    const open = await postGraphQL(j.url, { query: '{ topProducts(first: 1) { upc } }' });
    expect(open.body).toEqual({ data: { topProducts: [{ upc: '1' }] }, extensions: { stamped: true } });
  });
});

it('masks a plugin that throws something unexpected', async () => {
  const buggy: GatewayPlugin = {
    name: 'buggy',
    onValidated: () => {
      throw new Error('secret internal detail at /srv/app.js:12');
    },
  };
  await withJunction([buggy], async (j) => {
    const res = await postGraphQL(j.url, { query: '{ user(id: "1") { id } }' });
    expect(res.status).toBe(500);
    expect(res.body.errors).toEqual([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } }]);
  });
});

it('logs one line per request: request id, client, client application, operation, cost, status, duration', async () => {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const logger = {
    debug() {},
    info: (message: string, fields?: Record<string, unknown>) => void lines.push({ message, fields }),
    warn() {},
    error() {},
  };
  const { resolveConfig } = await import('../gateway/src/config');
  const { startGateway } = await import('../gateway/src/server/startGateway');
  const config = resolveConfig({ supergraph: 'inline', listen: { host: '127.0.0.1', port: 0 }, cost: { mode: 'measure' } });
  const junction = await startGateway({ config, supergraphSdl: subgraphs.supergraphSdl, logger });
  try {
    const app = { 'apollographql-client-name': 'web-shop', 'apollographql-client-version': '3.1.0' };
    await postGraphQL(junction.url, { query: 'query Top { topProducts(first: 2) { upc } }' }, { 'x-request-id': 'log-test-1', ...app });
    await postGraphQL(junction.url, { query: '{ nope }' }, { 'graphql-client-name': 'ios' });
    // Refused by the HTTP layer (CSRF prevention): still logged, with the client it named.
    await fetch(`${junction.url}?query=%7B__typename%7D`, { headers: app });
  } finally {
    await junction.stop();
  }
  const requests = lines.filter((l) => l.message === 'request').map((l) => l.fields);
  expect(requests).toEqual([
    { requestId: 'log-test-1', clientId: undefined, via: 'anonymous', clientName: 'web-shop', clientVersion: '3.1.0', operationName: 'Top', documentId: undefined, cost: 2, actualCost: 2, status: 200, errors: 0, durationMs: expect.any(Number) },
    { requestId: expect.any(String), clientId: undefined, via: 'anonymous', clientName: 'ios', clientVersion: undefined, operationName: undefined, documentId: undefined, cost: undefined, actualCost: undefined, status: 400, errors: 1, durationMs: expect.any(Number) },
    { requestId: expect.any(String), clientName: 'web-shop', clientVersion: '3.1.0', status: 400, errors: 1, durationMs: expect.any(Number) },
  ]);
});

it('onPhase sees each phase start and end, nested in the request, with cache hits and failures', async () => {
  const seen: string[] = [];
  const phases: GatewayPlugin = {
    name: 'phases',
    onPhase: ({ phase }) => {
      seen.push(`${phase} start`);
      return ({ error, cached, status }) => {
        const code = (error as { errors?: GraphQLError[] } | undefined)?.errors?.[0]?.extensions?.code;
        seen.push(`${phase} end${cached !== undefined ? ` cached=${cached}` : ''}${code ? ` ${String(code)}` : ''}${status !== undefined ? ` ${status}` : ''}`);
      };
    },
    onSubgraphRequest: () => void seen.push('fetch'),
    onResult: () => void seen.push('result'),
  };
  await withJunction([phases], async (j) => {
    const query = '{ topProducts(first: 1) { upc inStock } }';
    await postGraphQL(j.url, { query });
    await postGraphQL(j.url, { query });
    await postGraphQL(j.url, { query: '{ nope }' });
  });
  const once = (cached: boolean) => [
    'request start',
    'parse start',
    `parse end cached=${cached}`,
    'validate start',
    'validate end',
    'plan start',
    `plan end cached=${cached}`,
    'execute start',
    'fetch',
    'fetch',
    'execute end',
    'result',
    'request end 200',
  ];
  expect(seen).toEqual([
    ...once(false),
    ...once(true),
    'request start',
    'parse start',
    'parse end cached=false',
    'validate start',
    'validate end GRAPHQL_VALIDATION_FAILED',
    'result',
    'request end 400',
  ]);
});
