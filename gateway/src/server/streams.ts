/**
 * Subscriptions over HTTP: a GatewayStream written as Server-Sent Events (the GraphQL over SSE
 * protocol, distinct connections mode: what `graphql-sse`'s client speaks) or as Apollo's multipart
 * subscription protocol (`multipart/mixed;subscriptionSpec="1.0"`: what Apollo Client, Apollo Kotlin
 * and Apollo iOS speak). Both send a heartbeat when nothing else was sent for a while, so proxies
 * keep the connection and clients know it lives.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../deps';
import type { GatewayStream, PayloadStream } from '../pipeline/result';
import type { ExecutionResultBody } from '../plugins/types';

export type StreamFormat = 'sse' | 'multipart' | 'incremental';

/**
 * What streams an Accept header allows: SSE (`text/event-stream`) for both subscriptions and
 * incremental responses; Apollo's multipart subscriptions (`multipart/mixed` with a
 * `subscriptionSpec` parameter); multipart incremental delivery (`multipart/mixed` with
 * `deferSpec`, or no spec). Apollo's clients also list `application/json` for plain answers.
 */
export interface StreamAccept {
  readonly sse: boolean;
  readonly subscriptions: boolean;
  readonly incremental: boolean;
}

export function streamAcceptOf(accept: string | undefined): StreamAccept | undefined {
  if (!accept) return undefined;
  let [sse, subscriptions, incremental] = [false, false, false];
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    const names = params.map((p) => p.replace(/\s/g, '').split('=')[0]);
    if (type === 'text/event-stream') sse = true;
    else if (type === 'multipart/mixed' && names.includes('subscriptionspec')) subscriptions = true;
    else if (type === 'multipart/mixed' && (names.includes('deferspec') || !names.some((n) => n.endsWith('spec')))) incremental = true;
  }
  return sse || subscriptions || incremental ? { sse, subscriptions: sse || subscriptions, incremental: sse || incremental } : undefined;
}

/** The format a stream is written in, for what the client accepts: SSE when it does, else the stream's multipart protocol. */
export function formatFor(accept: StreamAccept, kind: GatewayStream['kind']): StreamFormat {
  if (accept.sse) return 'sse';
  return kind === 'subscription' ? 'multipart' : 'incremental';
}

/**
 * The streaming responses being written, so that shutdown can wait for them: once their
 * subscriptions are ended, each still has its `complete` (or closing boundary) to send before its
 * connection may be closed.
 */
export class OpenStreams {
  private readonly open = new Set<ServerResponse>();

  add(response: ServerResponse): void {
    this.open.add(response);
    response.once('close', () => this.open.delete(response));
  }

  /** Resolves when every response open now has ended, or after `ms`, whichever comes first. */
  async ended(ms: number, clock: Clock): Promise<void> {
    let timer: unknown;
    const timeout = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)));
    const all = Promise.all([...this.open].map((r) => (r.writableFinished ? undefined : new Promise((resolve) => r.once('close', resolve)))));
    await Promise.race([all, timeout]);
    clock.clearTimer(timer);
  }
}

/**
 * The stream format an Accept header asks for, if any: SSE for `text/event-stream`, multipart for
 * `multipart/mixed` with a `subscriptionSpec` parameter (Apollo's clients also list
 * `application/json`, for the queries they send with the same header).
 */
export function streamFormatOf(accept: string | undefined): StreamFormat | undefined {
  if (!accept) return undefined;
  let multipart = false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (type === 'text/event-stream') return 'sse';
    if (type === 'multipart/mixed' && params.some((p) => p.replace(/\s/g, '').startsWith('subscriptionspec='))) multipart = true;
  }
  return multipart ? 'multipart' : undefined;
}

const HEARTBEAT = Symbol('heartbeat');

/**
 * The payloads, with HEARTBEAT wherever `heartbeatMs` passed with none. Ends the stream (the client
 * left) when it is returned.
 */
async function* withHeartbeats(payloads: PayloadStream, heartbeatMs: number, clock: Clock): AsyncGenerator<ExecutionResultBody | typeof HEARTBEAT> {
  let pending = payloads.next();
  try {
    for (;;) {
      let timer: unknown;
      const beat = new Promise<typeof HEARTBEAT>((resolve) => (timer = clock.setTimeout(() => resolve(HEARTBEAT), heartbeatMs)));
      const next = await Promise.race([pending, beat]);
      clock.clearTimer(timer);
      if (next === HEARTBEAT) {
        yield HEARTBEAT;
        continue;
      }
      if (next.done) return;
      yield next.value;
      pending = payloads.next();
    }
  } finally {
    await payloads.return();
  }
}

async function* sseEvents(payloads: PayloadStream, heartbeatMs: number, clock: Clock): AsyncGenerator<string> {
  // A first comment: the client's fetch resolves on the headers, which Node sends with the first byte.
  yield ':\n\n';
  for await (const payload of withHeartbeats(payloads, heartbeatMs, clock)) {
    yield payload === HEARTBEAT ? ':\n\n' : `event: next\ndata: ${JSON.stringify(payload)}\n\n`;
  }
  yield 'event: complete\ndata:\n\n';
}

// Each part is followed at once by the next delimiter: a reader knows a part is whole only when it
// sees one, so an event must not wait for the next event to be read.
const MULTIPART_PART = '\r\ncontent-type: application/json\r\n\r\n';
const DELIMITER = '\r\n--graphql';

async function* multipartParts(payloads: PayloadStream, heartbeatMs: number, clock: Clock): AsyncGenerator<string> {
  // An empty object is Apollo's heartbeat; sent first, it also gets the headers out at once.
  yield DELIMITER + MULTIPART_PART + '{}' + DELIMITER;
  for await (const payload of withHeartbeats(payloads, heartbeatMs, clock)) {
    if (payload === HEARTBEAT) yield MULTIPART_PART + '{}' + DELIMITER;
    // A payload with errors and no data ends the subscription (upstream closed, budget exhausted):
    // the protocol's transport-level error, which clients take as the end, not as an event.
    else if (payload.errors && !('data' in payload)) yield MULTIPART_PART + JSON.stringify({ payload: null, errors: payload.errors }) + DELIMITER;
    else yield MULTIPART_PART + JSON.stringify({ payload }) + DELIMITER;
  }
  yield '--\r\n';
}

/**
 * Writes a stream in `format` (see formatFor). The client going away ends the subscription at once; the gateway
 * dropping a client that stopped reading destroys the connection (nothing can reach it in order).
 */
export function sendStream(reply: FastifyReply, stream: GatewayStream, format: StreamFormat, options: { heartbeatMs: number; clock: Clock; open?: OpenStreams }): FastifyReply {
  const { payloads } = stream;
  options.open?.add(reply.raw);
  reply.raw.once('close', () => void payloads.return());
  stream.onDropped(() => reply.raw.destroy());
  if (stream.headers) reply.headers(stream.headers);
  // Proxies (nginx) buffer responses unless told not to: events would arrive in bursts.
  reply.header('cache-control', 'no-store').header('x-accel-buffering', 'no');
  if (format === 'sse') {
    reply.code(stream.status).header('content-type', 'text/event-stream; charset=utf-8').header('connection', 'keep-alive');
    return reply.send(Readable.from(sseEvents(payloads, options.heartbeatMs, options.clock), { objectMode: false }));
  }
  if (format === 'incremental') {
    reply.code(stream.status).header('content-type', 'multipart/mixed; boundary="-"; deferSpec=20220824');
    return reply.send(Readable.from(incrementalParts(payloads), { objectMode: false }));
  }
  reply.code(stream.status).header('content-type', 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
  return reply.send(Readable.from(multipartParts(payloads, options.heartbeatMs, options.clock), { objectMode: false }));
}

/**
 * Incremental delivery over multipart (deferSpec=20220824, what Apollo Router sends and Apollo's
 * clients read): each payload a part after a `---` boundary, the last boundary closed with `-----`.
 */
async function* incrementalParts(payloads: PayloadStream): AsyncGenerator<string> {
  yield '\r\n---';
  try {
    for await (const payload of payloads) yield `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(payload)}\r\n---`;
  } finally {
    await payloads.return();
  }
  yield '--\r\n';
}

/** A single result where a stream was asked for: SSE clients still read it as one `next` event, then `complete`. */
export function sendSingleAsSse(reply: FastifyReply, status: number, body: ExecutionResultBody, headers: Record<string, string> | undefined): FastifyReply {
  if (headers) reply.headers(headers);
  return reply
    .code(status)
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`event: next\ndata: ${JSON.stringify(body)}\n\nevent: complete\ndata:\n\n`);
}
