/**
 * Acceptance #2: a real client. Apollo Client, with its persisted-queries link and SHA-256 from
 * node:crypto, runs the README's example query through Junction (in process, on a free port, over
 * the four sample subgraphs). What the gateway received is recorded by a plugin's onResult, which
 * sees each request as the client sent it: the first sends the hash alone and is told
 * PERSISTED_QUERY_NOT_FOUND, the link sends it again with the query (which registers it), and every
 * request after that sends the hash alone. Then the same with GET for hashed queries.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const QUERY = /```graphql\n([\s\S]*?)```/.exec(readme)![1];
const ANSWER = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme)![1]) as { data: Record<string, unknown> };
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface Received {
  method: string;
  /** What the client sent in `query`: the text, or nothing. */
  query: string | undefined;
  hash: unknown;
  status: number;
  codes: unknown[];
  contentType: string | undefined;
  preflight: string | undefined;
}

/** Records each request as the client sent it, and what it was answered. */
function recorder(received: Received[]): GatewayPlugin {
  return {
    name: 'recorder',
    onResult: ({ request, status, result }) => {
      const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      received.push({
        method: request.method,
        query: request.query,
        hash: persisted?.sha256Hash,
        status,
        codes: (result.errors ?? []).map((e) => e.extensions?.code),
        contentType: request.headers['content-type'],
        preflight: request.headers['apollo-require-preflight'],
      });
    },
  };
}

function apolloClient(url: string, useGETForHashedQueries: boolean): ApolloClient {
  // The header CSRF prevention asks of a GET (Apollo Client's GETs also carry content-type: application/json).
  const headers = useGETForHashedQueries ? { 'apollo-require-preflight': 'true' } : undefined;
  return new ApolloClient({
    link: ApolloLink.from([createPersistedQueryLink({ sha256, useGETForHashedQueries }), new HttpLink({ uri: url, headers })]),
    cache: new InMemoryCache(),
  });
}

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

it.each([
  ['POST', false],
  ['GET for hashed queries', true],
])('Apollo Client (%s): not found, registered, then the hash alone, with the README answer each time', async (_name, useGET) => {
  const received: Received[] = [];
  let junction: StartedGateway | undefined;
  try {
    junction = await startJunction(subgraphs.supergraphSdl, { plugins: [recorder(received)] });
    const client = apolloClient(junction.url, useGET);
    subgraphs.requests.length = 0;
    for (let i = 0; i < 3; i++) {
      const { data, error } = await client.query({ query: gql(QUERY), fetchPolicy: 'network-only' });
      expect(error).toBeUndefined();
      // Apollo Client's cache adds __typename to each selection: the README's answer, and those.
      expect(data).toMatchObject(ANSWER.data);
    }
    client.stop();

    const hashedMethod = useGET ? 'GET' : 'POST';
    const registration = received[1];
    expect(received.map(({ method, query, status, codes }) => ({ method, sentQuery: query !== undefined, status, codes }))).toEqual([
      { method: hashedMethod, sentQuery: false, status: 200, codes: ['PERSISTED_QUERY_NOT_FOUND'] },
      // The link sends the text by POST, whatever it uses for hashes.
      { method: 'POST', sentQuery: true, status: 200, codes: [] },
      { method: hashedMethod, sentQuery: false, status: 200, codes: [] },
      { method: hashedMethod, sentQuery: false, status: 200, codes: [] },
    ]);
    // One hash throughout: the SHA-256 of the text the client registered.
    expect(new Set(received.map((r) => r.hash))).toEqual(new Set([sha256(registration.query!)]));
    if (useGET) {
      for (const r of received.filter((r) => r.method === 'GET')) expect([r.contentType, r.preflight]).toEqual(['application/json', 'true']);
    }
    // Every run reached all four subgraphs.
    expect(new Set(subgraphs.requests.map((r) => r.subgraph))).toEqual(new Set(['accounts', 'inventory', 'products', 'reviews']));
  } finally {
    await junction?.stop();
  }
});

it('Apollo Client against apq.enabled false: told PERSISTED_QUERY_NOT_SUPPORTED once, then sends the text without hashes', async () => {
  const received: Received[] = [];
  let junction: StartedGateway | undefined;
  try {
    junction = await startJunction(subgraphs.supergraphSdl, { config: { apq: { enabled: false } }, plugins: [recorder(received)] });
    const client = apolloClient(junction.url, false);
    for (let i = 0; i < 3; i++) {
      const { data, error } = await client.query({ query: gql(QUERY), fetchPolicy: 'network-only' });
      expect(error).toBeUndefined();
      expect(data).toMatchObject(ANSWER.data);
    }
    client.stop();
    expect(received.map(({ query, hash, codes }) => ({ sentQuery: query !== undefined, hash: hash !== undefined, codes }))).toEqual([
      { sentQuery: false, hash: true, codes: ['PERSISTED_QUERY_NOT_SUPPORTED'] },
      { sentQuery: true, hash: false, codes: [] },
      { sentQuery: true, hash: false, codes: [] },
      { sentQuery: true, hash: false, codes: [] },
    ]);
  } finally {
    await junction?.stop();
  }
});
