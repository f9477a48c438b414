import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config';
import type { Clock, Fetch, Logger } from '../deps';
import { Gateway } from '../gateway';
import type { GatewayPlugin } from '../plugins/types';
import { loadInitialSupergraph } from '../registry/loadInitialSupergraph';
import { createServer } from './createServer';

export interface StartGatewayOptions {
  config: GatewayConfig;
  /** Absolute path of the supergraph file when `config.supergraph` is set. */
  supergraphPath?: string;
  /** Serve this SDL instead of reading a file or composing subgraphs. */
  supergraphSdl?: string;
  plugins?: readonly GatewayPlugin[];
  logger?: Logger;
  clock?: Clock;
  fetch?: Fetch;
}

export interface StartedGateway {
  readonly gateway: Gateway;
  readonly server: FastifyInstance;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Loads the supergraph the config names, then listens. Rejects (and leaves nothing running) if either fails. */
export async function startGateway(options: StartGatewayOptions): Promise<StartedGateway> {
  const { config } = options;
  const gateway = new Gateway(config, options);
  let server: FastifyInstance | undefined;
  try {
    const sdl = options.supergraphSdl ?? (await loadInitialSupergraph(config, options.supergraphPath, gateway.fetch));
    gateway.useSupergraph(sdl);
    server = createServer(gateway, { graphiql: config.graphiql, bodyLimit: config.limits.maxBodyBytes });
    await server.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await server?.close();
    await gateway.close();
    throw err;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host;
  const started = server;
  return {
    gateway,
    server: started,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`,
    async stop() {
      await started.close();
      await gateway.close();
    },
  };
}
