import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { resolveConfig, type GatewayConfigInput } from '../../gateway/src/config';
import { silentLogger, type Logger } from '../../gateway/src/deps';
import { startGateway, type StartedGateway } from '../../gateway/src/server/startGateway';
import type { SampleSubgraphs } from './sampleEnvironment';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Junction composing the running sample subgraphs (or others) through its registry, with the admin API on. */
export async function startRegistryJunction(
  subgraphs: { subgraphs: ReadonlyArray<{ name: string; url: string }> },
  options: { registryFile: string; config?: Partial<GatewayConfigInput>; port?: number; logger?: Logger },
): Promise<StartedGateway> {
  const config = resolveConfig({
    logLevel: 'silent',
    ...options.config,
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    subgraphs: subgraphs.subgraphs.map((s) => ({ name: s.name, url: s.url })),
    registry: { pollIntervalMs: 0, reconcileIntervalMs: 0, ...options.config?.registry },
    admin: { token: ADMIN_TOKEN },
  });
  return startGateway({ config, registryPath: options.registryFile, logger: options.logger ?? silentLogger });
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told, for tests that check what an operator would read. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (message: string, fields: Record<string, unknown> = {}) => void entries.push({ level, message, fields });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Serves federation SDL that the test sets, at `url(name)`: answers `{ _service { sdl } }` only, so
 * it can serve SDL no real subgraph framework would build (a schema too deep to compose).
 */
export async function startSdlServer(): Promise<{ url(name: string): string; setSdl(name: string, sdl: string): void; stop(): Promise<void> }> {
  const sdls = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const sdl = sdls.get(/^\/([^/]+)\/graphql$/.exec(req.url ?? '')?.[1] ?? '');
      const wantsSdl = /_service\s*\{\s*sdl/.test(body);
      res.writeHead(sdl === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(sdl !== undefined && wantsSdl ? { data: { _service: { sdl } } } : { errors: [{ message: 'this server only serves its SDL' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${origin}/${name}/graphql`,
    setSdl: (name, sdl) => void sdls.set(name, sdl),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

export const FEDERATION_HEADER = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';

/** `type Query { h: H0 } type H0 { h: [H1] } ... type H{n} { x: Int }`: composition recurses along the chain. */
export function typeChainSdl(n: number): string {
  const types = Array.from({ length: n }, (_, i) => `type H${i} { h: [H${i + 1}] }`).join('\n');
  return `${FEDERATION_HEADER}type Query { h: H0 }\n${types}\ntype H${n} { x: Int }`;
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
