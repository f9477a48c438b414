/**
 * Issue #6: OpenTelemetry tracing. Spans go to a local OTLP/HTTP receiver; the subgraphs record the
 * `traceparent` they receive.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayConfigFile, startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { findLogLine } from './helpers/logLines';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './helpers/otlpReceiver';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** Products, then reviews, then accounts and inventory: four subgraph fetches in three waves. */
const QUERY = 'query TopReviews { topProducts(first: 2) { name inStock reviews { body author { name } } } }';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/;

let subgraphs: SampleSubgraphs;
let receiver: OtlpReceiver;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await subgraphs?.stop();
  await receiver?.stop();
});
beforeEach(() => {
  subgraphs.requests.length = 0;
  receiver.requests.length = 0;
});

/**
 * A gateway process traced by the standard env vars, exporting OTLP/JSON to the receiver with a
 * short batch delay. Its exit (SIGTERM) flushes what is left.
 */
const OPERATIONS_TOKEN = 'tracing-test-operations-token';

async function tracedGateway(config: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
  const dir = tempDir('junction-tracing-');
  return startGatewayProcess(['--config', gatewayConfigFile(dir, subgraphs.supergraphSdl, config)], {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '20',
    OTEL_SERVICE_NAME: 'junction-test',
    ...env,
  });
}

/** Runs `requests` against a traced gateway, then stops it (exit 0, spans flushed). */
async function traced(requests: (url: string) => Promise<void>, config?: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<GatewayProcess> {
  const gateway = await tracedGateway(config, env);
  let exitCode: number | null = null;
  try {
    await requests(gateway.url);
  } finally {
    exitCode = await gateway.stop();
  }
  expect(exitCode).toBe(0);
  return gateway;
}

function inTrace(spans: ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId);
}

describe('a traced request', () => {
  it('has a server span with parse, validate, plan and execute children, and a client span per subgraph fetch whose context the subgraph received', async () => {
    await traced(async (url) => {
      const res = await postGraphQL(url, { query: QUERY }, { 'apollographql-client-name': 'web-shop', 'apollographql-client-version': '3.1.0' });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    });
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);

    const roots = receiver.spans().filter((s) => s.name === 'graphql.request');
    expect(roots).toHaveLength(1);
    const [root] = roots;
    expect(root).toMatchObject({
      kind: SERVER,
      parentSpanId: '',
      status: { code: 0 },
      attributes: {
        'graphql.operation.name': 'TopReviews',
        'graphql.operation.type': 'query',
        'http.response.status_code': 200,
        'http.request.method': 'POST',
        'junction.client.name': 'web-shop',
        'junction.client.version': '3.1.0',
      },
      resource: { 'service.name': 'junction-test' },
    });
    const spans = inTrace(receiver.spans(), root.traceId);
    const children = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
    expect(children(root).map((s) => s.name)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.plan', 'graphql.execute']));
    expect(children(root)).toHaveLength(4);
    const plan = spans.find((s) => s.name === 'graphql.plan')!;
    expect(plan.attributes['junction.cache_hit']).toBe(false);

    // Each subgraph request the subgraphs saw carries the context of one subgraph.fetch span.
    const execute = spans.find((s) => s.name === 'graphql.execute')!;
    const fetches = children(execute);
    expect(fetches.map((s) => s.name).every((n) => n === 'subgraph.fetch')).toBe(true);
    expect(fetches.map((s) => s.attributes['subgraph.name']).sort()).toEqual(['accounts', 'inventory', 'products', 'reviews']);
    expect(fetches.every((s) => s.kind === CLIENT && s.attributes['http.response.status_code'] === 200)).toBe(true);
    expect(subgraphs.requests).toHaveLength(4);
    for (const request of subgraphs.requests) {
      const match = TRACEPARENT.exec(request.headers.traceparent ?? '');
      expect(match).not.toBeNull();
      const [, traceId, parentId, sampled] = match!;
      expect(traceId).toBe(root.traceId);
      expect(sampled).toBe('1');
      expect(fetches.find((s) => s.spanId === parentId)?.attributes['subgraph.name']).toBe(request.subgraph);
    }
  });

  it('continues the caller’s trace from its traceparent, or starts its own when told not to trust it', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const traceparent = `00-${callerTrace}-${callerSpan}-01`;
    for (const acceptIncoming of [true, false]) {
      receiver.requests.length = 0;
      subgraphs.requests.length = 0;
      await traced(
        async (url) => {
          await postGraphQL(url, { query: '{ topProducts(first: 1) { upc } }' }, { traceparent });
        },
        { tracing: { acceptIncoming } },
      );
      const root = receiver.spans().find((s) => s.name === 'graphql.request')!;
      if (acceptIncoming) {
        expect([root.traceId, root.parentSpanId]).toEqual([callerTrace, callerSpan]);
      } else {
        expect(root.traceId).not.toBe(callerTrace);
        expect(root.parentSpanId).toBe('');
      }
      expect(subgraphs.requests[0].headers.traceparent).toMatch(new RegExp(`^00-${root.traceId}-`));
    }
  });

  it('follows the caller’s decision not to sample: nothing exported, and the subgraph is told so', async () => {
    await traced(async (url) => {
      await postGraphQL(url, { query: '{ topProducts(first: 1) { upc } }' }, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    });
    expect(receiver.spans()).toEqual([]);
    expect(subgraphs.requests[0].headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
  });

  it('marks what failed: an invalid query ends in the validate span, a down subgraph in its fetch span', async () => {
    await traced(
      async (url) => {
        expect((await postGraphQL(url, { query: '{ nope }' })).status).toBe(400);
        expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json' }, body: '{"query": ' })).status).toBe(400);
        const res = await postGraphQL(url, { query: QUERY });
        expect(res.body.errors?.[0].extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
      },
      { routing: { inventory: { urls: ['http://127.0.0.1:9/graphql'] } }, resilience: { retries: 0 } },
    );
    const spans = receiver.spans();
    const roots = spans.filter((s) => s.name === 'graphql.request');
    expect(roots).toHaveLength(3);
    // Refused before it was a GraphQL request, and traced all the same.
    const badJson = roots.find((s) => s.attributes['junction.request_id'] === 'bad-json')!;
    expect(badJson.attributes).toMatchObject({ 'http.response.status_code': 400, 'junction.error_codes': ['BAD_REQUEST'] });
    expect(inTrace(spans, badJson.traceId).map((s) => s.name)).toEqual(['graphql.request']);
    const invalid = roots.find((s) => s.attributes['http.response.status_code'] === 400 && s !== badJson)!;
    const partial = roots.find((s) => s.attributes['http.response.status_code'] === 200)!;

    expect(invalid.attributes).toMatchObject({ 'http.response.status_code': 400, 'junction.error_codes': ['GRAPHQL_VALIDATION_FAILED'] });
    const invalidSpans = inTrace(spans, invalid.traceId);
    expect(invalidSpans.find((s) => s.name === 'graphql.validate')).toMatchObject({ status: { code: ERROR }, attributes: { 'junction.error_code': 'GRAPHQL_VALIDATION_FAILED' } });
    expect(invalidSpans.map((s) => s.name).sort()).toEqual(['graphql.parse', 'graphql.request', 'graphql.validate']);

    expect(partial.attributes).toMatchObject({ 'http.response.status_code': 200, 'junction.error_codes': ['SUBGRAPH_UNAVAILABLE'] });
    const fetches = inTrace(spans, partial.traceId).filter((s) => s.name === 'subgraph.fetch');
    expect(fetches.find((s) => s.attributes['subgraph.name'] === 'inventory')?.status.code).toBe(ERROR);
    expect(fetches.filter((s) => s.attributes['subgraph.name'] !== 'inventory').every((s) => s.status.code !== ERROR)).toBe(true);
  });

  it('does not stop identical in-flight queries from sharing a subgraph request', async () => {
    await traced(async (url) => {
      const results = await Promise.all(Array.from({ length: 8 }, () => postGraphQL(url, { query: QUERY })));
      expect(results.every((r) => r.status === 200 && !r.body.errors)).toBe(true);
    });
    // Eight requests, eight traces, eight products fetch spans: fewer subgraph requests than that.
    const fetches = receiver.spans().filter((s) => s.name === 'subgraph.fetch' && s.attributes['subgraph.name'] === 'products');
    const sent = subgraphs.requests.filter((r) => r.subgraph === 'products');
    expect(fetches).toHaveLength(8);
    expect(sent.length).toBeLessThan(8);
    // The spans that shared another's request say so; the subgraph saw the others' contexts.
    const shared = fetches.filter((s) => s.attributes['junction.deduplicated'] === true);
    expect(shared).toHaveLength(8 - sent.length);
    const parents = sent.map((r) => TRACEPARENT.exec(r.headers.traceparent ?? '')![2]).sort();
    expect(parents).toEqual(fetches.filter((s) => !shared.includes(s)).map((s) => s.spanId).sort());
  });
});

it('is off by default: no tracer, no traceparent sent to subgraphs', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl);
  try {
    await postGraphQL(junction.url, { query: QUERY }, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  } finally {
    await junction.stop();
  }
  expect(subgraphs.requests.length).toBeGreaterThan(0);
  expect(subgraphs.requests.some((r) => r.headers.traceparent !== undefined)).toBe(false);
  expect(receiver.requests).toEqual([]);
});

it('a gateway process configured only by OTEL_* env vars exports OTLP/protobuf, and flushes on SIGTERM', async () => {
  const file = join(tempDir('junction-tracing-'), 'supergraph.graphql');
  writeFileSync(file, subgraphs.supergraphSdl);
  const gateway = await startGatewayProcess(['--supergraph', file, '--port', '0', '--host', '127.0.0.1'], {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'edge-gateway',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret%21',
  });
  let exitCode: number | null;
  try {
    expect((await postGraphQL(gateway.url, { query: QUERY })).status).toBe(200);
    // The default batch delay is 5 s: nothing is exported yet, the shutdown must flush it.
    expect(receiver.requests).toEqual([]);
  } finally {
    exitCode = await gateway.stop();
  }
  expect(exitCode).toBe(0);
  expect(receiver.requests.length).toBeGreaterThan(0);
  const [request] = receiver.requests;
  expect(request).toMatchObject({ path: '/v1/traces', contentType: 'application/x-protobuf' });
  expect(request.headers['x-collector-key']).toBe('s3cret!');
  const body = Buffer.concat(receiver.requests.map((r) => r.body));
  // Protobuf carries strings as they are and ids as raw bytes: find the names and the subgraphs' trace id.
  for (const text of ['edge-gateway', 'graphql.request', 'graphql.parse', 'graphql.validate', 'graphql.plan', 'graphql.execute', 'subgraph.fetch', 'TopReviews']) {
    expect(body.includes(Buffer.from(text))).toBe(true);
  }
  const traceIds = new Set(subgraphs.requests.map((r) => TRACEPARENT.exec(r.headers.traceparent ?? '')?.[1]));
  expect(traceIds.size).toBe(1);
  const [traceId] = traceIds;
  expect(body.includes(Buffer.from(traceId!, 'hex'))).toBe(true);
  for (const r of subgraphs.requests) expect(body.includes(Buffer.from(TRACEPARENT.exec(r.headers.traceparent!)![2], 'hex'))).toBe(true);
});

it('an unreachable collector is logged and counted, and requests are served as usual', async () => {
  const gateway = await traced(
    async (url) => {
      expect((await postGraphQL(url, { query: QUERY })).body.errors).toBeUndefined();
      const metrics = () => fetch(url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${OPERATIONS_TOKEN}` } });
      const failures = async () => /^junction_trace_export_failures_total (\d+)$/m.exec(await (await metrics()).text())?.[1];
      for (let i = 0; i < 100 && (await failures()) === '0'; i++) await new Promise((r) => setTimeout(r, 30));
      expect(Number(await failures())).toBeGreaterThan(0);
    },
    {},
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '500', JUNCTION_OPERATIONS_TOKEN: OPERATIONS_TOKEN },
  );
  expect(findLogLine(gateway.stderr(), 'trace export failed')).toMatchObject({ spans: expect.any(Number) });
});

describe('a traced subscription', () => {
  it('is one trace as long as the subscription: a graphql.event span per event with its fetches under it, and a subgraph.subscribe span for the upstream stream', async () => {
    await traced(async (url) => {
      const before = subgraphs.subscriptions.length;
      const res = await fetch(url, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'subscription Watch { reviewAdded(upc: "21") { body author { name } } }' }),
      });
      for (let i = 0; i < 500 && subgraphs.subscriptions.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      for (const body of ['traced one', 'traced two']) {
        await postGraphQL(url, { query: 'mutation ($input: ReviewInput!) { submitReview(input: $input) { id } }', variables: { input: { upc: '21', authorId: '1', body, stars: 2 } } });
      }
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while ((text.match(/event: next/g) ?? []).length < 2) text += (await reader.read()).value ?? '';
      // Stopping the gateway (SIGTERM) ends the subscription, and so its trace.
    });
    const spans = receiver.spans();
    const root = spans.find((s) => s.name === 'graphql.request' && s.attributes['graphql.operation.name'] === 'Watch')!;
    expect(root.attributes['graphql.operation.type']).toBe('subscription');
    const children = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
    const events = children(root).filter((s) => s.name === 'graphql.event');
    expect(events).toHaveLength(2);
    for (const event of events) expect(children(event).map((s) => [s.name, s.attributes['subgraph.name']])).toEqual([['subgraph.fetch', 'accounts']]);
    expect(children(root).filter((s) => s.name === 'subgraph.subscribe').map((s) => [s.kind, s.attributes['subgraph.name']])).toEqual([[CLIENT, 'reviews']]);
    expect(children(root).map((s) => s.name)).not.toContain('graphql.execute');
  });
});

describe('a traced @defer query', () => {
  it('has its execute span last until the last part, with a graphql.part span per part in it', async () => {
    await traced(async (url) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { accept: 'multipart/mixed;deferSpec=20220824', 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query Deferred { topProducts(first: 2) { name ... @defer { reviews { body } } ... @defer { inStock } } }' }),
      });
      expect((await res.text()).match(/"hasNext"/g)).toHaveLength(3);
    });
    const spans = receiver.spans();
    const root = spans.find((s) => s.name === 'graphql.request' && s.attributes['graphql.operation.name'] === 'Deferred')!;
    const children = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
    const execute = children(root).find((s) => s.name === 'graphql.execute')!;
    expect(children(execute).filter((s) => s.name === 'graphql.part')).toHaveLength(3);
    expect(children(execute).filter((s) => s.name === 'subgraph.fetch').map((s) => s.attributes['subgraph.name']).sort()).toEqual(['inventory', 'products', 'reviews']);
  });
});
