import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Fetch } from '../deps';
import { adminTarget, NO_TOKEN, sendAdmin, type Json, type Output } from './adminRequest';
import { createUndiciFetch } from '../execution/subgraphHttp';

export const DOCUMENTS_USAGE = `Usage:
  junction documents push FILE --client NAME --version V   store a trusted-document manifest for a client version
  junction documents list                                  the stored manifests (and the gateway's manifest files)
  junction documents remove --client NAME --version V      remove a client version's manifest
FILE is Apollo's persisted query manifest, Relay's persisted_queries.json or GraphQL Code
Generator's persisted documents.
Options:
  --gateway URL    the gateway (default env JUNCTION_GATEWAY_URL, else http://localhost:4000)
  --token TOKEN    the admin token (default env JUNCTION_ADMIN_TOKEN)`;

/**
 * `junction documents …`: a client of the admin API's `/admin/documents`. Returns the exit status:
 * 0 done, 1 refused by the gateway (its reasons are printed) or a file that cannot be read, 2 bad usage.
 */
export async function documentsCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: Output,
  fetch: Fetch = createUndiciFetch({ connections: 1, timeoutMs: 60_000 }),
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { gateway: { type: 'string' }, token: { type: 'string' }, client: { type: 'string' }, version: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${DOCUMENTS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    io.out(DOCUMENTS_USAGE);
    return values.help ? 0 : 2;
  }
  const { base, token } = adminTarget(values, env);
  const named = values.client !== undefined && values.version !== undefined;
  const usable = (action === 'push' && rest.length === 1 && named) || (action === 'remove' && rest.length === 0 && named) || (action === 'list' && rest.length === 0);
  if (!usable) {
    io.err(DOCUMENTS_USAGE);
    return 2;
  }
  if (!token) {
    io.err(NO_TOKEN);
    return 2;
  }
  const request = { fetch, token, io };
  if (action === 'list') return sendAdmin(request, 'GET', `${base}/admin/documents`, undefined, listText);
  const path = `${base}/admin/documents/${encodeURIComponent(values.client!)}/${encodeURIComponent(values.version!)}`;
  if (action === 'remove') return sendAdmin(request, 'DELETE', path, undefined, () => `removed the manifest of ${values.client} ${values.version}`);
  let manifest: string;
  try {
    manifest = await readFile(rest[0], 'utf8');
  } catch (err) {
    io.err(`Cannot read ${rest[0]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }
  return sendAdmin(request, 'PUT', path, manifest, (r, status) => `${status === 201 ? 'stored' : 'replaced'} ${r.manifest.documents} documents for ${r.manifest.client} ${r.manifest.version}`);
}

function listText(r: Json): string {
  const lines = (r.manifests as Json[]).map((m) => `${String(m.client).padEnd(20)} ${String(m.version).padEnd(12)} ${String(m.documents).padStart(6)} documents  updated ${m.updatedAt}`);
  for (const f of r.files as Json[]) lines.push(`${String(f.client ?? '(every client)').padEnd(20)} ${String(f.version ?? '(every)').padEnd(12)} ${String(f.documents).padStart(6)} documents  file ${f.file}`);
  return lines.length > 0 ? lines.join('\n') : 'no trusted-document manifests';
}
