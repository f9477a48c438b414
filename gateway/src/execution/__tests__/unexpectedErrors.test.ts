/**
 * A bug in a subgraph fetch (ours or a plugin's: a TypeError, not a GraphQLError) reaches the log with
 * the request id, and the client only a code and that id. A transport failure is the subgraph's, not a
 * bug. Recorded subgraph responses through a fake transport: no sockets.
 */
import { composeSupergraph } from '../../composition/composeSupergraph';
import { resolveConfig } from '../../config';
import type { Fetch, HttpRequest, Logger } from '../../deps';
import { createGateway } from '../../gateway';
import type { GatewayPlugin } from '../../plugins/types';

const PRODUCTS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { topProducts: [Product] }
  type Product @key(fields: "upc") { upc: ID! name: String! }
`;
const INVENTORY = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Product @key(fields: "upc") { upc: ID! inStock: Boolean }
`;
const URLS = { products: 'http://products.test/graphql', inventory: 'http://inventory.test/graphql' };
const RECORDED: Record<string, string> = {
  [URLS.products]: '{"data":{"topProducts":[{"__typename":"Product","upc":"1","name":"Table"}]}}',
  [URLS.inventory]: '{"data":{"_entities":[{"inStock":true}]}}',
};
const QUERY = '{ topProducts { name inStock } }';

type Entry = { level: keyof Logger; message: string; fields?: Record<string, unknown> };

/** Runs QUERY once, with these plugins and this transport, and returns the response and the log. */
async function run(plugins: GatewayPlugin[], fetch: Fetch) {
  const outcome = composeSupergraph([
    { name: 'products', url: URLS.products, sdl: PRODUCTS },
    { name: 'inventory', url: URLS.inventory, sdl: INVENTORY },
  ]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  const log: Entry[] = [];
  const record = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) => void log.push({ level, message, fields });
  const logger: Logger = { debug() {}, info() {}, warn: record('warn'), error: record('error') };
  const gateway = createGateway(resolveConfig({ supergraph: 'inline' }), { logger, fetch, plugins });
  try {
    gateway.useLoadedSupergraph(await gateway.load(outcome.supergraphSdl));
    const response = await gateway.handle({
      method: 'POST',
      headers: { 'x-request-id': 'req-42' },
      query: QUERY,
      operationName: undefined,
      variables: undefined,
      extensions: undefined,
    });
    return { response, log };
  } finally {
    await gateway.close();
  }
}

/** Answers every subgraph with its recorded response; `text` may be replaced per URL. */
function recordedTransport(text?: (url: string) => Promise<string>): Fetch {
  return async (url: string, _request: HttpRequest) => ({ status: 200, headers: {}, text: () => (text ? text(url) : Promise.resolve(RECORDED[url])) });
}

/** A plugin that throws a TypeError for the inventory fetch, before it is sent or when its answer arrives. */
function brokenPlugin(when: 'request' | 'response'): GatewayPlugin {
  return {
    name: `broken-on-${when}`,
    onSubgraphRequest({ subgraph }) {
      if (subgraph !== 'inventory') return;
      const bug = () => (undefined as unknown as { status: number }).status;
      if (when === 'request') bug();
      return () => void bug();
    },
  };
}

it('recorded answers, no plugin: both subgraphs merged, nothing logged', async () => {
  const { response, log } = await run([], recordedTransport());
  expect(response).toMatchObject({ status: 200, body: { data: { topProducts: [{ name: 'Table', inStock: true }] } } });
  expect(log).toEqual([]);
});

it.each(['request', 'response'] as const)('a TypeError in the %s handling of a fetch: logged with the request id, masked for the client', async (when) => {
  const { response, log } = await run([brokenPlugin(when)], recordedTransport());
  expect(response).toMatchObject({ status: 200 });
  expect(response.body).toEqual({
    data: { topProducts: [{ name: 'Table', inStock: null }] },
    errors: [{ message: 'Fetch from "inventory" failed.', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'inventory', requestId: 'req-42' } }],
  });
  expect(log).toEqual([
    {
      level: 'error',
      message: 'subgraph fetch failed unexpectedly',
      fields: { requestId: 'req-42', subgraph: 'inventory', error: expect.stringMatching(/^TypeError: Cannot read properties of undefined/) },
    },
  ]);
  // The stack stays in the log.
  expect(JSON.stringify(response.body)).not.toMatch(/TypeError|unexpectedErrors\.test/);
});

it('a transport failure (a TypeError, as WHATWG fetch reports a network error) is the subgraph being unavailable, not a bug', async () => {
  const failing = recordedTransport((url) => (url === URLS.inventory ? Promise.reject(new TypeError('fetch failed')) : Promise.resolve(RECORDED[url])));
  const { response, log } = await run([], failing);
  expect(response.body).toEqual({
    data: { topProducts: [{ name: 'Table', inStock: null }] },
    errors: [{ message: 'Subgraph "inventory" is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory', reason: 'request failed' } }],
  });
  expect(log).toEqual([{ level: 'warn', message: 'subgraph request failed', fields: { requestId: 'req-42', subgraph: 'inventory', reason: 'fetch failed' } }]);
});
