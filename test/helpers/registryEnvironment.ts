import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { resolveConfig, type GatewayConfigInput } from '../../gateway/src/config';
import { silentLogger } from '../../gateway/src/deps';
import { startGateway, type StartedGateway } from '../../gateway/src/server/startGateway';
import type { SampleSubgraphs } from './sampleEnvironment';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Junction composing the running sample subgraphs through its registry, with the admin API on. */
export async function startRegistryJunction(
  subgraphs: SampleSubgraphs,
  options: { registryFile: string; config?: Partial<GatewayConfigInput>; port?: number },
): Promise<StartedGateway> {
  const config = resolveConfig({
    logLevel: 'silent',
    ...options.config,
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    subgraphs: subgraphs.subgraphs.map((s) => ({ name: s.name, url: s.url })),
    registry: { pollIntervalMs: 0, reconcileIntervalMs: 0, ...options.config?.registry },
    admin: { token: ADMIN_TOKEN },
  });
  return startGateway({ config, registryPath: options.registryFile, logger: silentLogger });
}

export interface AdminResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls the admin API of the gateway whose /graphql URL is given. */
export async function admin(
  graphqlUrl: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
): Promise<AdminResponse> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(graphqlUrl.replace(/\/graphql$/, '/admin') + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text/plain (the supergraph)
  }
  return { status: res.status, body: parsed };
}

/** A plain GraphQL service: no federation, no `_service`. */
export async function startPlainService(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new ApolloServer({
    typeDefs: 'type Query { weather(city: String!): Weather } type Weather { city: String! celsius: Float! }',
    resolvers: { Query: { weather: (_: unknown, { city }: { city: string }) => ({ city, celsius: city.length * 1.5 }) } },
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url: `${url}graphql`.replace('//graphql', '/graphql'), stop: () => server.stop() };
}

/** An HTTP server that answers every request with an HTML error page. */
export async function startGarbageServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/** A port nobody listens on (just freed). */
export async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return `http://127.0.0.1:${port}/graphql`;
}
