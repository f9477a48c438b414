/**
 * Issue #10, defect 6: what of a subgraph's error reaches clients. A subgraph left in development
 * mode sends stack traces, and resolvers put hosts, SQL and credentials in extensions: clients get
 * the message, the code and `serviceName`, plus only the extension keys the operator allowed;
 * masking or not. Masking tells a subgraph's errors from Junction's own by origin, not by code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, parse, print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { postGraphQL, startApolloGateway, startJunction, type GraphQLResponse } from './helpers/sampleEnvironment';

const INTERNALS = /stacktrace|exception|hunter2|\.internal|SELECT|\/srv\/|\bat \S+ \(/i;

const ledger = {
  name: 'ledger',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Query { balance: Int crash: Int badInput: Int spoofed: Int slowDown: Int }
  `),
  resolvers: {
    Query: {
      balance: () => {
        throw new GraphQLError('Ledger unavailable', {
          extensions: {
            code: 'LEDGER_DOWN',
            exception: { stacktrace: ['Error: refused', '    at Pool.connect (/srv/ledger/db.js:12:7)'] },
            internalUrl: 'http://ledger-db.internal:5432',
            credentials: 'postgres://admin:hunter2@ledger-db.internal/ledger',
          },
        });
      },
      // A plain Error: Apollo Server answers INTERNAL_SERVER_ERROR with `extensions.stacktrace`.
      crash: () => {
        throw new Error('pool exhausted');
      },
      badInput: () => {
        throw new GraphQLError('Amount must be positive', { extensions: { code: 'BAD_USER_INPUT', debug: { sql: 'SELECT * FROM ledger' } } });
      },
      // A subgraph may send any code, ours included: it must not buy its way past masking.
      spoofed: () => {
        throw new GraphQLError('db-7.internal:5432 refused the connection', { extensions: { code: 'SUBGRAPH_UNAVAILABLE', host: 'db-7.internal' } });
      },
      slowDown: () => {
        throw new GraphQLError('Slow down', { extensions: { code: 'RATE_LIMITED', retryAfter: 30, node: 'ledger-3.internal' } });
      },
    },
  },
};

let subgraph: RunningSubgraph;
let hostile: Server;
let junction: StartedGateway;
let masked: StartedGateway;
let allowing: StartedGateway;
let againstHostile: StartedGateway;
let oracle: { url: string; stop(): Promise<void> };

function supergraphAt(url: string): string {
  const outcome = composeSupergraph([{ name: 'ledger', url, sdl: print(ledger.typeDefs) }]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.supergraphSdl;
}

beforeAll(async () => {
  subgraph = await startSubgraph(ledger, { includeStacktrace: true });
  // Something answering as a subgraph would, with internals where no GraphQL server puts them.
  hostile = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        data: { balance: null },
        errors: [
          { message: 'odd path', path: ['balance', { host: 'db.internal' }], extensions: { code: 'X' } },
          { message: 'odd code', path: ['balance'], extensions: { code: { url: 'http://db.internal' } } },
          { message: 'odd extensions', path: ['balance'], extensions: ['http://db.internal'] },
          { message: 'http hint', path: ['balance'], extensions: { code: 'Y', http: { status: 500, headers: { 'set-cookie': 'a=b' } }, serviceName: 'db.internal' } },
        ],
      }),
    );
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  const sdl = supergraphAt(subgraph.url);
  [junction, masked, allowing, againstHostile, oracle] = await Promise.all([
    startJunction(sdl),
    startJunction(sdl, { config: { maskSubgraphErrors: true } }),
    startJunction(sdl, { config: { subgraphErrors: { allowedExtensions: ['retryAfter'] } } }),
    startJunction(supergraphAt(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/graphql`), { config: { subgraphErrors: { allowedExtensions: ['http', 'serviceName'] } } }),
    startApolloGateway(sdl),
  ]);
});
afterAll(async () => {
  await Promise.all([junction?.stop(), masked?.stop(), allowing?.stop(), againstHostile?.stop(), oracle?.stop(), subgraph?.stop()]);
  hostile.closeAllConnections();
  await new Promise((r) => hostile.close(r));
});

const gateways = { default: () => junction, maskSubgraphErrors: () => masked, 'allowedExtensions [retryAfter]': () => allowing };
const ledgerError = (message: string, field: string, code: string, more: Record<string, unknown> = {}) => ({
  message,
  path: [field],
  extensions: { code, ...more, serviceName: 'ledger' },
});
const maskedError = (field: string) => ({ message: 'Unexpected error.', path: [field], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' } });

it.each<[keyof typeof gateways, string, unknown]>([
  ['default', 'balance', ledgerError('Ledger unavailable', 'balance', 'LEDGER_DOWN')],
  ['default', 'crash', ledgerError('pool exhausted', 'crash', 'INTERNAL_SERVER_ERROR')],
  ['default', 'badInput', ledgerError('Amount must be positive', 'badInput', 'BAD_USER_INPUT')],
  ['default', 'slowDown', ledgerError('Slow down', 'slowDown', 'RATE_LIMITED')],
  ['maskSubgraphErrors', 'balance', maskedError('balance')],
  ['maskSubgraphErrors', 'crash', maskedError('crash')],
  // In `unmaskedCodes`: the message stays, the extensions are cut all the same.
  ['maskSubgraphErrors', 'badInput', ledgerError('Amount must be positive', 'badInput', 'BAD_USER_INPUT')],
  ['maskSubgraphErrors', 'spoofed', maskedError('spoofed')],
  ['allowedExtensions [retryAfter]', 'slowDown', ledgerError('Slow down', 'slowDown', 'RATE_LIMITED', { retryAfter: 30 })],
  ['allowedExtensions [retryAfter]', 'balance', ledgerError('Ledger unavailable', 'balance', 'LEDGER_DOWN')],
])('%s: { %s } -> %j', async (gateway, field, error) => {
  const res = await postGraphQL(gateways[gateway]().url, { query: `{ ${field} }` }, { 'x-request-id': 'req-1' });
  expect(res.body).toEqual({ data: { [field]: null }, errors: [error] });
  expect(JSON.stringify(res.body)).not.toMatch(INTERNALS);
});

it('keeps only names and indexes in paths, string codes, and never a subgraph\'s `http` hint or `serviceName`', async () => {
  const res = await postGraphQL(againstHostile.url, { query: '{ balance }' });
  expect(res.status).toBe(200);
  expect(res.body.errors).toEqual([
    { message: 'odd path', extensions: { code: 'X', serviceName: 'ledger' } },
    { message: 'odd code', path: ['balance'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'ledger' } },
    { message: 'odd extensions', path: ['balance'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'ledger' } },
    { message: 'http hint', path: ['balance'], extensions: { code: 'Y', serviceName: 'ledger' } },
  ]);
  expect(JSON.stringify(res.body)).not.toMatch(INTERNALS);
});

it('differs from @apollo/gateway on purpose: the oracle passes a subgraph\'s stack trace and credentials to clients', async () => {
  const query = '{ balance crash }';
  const [ours, theirs] = await Promise.all([postGraphQL(junction.url, { query }), postGraphQL(oracle.url, { query })]);
  const comparable = (r: GraphQLResponse) => ({ data: r.body.data, errors: r.body.errors?.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code })) });
  // Same data, messages, paths and codes (what test/differential.test.ts compares)...
  expect(comparable(ours)).toEqual(comparable(theirs));
  // ...but @apollo/gateway forwards every extension, `exception` and `stacktrace` included.
  expect(JSON.stringify(theirs.body.errors)).toContain('hunter2');
  expect(JSON.stringify(theirs.body.errors)).toContain('stacktrace');
  expect(JSON.stringify(ours.body)).not.toMatch(INTERNALS);
});
