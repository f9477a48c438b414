import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { formatCompositionErrors } from '../composition/formatCompositionErrors';
import type { GatewayConfig } from '../config';
import { createLogger, systemClock, type Clock, type Fetch, type Logger } from '../deps';
import { defaultSubgraphFetch } from '../execution/subgraphHttp';
import { createGateway, type Gateway } from '../gateway';
import { builtInPlugins, type BuiltInPlugins } from '../plugins/builtInPlugins';
import { GatewayMetrics } from '../plugins/metrics/useMetrics';
import type { GatewayPlugin } from '../plugins/types';
import { openRegistryStore } from '../registry/openRegistryStore';
import { readSupergraphFile, SupergraphSourceError } from '../registry/readSupergraphFile';
import { CompositionRefusedError, RegistryError, SubgraphRegistry, type SupergraphTarget } from '../registry/subgraphRegistry';
import type { RegistryStore } from '../registry/types';
import { corsOptionsFrom } from './cors';
import { TrustedDocumentIndex } from '../plugins/trustedDocuments/documentIndex';
import type { DocumentStore } from '../registry/documentStore';
import { openDocumentStore } from '../registry/openDocumentStore';
import { TrustedDocumentRegistry } from '../registry/trustedDocumentRegistry';
import { createOperationsServer, createServer, endStreams, type ClientTimeouts } from './createServer';

function tlsFiles(paths: { cert: string; key: string } | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (!paths) return undefined;
  try {
    return { cert: readFileSync(paths.cert), key: readFileSync(paths.key) };
  } catch (err) {
    throw new SupergraphSourceError(`Cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
}

/** `http://host:port` of a listening server; a wildcard host is reached on loopback. */
function originOf(app: FastifyInstance, protocol: 'http' | 'https'): string {
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('the server is not listening on a TCP port');
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `${protocol}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

function unhealthyIn(registry: SubgraphRegistry): () => Promise<string[]> {
  return async () => (await registry.list()).filter((s) => !s.healthy).map((s) => s.name);
}

export interface StartGatewayOptions {
  config: GatewayConfig;
  /** Absolute path of the supergraph file when `config.supergraph` is set. */
  supergraphPath?: string;
  /** Absolute path of the file registry store. Default: `config.registry.file` from the working directory. */
  registryPath?: string;
  /** Absolute path of `authorization.policyModule`. Default: resolved from the working directory. */
  policyModulePath?: string;
  /** Absolute paths of `listen.tls`. Default: resolved from the working directory. */
  tlsPaths?: { cert: string; key: string };
  /** Absolute paths of `trustedDocuments.manifests`, in their order. Default: resolved from the working directory. */
  manifestPaths?: readonly string[];
  /** Serve this SDL instead of reading a file or composing subgraphs. */
  supergraphSdl?: string;
  /** Run after the built-in plugins, in this order. */
  plugins?: readonly GatewayPlugin[];
  /** Default: JSON lines on stderr at `config.logLevel`. */
  logger?: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** The subgraph transport, also used to fetch SDL and JWKS. Default: keep-alive undici pools, closed by `stop()`. */
  fetch?: Fetch;
}

export interface StartedGateway {
  readonly gateway: Gateway;
  readonly server: FastifyInstance;
  /** Present when the gateway composes from `subgraphs` (and so has a registry). */
  readonly registry: SubgraphRegistry | undefined;
  /** The trusted documents (manifest files and stored manifests), when `trustedDocuments.enabled`. */
  readonly trustedDocuments: TrustedDocumentIndex | undefined;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  readonly port: number;
  /** The operations listener's origin (`operations.listen`), e.g. http://127.0.0.1:9464; undefined when there is none. */
  readonly operationsUrl: string | undefined;
  stop(): Promise<void>;
}

/** What startGateway has started so far: what a failed start or a stop closes. */
interface Running {
  /** The transport startGateway made (none when `options.fetch` was given). */
  ownedFetch?: { close(): Promise<void> };
  builtIns?: BuiltInPlugins;
  server?: FastifyInstance;
  operationsServer?: FastifyInstance;
  store?: RegistryStore;
  registry?: SubgraphRegistry;
  documentStore?: DocumentStore;
  documents?: TrustedDocumentRegistry;
  /** What the trusted-documents plugin checks requests against; `documents` fills it. */
  documentIndex?: TrustedDocumentIndex;
}

/**
 * Loads the supergraph the config names (a file, or the registry seeded with `subgraphs`), then
 * listens. Rejects, and leaves nothing running, if either fails.
 */
export async function startGateway(options: StartGatewayOptions): Promise<StartedGateway> {
  const { config } = options;
  const running: Running = { documentIndex: config.trustedDocuments.enabled ? new TrustedDocumentIndex() : undefined };
  const { gateway, fetch } = await gatewayWithBuiltIns(options, running);
  if (config.limits.maxBodyBytes === 0) gateway.logger.warn('limits.maxBodyBytes is 0: request bodies are not limited');
  try {
    await serveSupergraph(gateway, fetch, options, running);
    await followTrustedDocuments(gateway, options, running);
    await listen(gateway, options, running);
  } catch (err) {
    await running.operationsServer?.close();
    await running.server?.close();
    await closeBehind(gateway, running);
    throw err;
  }
  const server = running.server!;
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host;
  return {
    gateway,
    server,
    registry: running.registry,
    trustedDocuments: running.documents?.index,
    port,
    operationsUrl: running.operationsServer ? originOf(running.operationsServer, 'http') : undefined,
    url: `${config.listen.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`,
    stop: () => stopGracefully(gateway, config.shutdownTimeoutMs, running),
  };
}

/**
 * The gateway, running the built-in plugins and then the user's, all on one clock, logger, transport
 * and metrics. Rejects, leaving nothing open, if a built-in cannot be made (a policy module that does
 * not load).
 */
async function gatewayWithBuiltIns(options: StartGatewayOptions, running: Running): Promise<{ gateway: Gateway; fetch: Fetch }> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const ownedFetch = options.fetch ? undefined : defaultSubgraphFetch(config.limits);
  const fetch = options.fetch ?? ownedFetch!;
  const metrics = new GatewayMetrics();
  const policyModulePath = options.policyModulePath ?? (config.authorization.policyModule ? resolve(config.authorization.policyModule) : undefined);
  try {
    running.builtIns = builtInPlugins(config, { clock, logger, fetch, metrics, policyModulePath, trustedDocuments: running.documentIndex });
  } catch (err) {
    await ownedFetch?.close();
    throw err;
  }
  running.ownedFetch = ownedFetch;
  const gateway = createGateway(config, { clock, logger, fetch, metrics, plugins: [...running.builtIns.plugins, ...(options.plugins ?? [])] });
  return { gateway, fetch };
}

/** Serves the supergraph file the options or config name, or else the registry's composition. */
async function serveSupergraph(gateway: Gateway, fetch: Fetch, options: StartGatewayOptions, running: Running): Promise<void> {
  const { config } = options;
  if (options.supergraphSdl !== undefined) return gateway.useLoadedSupergraph(await gateway.load(options.supergraphSdl));
  if (options.supergraphPath !== undefined || config.supergraph !== undefined) {
    return gateway.useLoadedSupergraph(await gateway.load(await readSupergraphFile(options.supergraphPath ?? resolve(config.supergraph!))));
  }
  running.store = await openRegistryStore(config.registry, options.registryPath ?? resolve(config.registry.file), gateway.logger, gateway.clock);
  running.registry = new SubgraphRegistry({
    store: running.store,
    gateway: supergraphTargetOf(gateway),
    fetch,
    logger: gateway.logger,
    clock: gateway.clock,
    config: config.registry,
  });
  try {
    await running.registry.start(config.subgraphs ?? []);
  } catch (err) {
    if (err instanceof CompositionRefusedError) {
      throw new SupergraphSourceError(`Composition failed:\n${formatCompositionErrors(err.errors.map((e) => ({ subgraphs: [], ...e })))}`);
    }
    if (err instanceof RegistryError) throw new SupergraphSourceError(err.message);
    throw err;
  }
}

/**
 * With `trustedDocuments.enabled`: the manifest files and the manifests stored beside the registry,
 * in one index kept up to date. A manifest file that cannot be read stops the start.
 */
async function followTrustedDocuments(gateway: Gateway, options: StartGatewayOptions, running: Running): Promise<void> {
  const { config } = options;
  if (!config.trustedDocuments.enabled) return;
  running.documentStore = await openDocumentStore(config.registry, options.registryPath ?? resolve(config.registry.file), gateway.logger);
  const paths = options.manifestPaths ?? config.trustedDocuments.manifests.map((m) => resolve(m.file));
  running.documents = new TrustedDocumentRegistry({
    store: running.documentStore,
    index: running.documentIndex!,
    files: config.trustedDocuments.manifests.map((m, i) => ({ path: paths[i], client: m.client, version: m.version })),
    config: config.trustedDocuments,
    maxTokens: config.limits.maxTokens,
    reconcileIntervalMs: config.registry.reconcileIntervalMs,
    logger: gateway.logger,
    clock: gateway.clock,
  });
  await running.documents.start();
}

/** What a registry feeding `gateway` may do with it. */
export function supergraphTargetOf(gateway: Gateway): SupergraphTarget {
  return {
    load: (sdl) => gateway.load(sdl),
    onSupergraph: (loaded) => gateway.useLoadedSupergraph(loaded),
    current: () => gateway.supergraph,
    onCompositionFailure: () => gateway.metrics.compositions.inc({ result: 'failure' }),
  };
}

/** The client listener, and the operations listener when `operations.listen` is set. */
async function listen(gateway: Gateway, options: StartGatewayOptions, running: Running): Promise<void> {
  const { config } = options;
  const timeouts: ClientTimeouts = {
    requestMs: config.limits.requestTimeoutMs,
    headersMs: config.limits.headersTimeoutMs,
    keepAliveMs: config.limits.keepAliveTimeoutMs,
    sendMs: config.limits.sendTimeoutMs,
  };
  const operations = { token: config.operations.token, unhealthySubgraphs: running.registry ? unhealthyIn(running.registry) : undefined };
  if (!config.operations.listen && !config.operations.token) {
    gateway.logger.info('/metrics and /readyz are not served: set operations.listen or operations.token to serve them');
  }
  running.server = createServer(gateway, {
    graphiql: config.graphiql,
    // Fastify has no "unlimited": 0 (off) becomes the largest body it can be given.
    bodyLimit: config.limits.maxBodyBytes || Number.MAX_SAFE_INTEGER,
    batching: config.batching,
    trustProxy: config.listen.trustProxy,
    timeouts,
    maxConnections: config.limits.maxConnections,
    cors: corsOptionsFrom(config),
    csrfPrevention: config.csrfPrevention.enabled ? { requestHeaders: config.csrfPrevention.requestHeaders } : false,
    // Incremental responses under way get the time in-flight requests get to finish.
    streamEndMs: config.shutdownTimeoutMs,
    webSocket: config.subscriptions.enabled
      ? {
          maxPayload: config.limits.maxBodyBytes || 100 * 1024 * 1024,
          connectionInitWaitTimeoutMs: config.subscriptions.connectionInitWaitTimeoutMs,
          keepAliveMs: config.subscriptions.keepAliveMs,
          maxOperations: config.subscriptions.maxOperationsPerConnection,
          corsOrigins: config.cors?.origins,
          trustProxy: config.listen.trustProxy,
        }
      : undefined,
    admin: config.admin.token
      ? {
          token: config.admin.token,
          registry: running.registry,
          budgetStore: running.builtIns?.budgetStore,
          documents: { registry: running.documents, maxManifestBytes: config.trustedDocuments.maxManifestBytes },
        }
      : undefined,
    // Without a listener of their own, the client port serves them, but only behind the token.
    operations: !config.operations.listen && config.operations.token ? operations : undefined,
    tls: tlsFiles(options.tlsPaths ?? (config.listen.tls ? { cert: resolve(config.listen.tls.cert), key: resolve(config.listen.tls.key) } : undefined)),
  });
  await running.server.listen({ host: config.listen.host, port: config.listen.port });
  if (config.operations.listen) {
    running.operationsServer = createOperationsServer(gateway, { ...operations, timeouts });
    await running.operationsServer.listen({ host: config.operations.listen.host, port: config.operations.listen.port });
  }
}

/**
 * Graceful: end every subscription (its client gets `complete`), stop accepting (new requests on
 * open connections get 503), let in-flight requests finish (at most `shutdownTimeoutMs`), then close
 * the subgraph pools and stores.
 */
async function stopGracefully(gateway: Gateway, shutdownTimeoutMs: number, running: Running): Promise<void> {
  // Subscriptions do not end by themselves: each gets `complete` before any connection is closed.
  const streamsEnded = running.server ? endStreams(running.server) : Promise.resolve();
  const closed = running.server?.close();
  // While requests drain, the orchestrator sees the gateway unready: new connections are refused, open ones get 503.
  const opsClosed = running.operationsServer?.close();
  let timer: unknown;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = gateway.clock.setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
  });
  const outcome = await Promise.race([Promise.all([gateway.drain(), streamsEnded]).then(() => 'drained' as const), timedOut]);
  gateway.clock.clearTimer(timer);
  if (outcome === 'timeout') gateway.logger.warn('shutdown timed out with requests in flight', { inFlight: gateway.requestsInFlight });
  // Every request has been answered (or we gave up): idle keep-alive connections need not linger.
  running.server?.server.closeAllConnections();
  running.operationsServer?.server.closeAllConnections();
  await closed;
  await opsClosed;
  await closeBehind(gateway, running);
}

/**
 * What stands behind the listeners: the registry, its store, the gateway (planning thread), the
 * subgraph pools, then the built-ins' budget store and tracing (last: spans of the requests that just
 * finished are still to be exported).
 */
async function closeBehind(gateway: Gateway, running: Running): Promise<void> {
  await running.registry?.stop();
  await running.store?.close();
  await running.documents?.stop();
  await running.documentStore?.close();
  await gateway.close();
  await running.ownedFetch?.close();
  await running.builtIns?.close();
}
