/**
 * A subscription's events over HTTP: which Accept headers ask for which stream format, and the
 * bytes each format writes (GraphQL over SSE's distinct connections mode; Apollo's multipart
 * subscription protocol), heartbeats included.
 */
import Fastify from 'fastify';
import type { GatewayStream, PayloadStream } from '../../pipeline/result';
import type { ExecutionResultBody } from '../../plugins/types';
import { FakeClock } from '../../../../test/helpers/fakeClock';
import { sendStream, streamAcceptOf, type StreamFormat } from '../streams';

describe('streamAcceptOf', () => {
  const [SSE, SUBSCRIPTIONS, INCREMENTAL] = [
    { sse: true, subscriptions: true, incremental: true },
    { sse: false, subscriptions: true, incremental: false },
    { sse: false, subscriptions: false, incremental: true },
  ];
  it.each([
    ['text/event-stream', SSE],
    ['application/json, text/event-stream', SSE],
    ['text/event-stream;q=0', undefined],
    ['multipart/mixed;subscriptionSpec="1.0", application/json', SUBSCRIPTIONS],
    ['multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json', SUBSCRIPTIONS],
    ['multipart/mixed; subscriptionSpec = "1.0"', SUBSCRIPTIONS],
    // @defer's incremental delivery, as Apollo Client asks for it for queries.
    ['multipart/mixed;deferSpec=20220824, application/json', INCREMENTAL],
    ['multipart/mixed', INCREMENTAL],
    ['multipart/mixed;deferSpec=20220824, multipart/mixed;subscriptionSpec=1.0', { sse: false, subscriptions: true, incremental: true }],
    ['application/json', undefined],
    ['*/*', undefined],
    [undefined, undefined],
  ])('%s -> %j', (accept, streams) => {
    expect(streamAcceptOf(accept)).toEqual(streams);
  });
});

/** A stream whose payloads the test hands over one by one; `returned` counts the client leaving. */
function controlledStream() {
  const waiting: Array<(r: IteratorResult<ExecutionResultBody, undefined>) => void> = [];
  const queued: Array<IteratorResult<ExecutionResultBody, undefined>> = [];
  let returned = 0;
  const deliver = (r: IteratorResult<ExecutionResultBody, undefined>) => {
    const next = waiting.shift();
    if (next) next(r);
    else queued.push(r);
  };
  const payloads: PayloadStream = {
    next: () => Promise.resolve(queued.shift() ?? new Promise<IteratorResult<ExecutionResultBody, undefined>>((resolve) => waiting.push(resolve))).then((r) => r),
    return: () => {
      returned++;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const stream: GatewayStream = { status: 200, kind: 'subscription', payloads, onDropped: () => {}, finished: new Promise(() => {}) };
  return {
    stream,
    push: (body: ExecutionResultBody) => deliver({ value: body, done: false }),
    end: () => deliver({ value: undefined, done: true }),
    returned: () => returned,
  };
}

async function written(format: StreamFormat, drive: (s: ReturnType<typeof controlledStream>, clock: FakeClock) => Promise<void>) {
  const clock = new FakeClock(0);
  const s = controlledStream();
  const app = Fastify();
  app.get('/', (_request, reply) => sendStream(reply, s.stream, format, { heartbeatMs: 5000, clock }));
  try {
    const response = app.inject({ method: 'GET', url: '/' });
    await drive(s, clock);
    const res = await response;
    return { type: res.headers['content-type'], cache: res.headers['cache-control'], body: res.body, returned: s.returned() };
  } finally {
    await app.close();
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('SSE: each payload a `next` event, a comment as heartbeat when 5 s pass with none, then `complete`', async () => {
  const res = await written('sse', async (s, clock) => {
    s.push({ data: { n: 1 } });
    await tick();
    await clock.advance(5000);
    s.push({ data: { n: 2 }, errors: [{ message: 'partial' }] });
    await tick();
    s.end();
  });
  expect(res.type).toBe('text/event-stream; charset=utf-8');
  expect(res.cache).toBe('no-store');
  expect(res.body).toBe(':\n\n' + 'event: next\ndata: {"data":{"n":1}}\n\n' + ':\n\n' + 'event: next\ndata: {"data":{"n":2},"errors":[{"message":"partial"}]}\n\n' + 'event: complete\ndata:\n\n');
  expect(res.returned).toBeGreaterThanOrEqual(1);
});

it("multipart: Apollo's parts, `{}` as heartbeat, a data-less error payload as the protocol's transport error, then the closing boundary", async () => {
  const res = await written('multipart', async (s, clock) => {
    s.push({ data: { n: 1 } });
    await tick();
    await clock.advance(5000);
    s.push({ errors: [{ message: 'gone', extensions: { code: 'SUBSCRIPTION_UPSTREAM_CLOSED' } }] });
    await tick();
    s.end();
  });
  expect(res.type).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
  // Each part ends with the next delimiter, so a reader has it whole as soon as it is written.
  const part = (json: string) => `\r\ncontent-type: application/json\r\n\r\n${json}\r\n--graphql`;
  expect(res.body).toBe(
    '\r\n--graphql' +
      part('{}') +
      part('{"payload":{"data":{"n":1}}}') +
      part('{}') +
      part('{"payload":null,"errors":[{"message":"gone","extensions":{"code":"SUBSCRIPTION_UPSTREAM_CLOSED"}}]}') +
      '--\r\n',
  );
});

it('incremental (deferSpec=20220824): each payload a part after a `---` boundary, the last boundary closed', async () => {
  const res = await written('incremental', async (s) => {
    s.push({ data: { a: 1 }, hasNext: true });
    await tick();
    s.push({ incremental: [{ data: { b: 2 }, path: ['a'] }], hasNext: false });
    await tick();
    s.end();
  });
  expect(res.type).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
  const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n---`;
  expect(res.body).toBe('\r\n---' + part('{"data":{"a":1},"hasNext":true}') + part('{"incremental":[{"data":{"b":2},"path":["a"]}],"hasNext":false}') + '--\r\n');
});
