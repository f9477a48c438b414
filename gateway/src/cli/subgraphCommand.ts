import { parseArgs } from 'node:util';
import { formatCompositionErrors } from '../composition/formatCompositionErrors';
import type { Fetch } from '../deps';
import { adminTarget, NO_TOKEN, sendAdmin, type ErrorLine, type Json, type Output } from './adminRequest';
import { createUndiciFetch } from '../execution/subgraphHttp';

export const SUBGRAPH_USAGE = `Usage:
  junction subgraph add NAME URL [--allow-breaking]   register a subgraph, or update its URL/SDL
  junction subgraph list                               the registered subgraphs
  junction subgraph remove NAME                        unregister a subgraph
Options:
  --gateway URL    the gateway (default env JUNCTION_GATEWAY_URL, else http://localhost:4000)
  --token TOKEN    the admin token (default env JUNCTION_ADMIN_TOKEN)`;

/**
 * `junction subgraph …`: a client of the admin API. Returns the exit status: 0 done, 1 refused by
 * the gateway (the reasons are printed), 2 bad usage.
 */
export async function subgraphCommand(
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
      options: { gateway: { type: 'string' }, token: { type: 'string' }, 'allow-breaking': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${SUBGRAPH_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    io.out(SUBGRAPH_USAGE);
    return values.help ? 0 : 2;
  }
  const { base, token } = adminTarget(values, env);
  if (!token) {
    io.err(NO_TOKEN);
    return 2;
  }

  let method: 'GET' | 'POST' | 'DELETE' = 'GET';
  const path = '/admin/subgraphs';
  let body: string | undefined;
  if (action === 'add' && rest.length === 2) {
    method = 'POST';
    body = JSON.stringify({ name: rest[0], url: rest[1], allowBreaking: values['allow-breaking'] === true });
  } else if (action === 'remove' && rest.length === 1) {
    return sendAdmin({ fetch, token, io }, 'DELETE', `${base}/admin/subgraphs/${encodeURIComponent(rest[0])}`, undefined, (r) => `removed ${rest[0]}\n${changesText(r.changes)}`, compositionErrorLine);
  } else if (!(action === 'list' && rest.length === 0)) {
    io.err(SUBGRAPH_USAGE);
    return 2;
  }
  return sendAdmin(
    { fetch, token, io },
    method,
    base + path,
    body,
    (r, status) =>
      action === 'list'
        ? listText(r.subgraphs)
        : `${status === 201 ? 'registered' : 'updated'} ${r.subgraph.name} at ${r.subgraph.url} (supergraph ${String(r.supergraphHash).slice(0, 12)})\n${changesText(r.changes)}`,
    compositionErrorLine,
  );
}

/** The admin API's errors carry a code, a message and, for composition errors, the subgraphs. */
const compositionErrorLine: ErrorLine = (e) => formatCompositionErrors([{ code: e.code, message: e.message, subgraphs: e.subgraphs ?? [] }]);

function listText(subgraphs: Json[]): string {
  if (subgraphs.length === 0) return 'no subgraphs registered';
  return subgraphs.map((s) => `${s.name.padEnd(16)} ${s.healthy ? 'healthy  ' : 'UNHEALTHY'} ${s.url}  sdl ${String(s.sdlHash).slice(0, 12)}  updated ${s.updatedAt}`).join('\n');
}

function changesText(changes: Json): string {
  if (!changes) return '';
  const lines: string[] = [];
  for (const kind of ['breaking', 'dangerous', 'safe'] as const) {
    for (const c of changes[kind] ?? []) lines.push(`  ${kind}: ${c.description}`);
  }
  return lines.length ? lines.join('\n') : '  no schema changes';
}
