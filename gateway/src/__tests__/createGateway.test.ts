/**
 * `createGateway(config, deps)`: the core runs on the clock, logger, transport, metrics and plugins
 * it is given, and on nothing else: the built-in plugins (authentication, cost, budgets, ...) run
 * only when passed, as `startGateway` passes them from `builtInPlugins`. A fake transport answers
 * for the subgraph: no sockets.
 */
import { FakeClock } from '../../../test/helpers/fakeClock';
import { composeSupergraph } from '../composition/composeSupergraph';
import { resolveConfig, type GatewayConfigInput } from '../config';
import { silentLogger, type Fetch, type Logger } from '../deps';
import { createGateway, type Gateway } from '../gateway';
import { builtInPlugins } from '../plugins/builtInPlugins';
import { GatewayMetrics } from '../plugins/metrics/useMetrics';
import type { GatewayPlugin, GatewayRequest } from '../plugins/types';

const URL = 'http://products.test/graphql';
const outcome = composeSupergraph([
  {
    name: 'products',
    url: URL,
    sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Query { topProducts: [Product] }
      type Product @key(fields: "upc") { upc: ID! name: String! }
    `,
  },
]);
if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
const SUPERGRAPH = outcome.supergraphSdl;
const ANSWER = { data: { topProducts: [{ name: 'Table' }] } };

/** Answers every fetch with ANSWER, recording the URLs asked. */
function recordingTransport(): { fetch: Fetch; urls: string[] } {
  const urls: string[] = [];
  const fetch: Fetch = async (url) => {
    urls.push(url);
    return { status: 200, headers: { 'content-type': 'application/json' }, text: async () => JSON.stringify(ANSWER) };
  };
  return { fetch, urls };
}

const request = (query: string, headers: Record<string, string> = {}): GatewayRequest => ({
  method: 'POST',
  headers,
  query,
  operationName: undefined,
  variables: undefined,
  extensions: undefined,
});

const codes = (body: { errors?: ReadonlyArray<{ extensions?: { code?: unknown } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);

let gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

it('runs on the deps it is given: transport, clock, logger, metrics and plugins', async () => {
  const transport = recordingTransport();
  const clock = new FakeClock();
  await clock.advance(1234);
  const messages: string[] = [];
  const logger: Logger = { ...silentLogger, info: (message) => void messages.push(message) };
  const metrics = new GatewayMetrics();
  const seen: Array<{ startedAt: number; requestId: string }> = [];
  const watcher: GatewayPlugin = { name: 'watcher', onRequest: ({ context }) => void seen.push({ startedAt: context.startedAt, requestId: context.requestId }) };
  const gateway = createGateway(resolveConfig({ supergraph: 'inline' }), { fetch: transport.fetch, clock, logger, metrics, plugins: [watcher] });
  gateways.push(gateway);
  gateway.useSupergraph(SUPERGRAPH);

  for (const id of ['a', 'b']) {
    const response = await gateway.handle(request('{ topProducts { name } }', { 'x-request-id': id }));
    expect(response).toMatchObject({ status: 200, body: ANSWER });
  }

  expect(transport.urls).toEqual([URL, URL]);
  expect(seen).toEqual([
    { startedAt: 1234, requestId: 'a' },
    { startedAt: 1234, requestId: 'b' },
  ]);
  expect(messages).toContain('supergraph loaded');
  expect(gateway.metrics).toBe(metrics);
  const counted = async (counter: GatewayMetrics['planCache'] | GatewayMetrics['compositions']) =>
    Object.fromEntries((await counter.get()).values.map((v) => [v.labels.result, v.value]));
  expect(await counted(metrics.planCache)).toEqual({ miss: 1, hit: 1 });
  expect(await counted(metrics.compositions)).toEqual({ success: 1 });
});

it('runs the plugins in the order given, after none of its own', async () => {
  const order: string[] = [];
  const named = (name: string): GatewayPlugin => ({ name, onRequest: () => void order.push(name) });
  const plugins = [named('first'), named('second')];
  const gateway = createGateway(resolveConfig({ supergraph: 'inline' }), { fetch: recordingTransport().fetch, logger: silentLogger, plugins });
  gateways.push(gateway);
  gateway.useSupergraph(SUPERGRAPH);
  plugins.reverse(); // the caller's array changing later changes nothing
  await gateway.handle(request('{ topProducts { name } }'));
  expect(order).toEqual(['first', 'second']);
});

/** The codes a query gets from a gateway with this config: with no plugins, and with the built-in ones. */
async function answers(input: Omit<GatewayConfigInput, 'supergraph'>, query: string): Promise<{ core: unknown[]; builtIn: unknown[] }> {
  const config = resolveConfig({ supergraph: 'inline', ...input });
  const { fetch } = recordingTransport();
  const clock = new FakeClock();
  const metrics = new GatewayMetrics();
  const builtIns = builtInPlugins(config, { fetch, clock, logger: silentLogger, metrics });
  const core = createGateway(config, { fetch, clock, logger: silentLogger, metrics: new GatewayMetrics() });
  const builtIn = createGateway(config, { fetch, clock, logger: silentLogger, metrics, plugins: builtIns.plugins });
  gateways.push(core, builtIn);
  try {
    core.useSupergraph(SUPERGRAPH);
    builtIn.useSupergraph(SUPERGRAPH);
    return { core: codes((await core.handle(request(query))).body), builtIn: codes((await builtIn.handle(request(query))).body) };
  } finally {
    await builtIns.close();
  }
}

it.each<[string, Omit<GatewayConfigInput, 'supergraph'>, string, unknown[], unknown[]]>([
  ['credentials required', { auth: { allowAnonymous: false } }, '{ topProducts { name } }', [], ['UNAUTHENTICATED']],
  ['a cost limit', { cost: { mode: 'enforce', maxCost: 0 } }, '{ topProducts { name } }', [], ['COST_ESTIMATED_TOO_EXPENSIVE']],
  ['a depth limit (the pipeline\'s own)', { limits: { maxDepth: 1 } }, '{ topProducts { name } }', ['DEPTH_LIMIT_EXCEEDED'], ['DEPTH_LIMIT_EXCEEDED']],
])('%s: with no plugins the core applies only its own rules', async (_name, config, query, core, builtIn) => {
  expect(await answers(config, query)).toEqual({ core, builtIn });
});
