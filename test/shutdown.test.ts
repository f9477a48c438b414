/** Graceful shutdown: SIGTERM during load lets in-flight requests finish, accepts no new ones, exits 0. */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse, print } from 'graphql';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { startSubgraph, type RunningSubgraph } from '../subgraphs';
import { startGatewayProcess } from './helpers/gatewayProcess';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction } from './helpers/sampleEnvironment';

const slow = {
  name: 'slow',
  typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"]) type Query { slow(ms: Int!): Int }'),
  resolvers: { Query: { slow: (_: unknown, { ms }: { ms: number }) => new Promise((r) => setTimeout(() => r(ms), ms)) } },
};

let subgraph: RunningSubgraph;
beforeAll(async () => {
  subgraph = await startSubgraph(slow);
});
afterAll(async () => {
  await subgraph?.stop();
});

it('SIGTERM during load: in-flight requests complete, new ones are refused, exit 0', async () => {
  const outcome = composeSupergraph([{ name: 'slow', url: subgraph.url, sdl: print(slow.typeDefs) }]);
  if (!outcome.ok) throw new Error('compose');
  const file = join(tempDir('junction-shutdown-'), 'supergraph.graphql');
  writeFileSync(file, outcome.supergraphSdl);
  const { child, url, exited, stderr } = await startGatewayProcess(['--supergraph', file, '--port', '0', '--host', '127.0.0.1']);

  // Ten requests that each take 500 ms in the subgraph, then SIGTERM while they are in flight.
  const inFlight = Array.from({ length: 10 }, () => postGraphQL(url, { query: '{ slow(ms: 500) }' }));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 50));
  const late = await postGraphQL(url, { query: '{ slow(ms: 1) }' }).then(
    (res) => res.status,
    () => 'refused',
  );

  const results = await Promise.all(inFlight);
  expect(results.map((r) => [r.status, r.body])).toEqual(Array.from({ length: 10 }, () => [200, { data: { slow: 500 } }]));
  expect([503, 'refused']).toContain(late);
  expect(await exited).toBe(0);
  expect(stderr()).not.toMatch(/subgraph request failed/);
});

it('a request that reaches the gateway while it drains gets 503 SHUTTING_DOWN in our envelope, and the connection is closed', async () => {
  const outcome = composeSupergraph([{ name: 'slow', url: subgraph.url, sdl: print(slow.typeDefs) }]);
  if (!outcome.ok) throw new Error('compose');
  const junction = await startJunction(outcome.supergraphSdl);
  const post = (query: string) => {
    const body = JSON.stringify({ query });
    return `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };
  const open = (first: string) => {
    const socket = connect(junction.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => {});
    socket.write(first);
    return { socket, closed: new Promise<string>((r) => socket.on('close', () => r(received))) };
  };
  // One connection keeps the gateway draining; on another, a request is half sent when SIGTERM comes.
  const busy = open(post('{ slow(ms: 600) }'));
  const late = post('{ slow(ms: 1) }');
  const arriving = open(late.slice(0, 20));
  await new Promise((r) => setTimeout(r, 150));
  const stopped = junction.stop();
  await new Promise((r) => setTimeout(r, 50));
  arriving.socket.write(late.slice(20));

  const refused = await arriving.closed;
  expect(refused).toMatch(/^HTTP\/1\.1 503 [^]*\r\nconnection: close\r\n/i);
  expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toEqual({
    errors: [{ message: 'The gateway is shutting down: retry on another instance.', extensions: { code: 'SHUTTING_DOWN' } }],
  });
  expect(await busy.closed).toMatch(/^HTTP\/1\.1 200 [^]*\{"data":\{"slow":600\}\}$/);
  await stopped;
});
