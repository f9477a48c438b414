/**
 * The shipped configs and docker-compose.yml, read against the code (no Docker engine runs here):
 * every config validates, every command names a script the build produces, every file exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseGraphQL, validate } from 'graphql';
import { parse } from 'yaml';
import { loadConfigFile } from '../gateway/src/config';
import { loadSupergraph } from '../gateway/src/planning/loadSupergraph';
import { parseManifest } from '../gateway/src/plugins/trustedDocuments/manifest';
import { SAMPLE_SUBGRAPHS } from '../subgraphs';

const root = join(__dirname, '..');

it('the sample config (npm start) validates, and its policy module and dev key exist', () => {
  const { config, policyModulePath } = loadConfigFile(join(root, 'gateway', 'junction.sample.yaml'), {});
  expect(existsSync(policyModulePath!)).toBe(true);
  expect(config.auth.jwt.issuers[0].publicKey?.trim()).toBe(readFileSync(join(root, 'gateway', 'sample-keys', 'dev-signing-key.pub.pem'), 'utf8').trim());
  expect(config.subgraphs?.map((s) => s.name)).toEqual(['accounts', 'inventory', 'products', 'reviews']);
  expect(config.subgraphs?.map((s) => s.url)).toEqual(SAMPLE_SUBGRAPHS.map((s) => `http://localhost:${s.port}/graphql`));
});

it('the docker config validates and names the compose services', () => {
  const { config } = loadConfigFile(join(root, 'gateway', 'junction.docker.yaml'), { JUNCTION_REDIS_URL: 'redis://redis:6379' });
  expect(config.registry.store).toBe('redis');
  // The replicas share what is theirs to share: registry, budgets, persisted queries.
  expect([config.budgets.store, config.apq.store, config.apq.redisUrl]).toEqual(['redis', 'redis', 'redis://redis:6379']);
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  for (const s of config.subgraphs ?? []) {
    const host = new URL(s.url).hostname;
    expect(compose.services[host]).toBeDefined();
    expect(config.registry.allowedHosts).toContain(host);
    // The service runs that subgraph on the port the config calls.
    expect(compose.services[host].command).toEqual(['node', 'dist/subgraphs/main.js', s.name, new URL(s.url).port]);
  }
});

it('docker-compose.yml runs scripts and configs that exist', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const gateways = Object.entries(compose.services as Record<string, { command?: string[]; environment?: Record<string, string> }>).filter(([name]) =>
    name.startsWith('gateway'),
  );
  expect(gateways).toHaveLength(2);
  for (const [, service] of gateways) {
    expect(service.command).toEqual(['node', 'bin/junction.js', '--config', 'gateway/junction.docker.yaml']);
    expect(service.environment?.JUNCTION_REDIS_URL).toBe('redis://redis:6379');
  }
  expect(existsSync(join(root, 'bin', 'junction.js'))).toBe(true);
  expect(existsSync(join(root, 'subgraphs', 'main.ts'))).toBe(true);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  // Every source of every COPY (all but the destination).
  for (const [, args] of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
    for (const path of args.trim().split(/\s+/).slice(0, -1)) expect(existsSync(join(root, path))).toBe(true);
  }
});

it.each(['junction.sample.yaml', 'junction.docker.yaml'])('%s: its trusted-document manifests exist (in the image too), parse, and validate against the sample supergraph', (file) => {
  const { config, manifestPaths } = loadConfigFile(join(root, 'gateway', file), { JUNCTION_REDIS_URL: 'redis://redis:6379' });
  expect(config.trustedDocuments.enabled).toBe(true);
  expect(manifestPaths.length).toBeGreaterThan(0);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const schema = loadSupergraph(readFileSync(join(root, 'supergraph.graphql'), 'utf8')).schema;
  for (const path of manifestPaths) {
    if (file === 'junction.docker.yaml') expect(dockerfile).toMatch(new RegExp(`^COPY (?!--from).*\\b${relative(root, path).replace(/\./g, '\\.')}\\b`, 'm'));
    const { documents } = parseManifest(readFileSync(path, 'utf8'));
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) expect(validate(schema, parseGraphQL(document.body)).map((e) => e.message)).toEqual([]);
  }
});

it('docker-compose.yml: the gateways trace to the Jaeger service, and those env vars configure tracing', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const env = compose.services['gateway-1'].environment as Record<string, string>;
  expect(compose.services[new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT).hostname]).toBeDefined();
  const { config } = loadConfigFile(join(root, 'gateway', 'junction.docker.yaml'), env);
  expect(config.tracing).toMatchObject({ enabled: true, exporter: 'otlp', endpoint: 'http://jaeger:4318/v1/traces', serviceName: 'junction' });
});

it('operations endpoints: the docker config serves /metrics and /readyz on a port compose does not publish; health checks use the public /healthz', () => {
  const { config } = loadConfigFile(join(root, 'gateway', 'junction.docker.yaml'), { JUNCTION_REDIS_URL: 'redis://redis:6379' });
  const opsPort = config.operations.listen?.port;
  expect(opsPort).toBeDefined();
  expect(opsPort).not.toBe(config.listen.port);
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  for (const [name, service] of Object.entries(compose.services as Record<string, { ports?: string[] }>)) {
    if (!name.startsWith('gateway')) continue;
    // "host:container": only the GraphQL port leaves the compose network.
    expect(service.ports?.map((p) => Number(p.split(':').pop()))).toEqual([config.listen.port]);
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  expect(/^HEALTHCHECK[\s\S]*?CMD (.*)$/m.exec(dockerfile)?.[1]).toMatch(/\/healthz/);
  expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${config.listen.port} ${opsPort}$`, 'm'));
  // The sample (npm start) keeps them on this machine.
  const sample = loadConfigFile(join(root, 'gateway', 'junction.sample.yaml'), {}).config;
  expect(sample.operations.listen).toEqual({ host: '127.0.0.1', port: 9464 });
});
