/** Acceptance #1 as the README states it: its example query gives its example answer over the four sample subgraphs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, resolveConfig } from '../gateway/src/config';
import { ADMIN_ERROR_STATUS } from '../gateway/src/admin/adminErrors';
import { GatewayErrorCode } from '../gateway/src/errors/gatewayError';
import { signSampleToken } from '../scripts/token';
import { postGraphQL, startJunction, startSampleSubgraphs } from './helpers/sampleEnvironment';
import { FakeClock } from './helpers/fakeClock';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
// Stands still ten minutes ahead of the real time: tokens signed during the run (real `iat`, `exp`
// an hour on) are neither from the future nor expired on it.
const STILL_AT = Date.now() + 600_000;
const STILL = new FakeClock(STILL_AT);

it('starts with the two commands', () => {
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)![1];
  expect(firstBlock).toMatch(/^npm ci && npm start\b/m);
  expect(firstBlock).toMatch(/^npm test\b/m);
});

it('answers the example query with the example answer, from all four subgraphs', async () => {
  const query = /```graphql\n([\s\S]*?)```/.exec(readme)![1];
  const answer = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme)![1]);
  const subgraphs = await startSampleSubgraphs();
  // The sample config's cost and budget settings, on a clock that stands still: the answer shows
  // what a fresh `npm start` answers to its first request.
  const { cost, budgets } = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {}).config;
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { cost, budgets }, clock: STILL });
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
    config: { auth: sample.config.auth, authorization: sample.config.authorization, cost: sample.config.cost, budgets: sample.config.budgets },
    policyModulePath: sample.policyModulePath,
    clock: STILL,
  });
  try {
    const token = await signSampleToken(root, { sub, scope, expires: '1h' });
    const res = await postGraphQL(junction.url, JSON.parse(request), { authorization: `Bearer ${token}` });
    expect(res.body).toEqual(JSON.parse(answer));
    const anonymous = await postGraphQL(junction.url, JSON.parse(request));
    expect(anonymous.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE', 'UNAUTHORIZED_FIELD_OR_TYPE']);
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});

it('with the sample config, a loop of the first query, anonymous, meets a 429 within a few hundred requests', async () => {
  const { cost, budgets } = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {}).config;
  const query = /```graphql\n([\s\S]*?)```/.exec(readme)![1];
  const subgraphs = await startSampleSubgraphs();
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { cost, budgets } });
  try {
    let sent = 0;
    let last = await postGraphQL(junction.url, { query });
    while (last.status === 200 && sent < 300) {
      sent++;
      last = await postGraphQL(junction.url, { query });
    }
    expect(last.status).toBe(429);
    expect(last.body.errors?.[0].extensions?.code).toBe('BUDGET_EXHAUSTED');
    expect(sent).toBeLessThan(300);
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});

it('the GET example: with the CSRF header it answers as shown, without it CSRF_PREVENTED', async () => {
  const example = /curl -sG (\S+) -H '([^:]+): ([^']+)' \\\n {2}--data-urlencode 'query=([^']+)'\n# (\{.*\})/.exec(readme)!;
  const [, url, header, value, query, answer] = example;
  expect(url).toBe('http://localhost:4000/graphql');
  const { cost, budgets, cors, csrfPrevention } = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {}).config;
  const subgraphs = await startSampleSubgraphs();
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { cost, budgets, cors, csrfPrevention }, clock: STILL });
  try {
    const get = (headers: Record<string, string>) => fetch(`${junction.url}?${new URLSearchParams({ query })}`, { headers });
    const res = await get({ [header]: value });
    expect(await res.json()).toEqual(JSON.parse(answer));
    const refused = await get({});
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('CSRF_PREVENTED');
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});

it('documents every cors and csrfPrevention option with its default', () => {
  const table = section('## Configuration');
  const cors = resolveConfig({ supergraph: 'x', cors: { origins: ['*'] } }).cors!;
  for (const option of [...Object.keys(cors), 'allowedHeaders']) expect({ option, documented: table.includes(`| \`cors.${option}\` |`) }).toEqual({ option, documented: true });
  const row = (option: string) => table.split('\n').find((line) => line.startsWith(`| \`${option}\` |`))!.split(' | ')[1];
  expect(row('cors.credentials')).toBe(`\`${cors.credentials}\``);
  expect(row('cors.maxAge')).toBe(`\`${cors.maxAge}\``);
  expect(row('cors.exposedHeaders').toLowerCase()).toBe(`\`[${cors.exposedHeaders.join(', ')}]\``);
  const csrf = resolveConfig({ supergraph: 'x' }).csrfPrevention;
  expect(row('csrfPrevention.enabled')).toBe(`\`${csrf.enabled}\``);
  expect(row('csrfPrevention.requestHeaders')).toBe(`\`[${csrf.requestHeaders.join(', ')}]\``);
});

/** The section of the README under `heading`, up to the next heading of the same level or higher. */
function section(heading: string): string {
  const level = /^#+/.exec(heading)![0].length;
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end === -1 ? rest : rest.slice(0, end);
}

/** The codes of a README table's rows: the first cell that is one code in backquotes, with the cell before it. */
function tableCodes(text: string, row: RegExp): Array<{ code: string; before?: string }> {
  return [...text.matchAll(row)].map((m) => ({ code: m.groups!.code, before: m.groups!.before }));
}

it('has one catalogue: every code in a README table, every table row in the catalogue, admin statuses as admin/ sends them', () => {
  const catalogue = new Set<string>(Object.values(GatewayErrorCode));
  const clientRows = tableCodes(section('## Errors'), /^\| `(?<code>[A-Z_]+)` \|/gm);
  const adminRows = tableCodes(section('### Admin API'), /^\| (?<before>\d{3}) \| `(?<code>[A-Z_]+)` \|/gm);
  const documented = new Set([...clientRows, ...adminRows].map((r) => r.code));
  for (const code of catalogue) expect({ code, documented: documented.has(code) }).toEqual({ code, documented: true });
  for (const code of documented) expect({ code, inCatalogue: catalogue.has(code) }).toEqual({ code, inCatalogue: true });
  // Every code the admin API can send has its row in the admin table, with the status admin/ gives it.
  const adminTable = Object.fromEntries(adminRows.map((r) => [r.code, Number(r.before)]));
  expect(adminTable).toEqual(ADMIN_ERROR_STATUS);
});

it('documents every error code Junction sends, and every limit under Operating Junction with its default and code', () => {
  const errors = section('## Errors');
  // The admin API's codes are in its table (above); every other code is a GraphQL client's.
  const requestCodes = Object.values(GatewayErrorCode).filter((code) => !Object.prototype.hasOwnProperty.call(ADMIN_ERROR_STATUS, code));
  for (const code of requestCodes) expect({ code, documented: errors.includes(`| \`${code}\` |`) }).toEqual({ code, documented: true });

  const limits = section('### Limits');
  expect(section('## Operating Junction')).toContain(limits);
  const defaults = resolveConfig({ supergraph: 'x' }).limits;
  for (const option of Object.keys(defaults)) expect({ option, documented: limits.includes(`\`limits.${option}\``) }).toEqual({ option, documented: true });
  for (const code of ['BODY_LIMIT_EXCEEDED', 'BATCH_LIMIT_EXCEEDED', 'TOKEN_LIMIT_EXCEEDED', 'DEPTH_LIMIT_EXCEEDED', 'ALIAS_LIMIT_EXCEEDED', 'ROOT_FIELD_LIMIT_EXCEEDED', 'DIRECTIVE_LIMIT_EXCEEDED', 'INTROSPECTION_DISABLED', 'COST_ESTIMATED_TOO_EXPENSIVE', 'BUDGET_EXHAUSTED']) {
    expect(limits).toContain(`\`${code}\``);
  }
  // The defaults the table states are the defaults the code has.
  expect(defaults).toMatchObject({ maxBodyBytes: 1_048_576, maxTokens: 15_000, maxDepth: 25, maxAliases: 200, maxRootFields: 100, maxDirectives: 100, introspection: true, subgraphTimeoutMs: 30_000, subgraphConnections: 128 });
  for (const row of ['| 1 MiB |', '| 15,000 |', '| 25 |', '| 200 |', '| 100 |', '| 30 s |', '| 128 per origin |']) expect(limits).toContain(row);
});

it('the subscription examples: the SSE curl gets the event shown after the mutation, and every subscriptions.* option is in the table with its default', async () => {
  const block = /```bash\n(curl -N [^\n]*text\/event-stream[\s\S]*?)```/.exec(readme)![1];
  const [subscribe, mutate] = [...block.matchAll(/-d '(\{.*\})'/g)].map((m) => JSON.parse(m[1]) as { query: string });
  const shown = JSON.parse(/^# data: (\{.*\})$/m.exec(block)![1]);
  const subgraphs = await startSampleSubgraphs();
  const junction = await startJunction(subgraphs.supergraphSdl);
  const stream = new AbortController();
  try {
    const res = await fetch(junction.url, { method: 'POST', headers: { accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify(subscribe), signal: stream.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    for (let i = 0; i < 500 && subgraphs.subscriptions.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await postGraphQL(junction.url, mutate)).body.errors).toBeUndefined();
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!/event: next\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? '';
    expect(JSON.parse(/event: next\ndata: (.*)\n\n/.exec(text)![1])).toEqual(shown);
  } finally {
    stream.abort();
    await junction.stop();
    await subgraphs.stop();
  }
  const table = section('## Configuration');
  const defaults = resolveConfig({ supergraph: 'x' }).subscriptions;
  for (const option of Object.keys(defaults)) expect({ option, documented: table.includes(`\`subscriptions.${option}`) }).toEqual({ option, documented: true });
});

it('the @defer example: the curl gets the parts shown', async () => {
  const block = /```bash\n(curl -N [^\n]*\n[^\n]*deferSpec[\s\S]*?)```/.exec(readme)![1];
  const request = JSON.parse(/-d '(\{.*\})'/.exec(block)![1]);
  const shown = [...block.matchAll(/^# (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
  const subgraphs = await startSampleSubgraphs();
  const junction = await startJunction(subgraphs.supergraphSdl);
  try {
    const res = await fetch(junction.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' }, body: JSON.stringify(request) });
    const parts = (await res.text()).split('\r\n---').slice(1, -1).map((part) => JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4)));
    expect(parts).toEqual(shown);
  } finally {
    await junction.stop();
    await subgraphs.stop();
  }
});
