import type { Fetch } from '../deps';

/** Where a command writes: its output, and its errors. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** An admin API answer: the commands read the fields they print. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface AdminCall {
  fetch: Fetch;
  token: string;
  io: Output;
}

/** One admin API error as a line; composition errors print their subgraphs too. */
export type ErrorLine = (error: { code: string; message: string; subgraphs?: string[] }) => string;

/**
 * Sends one request to the admin API and prints its answer (`describe`) or its refusal, one line per
 * error. Returns the command's exit status: 0, or 1 when refused or unreachable.
 */
export async function sendAdmin(
  { fetch, token, io }: AdminCall,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body: string | undefined,
  describe: (response: Json, status: number) => string,
  errorLine: ErrorLine = (e) => `  ${e.code}: ${e.message}`,
): Promise<number> {
  let status: number;
  let text: string;
  try {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, body });
    status = res.status;
    text = await res.text();
  } catch (err) {
    io.err(`Cannot reach the gateway at ${new URL(url).origin}: ${(err as { code?: string }).code ?? (err as Error).message}`);
    return 1;
  }
  let response: Json;
  try {
    response = JSON.parse(text);
  } catch {
    io.err(`The gateway answered HTTP ${status} without JSON${status === 404 ? ' (is its admin API on? it needs JUNCTION_ADMIN_TOKEN)' : ''}.`);
    return 1;
  }
  if (status >= 400) {
    io.err(`Refused (HTTP ${status}):`);
    for (const e of response.errors ?? []) io.err(errorLine(e));
    return 1;
  }
  io.out(describe(response, status).trimEnd());
  return 0;
}

/**
 * Which gateway a command talks to (`--gateway`, env JUNCTION_GATEWAY_URL, else
 * http://localhost:4000; a trailing `/graphql` is dropped) and with which admin token (`--token`,
 * env JUNCTION_ADMIN_TOKEN).
 */
export function adminTarget(values: { gateway?: string; token?: string }, env: NodeJS.ProcessEnv): { base: string; token: string | undefined } {
  const base = (values.gateway ?? env.JUNCTION_GATEWAY_URL ?? 'http://localhost:4000').replace(/\/+$/, '').replace(/\/graphql$/, '');
  return { base, token: values.token ?? env.JUNCTION_ADMIN_TOKEN };
}

export const NO_TOKEN = 'No admin token: set JUNCTION_ADMIN_TOKEN or pass --token.';
