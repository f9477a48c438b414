/**
 * The HTTP layer writes a result whether it is one body or a sequence of payloads (the seam that
 * `@defer` and subscriptions will feed): a single result as JSON, exactly as before; a stream as
 * `multipart/mixed`, one JSON part per payload, each written when it is ready.
 */
import Fastify from 'fastify';
import type { GatewayResult } from '../../pipeline/result';
import type { ExecutionResultBody } from '../../plugins/types';
import { respond } from '../graphqlRoutes';

async function answer(result: GatewayResult) {
  const app = Fastify();
  app.get('/', (_request, reply) => respond(reply, 'application/json', result));
  try {
    const res = await app.inject({ method: 'GET', url: '/' });
    return { status: res.statusCode, type: res.headers['content-type'], headers: res.headers, body: res.body };
  } finally {
    await app.close();
  }
}

async function* payloads(...bodies: ExecutionResultBody[]): AsyncGenerator<ExecutionResultBody> {
  for (const body of bodies) {
    await new Promise((resolve) => setImmediate(resolve));
    yield body;
  }
}

it('writes one body as JSON, with its status and headers', async () => {
  const res = await answer({ status: 400, headers: { 'retry-after': '3' }, body: { errors: [{ message: 'no' }] } });
  expect(res).toMatchObject({ status: 400, type: 'application/json; charset=utf-8', body: '{"errors":[{"message":"no"}]}' });
  expect(res.headers['retry-after']).toBe('3');
});

it('writes a sequence of payloads as multipart/mixed parts, closed by the final boundary', async () => {
  const res = await answer({
    status: 200,
    payloads: payloads({ data: { a: 1 }, extensions: { hasNext: true } }, { data: { b: 2 }, extensions: { hasNext: false } }),
  });
  expect(res.status).toBe(200);
  expect(res.type).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
  expect(res.body).toBe(
    '\r\n---' +
      '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"data":{"a":1},"extensions":{"hasNext":true}}\r\n---' +
      '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"data":{"b":2},"extensions":{"hasNext":false}}\r\n-----\r\n',
  );
  // As a client reads it: split at the boundaries, drop the part headers, parse each part.
  const parts = res.body
    .split('\r\n---')
    .slice(1, -1)
    .map((part) => JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4)));
  expect(parts).toEqual([
    { data: { a: 1 }, extensions: { hasNext: true } },
    { data: { b: 2 }, extensions: { hasNext: false } },
  ]);
});

it('writes an empty sequence as the opening and closing boundaries alone', async () => {
  expect((await answer({ status: 200, payloads: payloads() })).body).toBe('\r\n-----\r\n');
});
