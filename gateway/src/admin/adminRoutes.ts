import type { FastifyInstance, FastifyReply } from 'fastify';
import { GatewayErrorCode } from '../errors/gatewayError';
import type { GatewayConfig } from '../config';
import type { Clock } from '../deps';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import type { BudgetStore } from '../plugins/budgets/budgetStore';
import { budgetForAdmin } from '../plugins/budgets/useBudgets';
import { RegistryError, type SubgraphRegistry } from '../registry/subgraphRegistry';
import { adminStatus, type AdminError, type AdminErrorCode } from './adminErrors';
import { bearerTokenCheck } from './bearerToken';
import { registerDocumentRoutes } from './documentRoutes';
import type { TrustedDocumentRegistry } from '../registry/trustedDocumentRegistry';

/** What the admin API reads of the gateway it serves: nothing else. */
export interface AdminGateway {
  readonly supergraph: LoadedSupergraph | undefined;
  readonly config: Pick<GatewayConfig, 'budgets'>;
  readonly clock: Pick<Clock, 'epochMs'>;
}

export interface AdminOptions {
  /** The bearer token every admin request must carry. */
  token: string;
  /** Subgraph routes, when the gateway composes from a registry. */
  registry?: SubgraphRegistry;
  /** The budgets route, when `budgets.enabled`: the store the budgets plugin uses (`builtInPlugins(...).budgetStore`). */
  budgetStore?: BudgetStore;
  /** Document routes: the trusted-document registry (absent while `trustedDocuments.enabled` is false) and the largest manifest body. */
  documents?: { registry?: TrustedDocumentRegistry; maxManifestBytes?: number };
}

/**
 * The admin API: list, register/update and remove subgraphs, read the supergraph. Every route wants
 * `Authorization: Bearer <token>`; a wrong or missing token gets 401 and changes nothing.
 */
export function registerAdminRoutes(app: FastifyInstance, gateway: AdminGateway, options: AdminOptions): void {
  const authorized = bearerTokenCheck(options.token);
  const { registry } = options;
  const notFromRegistry = (reply: FastifyReply) =>
    fail(reply, GatewayErrorCode.NO_REGISTRY, 'This gateway serves a supergraph file: it has no subgraph registry.');

  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request, reply) => {
        if (!authorized(request)) {
          reply.header('www-authenticate', 'Bearer realm="junction-admin"');
          return fail(reply, GatewayErrorCode.UNAUTHENTICATED, 'A valid admin token is required: Authorization: Bearer <token>.');
        }
      });

      admin.get('/subgraphs', async (_request, reply) =>
        registry ? withRegistryErrors(reply, async () => send(reply, 200, { subgraphs: await registry.list() })) : notFromRegistry(reply),
      );

      admin.post('/subgraphs', async (request, reply) => {
        if (!registry) return notFromRegistry(reply);
        const body = parseJson(request.body);
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          return fail(reply, GatewayErrorCode.BAD_REQUEST, 'Send a JSON object: { "name": "...", "url": "...", "allowBreaking"?: true }.');
        }
        const { name, url, allowBreaking } = body as Record<string, unknown>;
        if (allowBreaking !== undefined && typeof allowBreaking !== 'boolean') {
          return fail(reply, GatewayErrorCode.BAD_REQUEST, '"allowBreaking" must be a boolean.');
        }
        return withRegistryErrors(reply, async () => {
          const result = await registry.register(name as string, url as string, allowBreaking === true);
          return send(reply, result.created ? 201 : 200, { subgraph: result.subgraph, supergraphHash: result.supergraphHash, changes: result.changes });
        });
      });

      admin.delete('/subgraphs/:name', async (request, reply) => {
        if (!registry) return notFromRegistry(reply);
        const { name } = request.params as { name: string };
        return withRegistryErrors(reply, async () => {
          const result = await registry.remove(name);
          return send(reply, 200, { removed: name, supergraphHash: result.supergraphHash, changes: result.changes });
        });
      });

      registerDocumentRoutes(admin, options.documents ?? {});

      admin.get('/budgets/:id', async (request, reply) => {
        const store = options.budgetStore;
        if (!store) return fail(reply, GatewayErrorCode.BUDGETS_OFF, 'Query budgets are not enabled (budgets.enabled).');
        const { id } = request.params as { id: string };
        const bucket = budgetForAdmin(gateway.config.budgets, id);
        try {
          const available = await store.peek(bucket.key, bucket.policy, gateway.clock.epochMs());
          return send(reply, 200, {
            id,
            tier: bucket.tier,
            capacity: bucket.policy.capacity,
            refillPerSecond: bucket.policy.refillPerSecond,
            available: Math.floor(available),
          });
        } catch {
          return fail(reply, GatewayErrorCode.BUDGET_STORE_UNAVAILABLE, 'The budget store cannot be reached.');
        }
      });

      admin.get('/supergraph', async (_request, reply) => {
        const supergraph = gateway.supergraph;
        if (!supergraph) return fail(reply, GatewayErrorCode.SUPERGRAPH_NOT_READY, 'No supergraph is loaded yet.');
        return reply.code(200).type('text/plain; charset=utf-8').header('etag', `"${supergraph.hash}"`).send(supergraph.sdl);
      });
    },
    { prefix: '/admin' },
  );
}

function parseJson(body: unknown): unknown {
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

async function withRegistryErrors(reply: FastifyReply, fn: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryError) {
      const body: { errors: AdminError[]; changes?: unknown } = { errors: err.errors };
      if (err.changes) body.changes = err.changes;
      // Every error of one failure has the same status; the first decides.
      return send(reply, err.errors.length > 0 ? adminStatus(err.errors[0].code) : 500, body);
    }
    throw err;
  }
}

/** An error in the admin envelope, `{ errors: [{ code, message }] }`, with the status of its code. */
function fail(reply: FastifyReply, code: AdminErrorCode, message: string): FastifyReply {
  const errors: AdminError[] = [{ code, message }];
  return send(reply, adminStatus(code), { errors });
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
