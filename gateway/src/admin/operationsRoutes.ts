import type { FastifyInstance } from 'fastify';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { Registry } from 'prom-client';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import { adminStatus, type AdminError } from './adminErrors';
import { bearerTokenCheck } from './bearerToken';

/** What the operations routes read of the gateway: nothing else. */
export interface OperationsGateway {
  readonly supergraph: LoadedSupergraph | undefined;
  readonly metrics: { readonly registry: Registry };
  /** Subgraphs none of whose URLs is usable now (every circuit open). */
  subgraphsWithoutHealthyUrl(): string[];
}

export interface OperationsOptions {
  /** The bearer token `/metrics` and `/readyz` require; none when absent (a listener of their own). */
  token?: string;
  /** Names of subgraphs whose last health check failed (for /readyz); none when absent. */
  unhealthySubgraphs?: () => Promise<string[]>;
}

/**
 * Liveness, for load balancers and orchestrators: public and cheap (no store, no subgraph), so it is
 * served on every listener.
 */
export function registerHealthRoute(app: FastifyInstance, gateway: Pick<OperationsGateway, 'supergraph'>): void {
  app.get('/healthz', async (_request, reply) => {
    const supergraph = gateway.supergraph;
    return supergraph
      ? reply.code(200).send({ status: 'ok', supergraph: supergraph.hash.slice(0, 12) })
      : reply.code(503).send({ status: 'starting' });
  });
}

/**
 * `/metrics` (Prometheus) and `/readyz`. They name subgraphs and their URLs, so they are served only
 * where the operator says: on the operations listener, or behind `operations.token`. A wrong or
 * missing token gets 401, compared in constant time as the admin API does.
 */
export function registerOperationsRoutes(app: FastifyInstance, gateway: OperationsGateway, options: OperationsOptions): void {
  app.register(async (ops) => {
    if (options.token !== undefined) {
      const authorized = bearerTokenCheck(options.token);
      ops.addHook('onRequest', async (request, reply) => {
        if (authorized(request)) return;
        const errors: AdminError[] = [{ code: GatewayErrorCode.UNAUTHENTICATED, message: 'A valid operations token is required: Authorization: Bearer <token>.' }];
        return reply
          .code(adminStatus(GatewayErrorCode.UNAUTHENTICATED))
          .header('www-authenticate', 'Bearer realm="junction-operations"')
          .type('application/json; charset=utf-8')
          .send(JSON.stringify({ errors }));
      });
    }

    ops.get('/metrics', async (_request, reply) => {
      return reply.type(gateway.metrics.registry.contentType).send(await gateway.metrics.registry.metrics());
    });

    // Ready: a supergraph is loaded and every subgraph has a usable URL: its last health check (SDL
    // poll) passed, and not all of its URLs have their circuit open.
    ops.get('/readyz', async (_request, reply) => {
      const supergraph = gateway.supergraph;
      if (!supergraph) return reply.code(503).send({ status: 'no supergraph' });
      const polled = options.unhealthySubgraphs ? await options.unhealthySubgraphs() : [];
      const unhealthy = [...new Set([...polled, ...gateway.subgraphsWithoutHealthyUrl()])].sort();
      return unhealthy.length === 0 ? reply.code(200).send({ status: 'ready' }) : reply.code(503).send({ status: 'unhealthy subgraphs', subgraphs: unhealthy });
    });
  });
}
