/**
 * Issue #10, weakness "subgraph response size": a subgraph (broken or hostile) that answers with a
 * body of hundreds of megabytes. The gateway stops reading at `limits.maxSubgraphResponseBytes`,
 * drops the connection, answers the fields of that fetch with SUBGRAPH_RESPONSE_TOO_LARGE, and keeps
 * serving; its memory does not grow with the size of the body.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { gatewayConfigFile, startGatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';
import { floodResponse } from './helpers/floodResponse';

const MiB = 1024 * 1024;
const QUERY = '{ topProducts(first: 1) { name inStock } }';

/**
 * A real HTTP server in place of the inventory subgraph: a valid `_entities` answer padded to `size`
 * bytes (in `extensions`), chunked or with Content-Length, written as fast as the reader takes it.
 * `size: Infinity` never ends. Records how much it wrote before the connection closed.
 */
interface Flood {
  url: string;
  set(options: { size: number; contentLength: boolean }): void;
  /** Bytes written per response, once its connection closed or the body ended. */
  written: number[];
  stop(): Promise<void>;
}

async function startFlood(): Promise<Flood> {
  let size = 0;
  let contentLength = false;
  const written: number[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const head = Buffer.from('{"data":{"_entities":[{"__typename":"Product","inStock":true}]},"extensions":{"padding":"');
      floodResponse(res, head, Buffer.from('"}}'), { size, contentLength }, written);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    set(options) {
      size = options.size;
      contentLength = options.contentLength;
      written.length = 0;
    },
    written,
    stop: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

let subgraphs: SampleSubgraphs;
let flood: Flood;
let supergraphSdl: string;
beforeAll(async () => {
  [subgraphs, flood] = await Promise.all([startSampleSubgraphs(), startFlood()]);
  supergraphSdl = subgraphs.supergraphSdl.replace(subgraphs.url('inventory'), flood.url);
});
afterAll(async () => {
  await Promise.all([subgraphs?.stop(), flood?.stop()]);
});

const TOO_LARGE = (limit: number) => ({
  data: { topProducts: [{ name: 'Table 1', inStock: null }] },
  errors: [{ message: 'Subgraph "inventory" sent a response larger than allowed.', extensions: { code: 'SUBGRAPH_RESPONSE_TOO_LARGE', serviceName: 'inventory', limit } }],
});
const FULL = { data: { topProducts: [{ name: 'Table 1', inStock: true }] } };

describe('limits.maxSubgraphResponseBytes 1 MiB', () => {
  let junction: StartedGateway;
  let unlimitedInventory: StartedGateway;
  beforeAll(async () => {
    [junction, unlimitedInventory] = await Promise.all([
      startJunction(supergraphSdl, { config: { limits: { maxSubgraphResponseBytes: MiB } } }),
      startJunction(supergraphSdl, { config: { limits: { maxSubgraphResponseBytes: MiB }, routing: { inventory: { maxResponseBytes: 8 * MiB } } } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([junction?.stop(), unlimitedInventory?.stop()]);
  });

  it.each([
    ['an endless chunked body', { size: Infinity, contentLength: false }, () => junction, TOO_LARGE(MiB)],
    ['a 64 MiB chunked body', { size: 64 * MiB, contentLength: false }, () => junction, TOO_LARGE(MiB)],
    ['a 64 MiB body with Content-Length', { size: 64 * MiB, contentLength: true }, () => junction, TOO_LARGE(MiB)],
    ['a body just under the limit', { size: MiB - 1024, contentLength: false }, () => junction, FULL],
    ['a 4 MiB body, routing.inventory.maxResponseBytes 8 MiB', { size: 4 * MiB, contentLength: false }, () => unlimitedInventory, FULL],
    ['a 64 MiB body, routing.inventory.maxResponseBytes 8 MiB', { size: 64 * MiB, contentLength: true }, () => unlimitedInventory, TOO_LARGE(8 * MiB)],
  ])('%s', async (_name, body, gateway, expected) => {
    flood.set(body);
    const res = await postGraphQL(gateway().url, { query: QUERY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected);
    if (expected !== FULL) {
      // Reading stopped at the limit and the connection was dropped: the subgraph could not send
      // much more than the limit and what the socket buffers hold, whatever the body's size.
      await waitFor(() => flood.written.length === 1);
      expect(flood.written[0]).toBeLessThan(16 * MiB);
    }
    // And the gateway keeps serving.
    expect((await postGraphQL(gateway().url, { query: '{ topProducts(first: 1) { name } }' })).body).toEqual({ data: { topProducts: [{ name: 'Table 1' }] } });
  });
});

it('a gateway process answering four 256 MiB bodies at once grows by less than 64 MiB', async () => {
  const dir = tempDir('junction-flood-');
  const config = gatewayConfigFile(dir, supergraphSdl, { limits: { maxSubgraphResponseBytes: MiB }, deduplicateSubgraphRequests: false });
  const gateway = await startGatewayProcess(['--config', config]);
  try {
    flood.set({ size: 1024, contentLength: false });
    for (let i = 0; i < 3; i++) expect((await postGraphQL(gateway.url, { query: QUERY })).body).toEqual(FULL); // warm
    const before = peakRssBytes(gateway.child.pid!);

    flood.set({ size: 256 * MiB, contentLength: false });
    const results = await Promise.all(Array.from({ length: 4 }, () => postGraphQL(gateway.url, { query: QUERY })));
    expect(results.map((r) => r.body)).toEqual(results.map(() => TOO_LARGE(MiB)));
    const grown = peakRssBytes(gateway.child.pid!) - before;
    expect(grown).toBeLessThan(64 * MiB);
  } finally {
    await gateway.stop();
  }
});

/** The process's peak resident set size so far (VmHWM), in bytes. */
function peakRssBytes(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return Number(kb) * 1024;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
