import { Agent, type Dispatcher } from 'undici';
import type { GatewayConfig } from '../config';
import { ResponseTooLargeError, type Fetch, type HttpRequest, type HttpResponse } from '../deps';

const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export interface HttpClientOptions {
  /** Connections kept per origin. */
  connections: number;
  /** Time allowed for the response headers, then again for the body. */
  timeoutMs: number;
}

/** The subgraph transport a gateway uses unless given one: keep-alive pools sized and timed by `limits`. */
export function defaultSubgraphFetch(limits: Pick<GatewayConfig['limits'], 'subgraphConnections' | 'subgraphTimeoutMs'>): Fetch & { close(): Promise<void> } {
  return createUndiciFetch({ connections: limits.subgraphConnections, timeoutMs: limits.subgraphTimeoutMs });
}

/**
 * The default subgraph transport: one undici Agent holding a keep-alive pool per subgraph origin, so
 * a fetch reuses a warm connection instead of paying a TCP handshake.
 */
export function createUndiciFetch(options: HttpClientOptions): Fetch & { close(): Promise<void> } {
  const agent = new Agent({
    connections: options.connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    pipelining: 1,
  });
  // URL parsing shows up at thousands of fetches per second; subgraph URLs are few, so memoise.
  const targets = new Map<string, { origin: string; path: string }>();
  const target = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: u.pathname + u.search };
      if (targets.size < 1000) targets.set(url, t);
    }
    return t;
  };
  const send = (url: string, req: HttpRequest) => {
    const { origin, path } = target(url);
    const timeoutMs = req.timeoutMs ?? options.timeoutMs;
    // undici's own timers are coarse below a second; an AbortSignal keeps the limit to the millisecond.
    return agent.request({
      origin,
      path,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  };
  const fetch = async (url: string, req: HttpRequest): Promise<HttpResponse> => {
    let res;
    try {
      res = await send(url, req);
    } catch (err) {
      // A subgraph that restarted leaves pooled sockets that fail on first use: one retry on a fresh one.
      if (!req.idempotent || !STALE_CONNECTION.has((err as { code?: string }).code ?? '')) throw err;
      res = await send(url, req);
    }
    const headers = res.headers as Record<string, string | string[] | undefined>;
    return { status: res.statusCode, headers, text: () => readText(res.body, headers, req.maxResponseBytes) };
  };
  return Object.assign(fetch, { close: () => agent.close() });
}

/**
 * The body as text, read chunk by chunk up to `max` bytes: past it (or when Content-Length already
 * says so) the stream is destroyed, which aborts the request and closes its connection, instead of
 * buffering whatever a subgraph sends.
 */
async function readText(body: Dispatcher.ResponseData['body'], headers: Record<string, string | string[] | undefined>, max: number | undefined): Promise<string> {
  if (max === undefined) return body.text();
  const declared = Number(headers['content-length']);
  if (declared > max) {
    body.destroy();
    throw new ResponseTooLargeError(max);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new ResponseTooLargeError(max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
