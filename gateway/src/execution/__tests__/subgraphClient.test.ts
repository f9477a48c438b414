/**
 * The subgraph client's retries, on a fake clock and a fake transport (no sockets, no real waiting):
 * a failed idempotent request is retried after the backoff, doubling each time; a mutation is not.
 */
import { resolveConfig } from '../../config';
import { silentLogger, type Fetch, type HttpRequest } from '../../deps';
import { FakeClock } from '../../../../test/helpers/fakeClock';
import { SubgraphClient } from '../subgraphClient';

/** A transport that refuses the first `failures` requests (connection refused), then answers. */
function flaky(failures: number, clock: FakeClock) {
  const sentAt: number[] = [];
  const fetch: Fetch = async (_url: string, _request: HttpRequest) => {
    sentAt.push(clock.now());
    if (sentAt.length <= failures) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return { status: 200, headers: { 'content-type': 'application/json' }, text: async () => '{"data":{"a":1}}' };
  };
  return { fetch, sentAt };
}

function client(fetch: Fetch, clock: FakeClock, resilience: { retries: number; retryBackoffMs: number }) {
  const config = resolveConfig({ supergraph: 'x', resilience });
  return new SubgraphClient(fetch, silentLogger, false, { clock, routing: {}, resilience: config.resilience, maxResponseBytes: 0 });
}

describe('retries an idempotent request after the backoff, doubling', () => {
  it.each([
    { failures: 0, retries: 2, backoff: 100, sentAt: [0], data: { a: 1 } },
    { failures: 1, retries: 2, backoff: 100, sentAt: [0, 100], data: { a: 1 } },
    { failures: 2, retries: 2, backoff: 100, sentAt: [0, 100, 300], data: { a: 1 } },
    { failures: 3, retries: 2, backoff: 100, sentAt: [0, 100, 300], data: undefined },
    { failures: 2, retries: 3, backoff: 0, sentAt: [0, 0, 0], data: { a: 1 } },
  ])('$failures failures, $retries retries, backoff $backoff ms: sent at $sentAt', async ({ failures, retries, backoff, sentAt, data }) => {
    const clock = new FakeClock();
    const transport = flaky(failures, clock);
    const answer = client(transport.fetch, clock, { retries, retryBackoffMs: backoff })
      .send('a', 'http://a/graphql', '{"query":"{a}"}', true, { requestId: 'r1' })
      .then((r) => r.data, (e: Error) => e);
    await clock.advance(10_000);
    expect(transport.sentAt).toEqual(sentAt);
    const outcome = await answer;
    if (data) expect(outcome).toEqual(data);
    else expect(outcome).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'a' } });
  });

  it('waits on the clock: nothing is sent again until the backoff has passed', async () => {
    const clock = new FakeClock();
    const transport = flaky(1, clock);
    const answer = client(transport.fetch, clock, { retries: 2, retryBackoffMs: 1000 }).send('a', 'http://a/graphql', '{}', true, { requestId: 'r1' });
    await clock.advance(999);
    expect(transport.sentAt).toEqual([0]);
    await clock.advance(1);
    expect(transport.sentAt).toEqual([0, 1000]);
    expect((await answer).data).toEqual({ a: 1 });
  });

  it('never retries a mutation', async () => {
    const clock = new FakeClock();
    const transport = flaky(1, clock);
    const answer = client(transport.fetch, clock, { retries: 2, retryBackoffMs: 100 }).send('a', 'http://a/graphql', '{}', false, { requestId: 'r1' }).catch((e: Error) => e);
    await clock.advance(10_000);
    expect(transport.sentAt).toEqual([0]);
    expect(await answer).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
  });
});
