import type { FastifyInstance, FastifyReply } from 'fastify';
import { GatewayErrorCode } from '../errors/gatewayError';
import { DocumentsError, type TrustedDocumentRegistry } from '../registry/trustedDocumentRegistry';
import { adminStatus, type AdminErrorCode } from './adminErrors';

export interface DocumentRoutesOptions {
  /** The trusted-document registry; absent while `trustedDocuments.enabled` is false. */
  registry?: TrustedDocumentRegistry;
  /** Largest manifest body (`trustedDocuments.maxManifestBytes`). Default: the server's body limit. */
  maxManifestBytes?: number;
}

type Names = { clientName: string; clientVersion: string };

/**
 * `/admin/documents`: trusted-document manifests by client name and version. Registered inside
 * the admin scope, behind its token. A manifest is refused whole (nothing stored changes) with the
 * line and reason of its first problem.
 */
export function registerDocumentRoutes(admin: FastifyInstance, options: DocumentRoutesOptions): void {
  const { registry } = options;
  const off = (reply: FastifyReply) => fail(reply, GatewayErrorCode.TRUSTED_DOCUMENTS_OFF, 'Trusted documents are not enabled (trustedDocuments.enabled).');

  admin.get('/documents', async (_request, reply) => (registry ? send(reply, 200, registry.list()) : off(reply)));

  admin.get('/documents/:clientName/:clientVersion', async (request, reply) => {
    if (!registry) return off(reply);
    const { clientName, clientVersion } = request.params as Names;
    return withDocumentErrors(reply, async () => {
      const m = registry.get(clientName, clientVersion);
      return send(reply, 200, { client: m.client, version: m.version, format: m.format, updatedAt: m.updatedAt, documents: m.documents });
    });
  });

  admin.put(
    '/documents/:clientName/:clientVersion',
    {
      // Manifests are bigger than operations: their own limit, not limits.maxBodyBytes.
      ...(options.maxManifestBytes === undefined ? {} : { bodyLimit: options.maxManifestBytes }),
      errorHandler: (error, _request, reply) => {
        if (error.statusCode === 413) {
          return fail(reply, GatewayErrorCode.MANIFEST_TOO_LARGE, `The manifest is larger than trustedDocuments.maxManifestBytes (${options.maxManifestBytes} bytes); nothing was changed.`);
        }
        throw error;
      },
    },
    async (request, reply) => {
      if (!registry) return off(reply);
      const { clientName, clientVersion } = request.params as Names;
      if (typeof request.body !== 'string') return fail(reply, GatewayErrorCode.BAD_REQUEST, 'Send the manifest as JSON (content-type: application/json).');
      const text = request.body;
      return withDocumentErrors(reply, async () => {
        const result = await registry.push(clientName, clientVersion, text);
        return send(reply, result.created ? 201 : 200, { manifest: result.manifest });
      });
    },
  );

  admin.delete('/documents/:clientName/:clientVersion', async (request, reply) => {
    if (!registry) return off(reply);
    const { clientName, clientVersion } = request.params as Names;
    return withDocumentErrors(reply, async () => {
      await registry.remove(clientName, clientVersion);
      return send(reply, 200, { removed: { client: clientName, version: clientVersion } });
    });
  });
}

async function withDocumentErrors(reply: FastifyReply, fn: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DocumentsError) return fail(reply, err.code, err.message, err.detail);
    throw err;
  }
}

/** The admin envelope, `{ errors: [{ code, message, line?, reason? }] }`, with the status of its code. */
function fail(reply: FastifyReply, code: AdminErrorCode, message: string, detail: { line?: number; reason?: string } = {}): FastifyReply {
  return send(reply, adminStatus(code), { errors: [{ code, message, ...detail }] });
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
