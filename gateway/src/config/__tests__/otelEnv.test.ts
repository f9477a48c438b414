import { ConfigError, applyEnvOverrides, resolveConfig } from '..';

const base = { supergraph: 'supergraph.graphql' };
const tracingFrom = (env: NodeJS.ProcessEnv, raw: Record<string, unknown> = base) => resolveConfig(applyEnvOverrides(raw, env)).tracing;

it('is off by default, with the spec defaults', () => {
  expect(tracingFrom({})).toEqual({
    enabled: false,
    exporter: 'otlp',
    protocol: 'http/protobuf',
    headers: {},
    timeoutMs: 10_000,
    serviceName: 'junction',
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
    samplerRatio: 1,
    acceptIncoming: true,
    batch: { scheduledDelayMs: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMs: 30_000 },
  });
});

it('reads the standard OTEL_* vars', () => {
  const tracing = tracingFrom({
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x-team=edge',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=core',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    OTEL_SERVICE_NAME: 'edge',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.namespace=api',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BSP_MAX_QUEUE_SIZE: '4096',
  });
  expect(tracing).toMatchObject({
    enabled: true,
    exporter: 'otlp',
    protocol: 'http/json',
    endpoint: 'http://collector:4318/v1/traces',
    headers: { 'api-key': 'a b', 'x-team': 'core' },
    timeoutMs: 2500,
    serviceName: 'edge',
    resourceAttributes: { 'deployment.environment': 'prod', 'service.namespace': 'api' },
    sampler: 'parentbased_traceidratio',
    samplerRatio: 0.25,
    batch: { scheduledDelayMs: 100, maxQueueSize: 4096, maxExportBatchSize: 512, exportTimeoutMs: 30_000 },
  });
});

it('takes signal-specific vars over the general ones, and env over the file', () => {
  const tracing = tracingFrom(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom/path',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    },
    { ...base, tracing: { enabled: true, endpoint: 'http://file:4318/v1/traces', headers: { 'x-from-file': '1' }, batch: { maxQueueSize: 10 } } },
  );
  expect(tracing).toMatchObject({ enabled: true, endpoint: 'http://traces:4318/custom/path', protocol: 'http/protobuf', headers: { 'x-from-file': '1' }, batch: { maxQueueSize: 10 } });
});

it('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn tracing off, even when the file turns it on', () => {
  const on = { ...base, tracing: { enabled: true } };
  expect(tracingFrom({ OTEL_SDK_DISABLED: 'true' }, on).enabled).toBe(false);
  expect(tracingFrom({ OTEL_TRACES_EXPORTER: 'none' }, on).enabled).toBe(false);
  expect(tracingFrom({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
  expect(tracingFrom({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ enabled: true, exporter: 'console' });
});

it('refuses what it cannot do, naming the variable', () => {
  const refused = (env: NodeJS.ProcessEnv) => {
    try {
      tracingFrom(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };
  expect(refused({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatch(/OTEL_TRACES_EXPORTER="zipkin": only otlp, console and none/);
  expect(refused({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toMatch(/give one exporter/);
  expect(refused({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL="grpc": only http\/protobuf and http\/json/);
  expect(refused({ OTEL_TRACES_SAMPLER_ARG: 'half' })).toMatch(/OTEL_TRACES_SAMPLER_ARG="half" is not a number/);
  expect(refused({ OTEL_BSP_SCHEDULE_DELAY: '-1' })).toMatch(/OTEL_BSP_SCHEDULE_DELAY="-1" is not a whole number/);
  expect(refused({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" is not key=value/);
  expect(refused({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toMatch(/tracing\.sampler/);
  expect(refused({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/tracing\.endpoint/);
});
