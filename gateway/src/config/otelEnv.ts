import { ConfigError } from './configError';

/**
 * The standard OpenTelemetry env vars, read into the `tracing` config section so that one place
 * (the config) says what the tracer does. They override the config file, as the other env overrides
 * do. Unset vars leave the file's values alone.
 */
export function tracingFromOtelEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const tracing: Record<string, unknown> = {};
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  if (exporters.length > 0) {
    if (exporters.includes('none')) {
      tracing.enabled = false;
    } else {
      const unsupported = exporters.filter((e) => e !== 'otlp' && e !== 'console');
      if (unsupported.length > 0) throw new ConfigError('tracing.exporter', `env OTEL_TRACES_EXPORTER="${env.OTEL_TRACES_EXPORTER}": only otlp, console and none are supported`);
      if (exporters.length > 1) throw new ConfigError('tracing.exporter', `env OTEL_TRACES_EXPORTER="${env.OTEL_TRACES_EXPORTER}": give one exporter`);
      tracing.enabled = true;
      tracing.exporter = exporters[0];
    }
  }
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') tracing.enabled = false;

  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVar]?.trim();
  if (protocol) {
    if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
      throw new ConfigError('tracing.protocol', `env ${protocolVar}="${protocol}": only http/protobuf and http/json are supported`);
    }
    tracing.protocol = protocol;
  }

  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The spec: the signal-specific URL is used as is, the base one gets the signal's path appended.
  if (tracesEndpoint) tracing.endpoint = tracesEndpoint;
  else if (baseEndpoint) tracing.endpoint = baseEndpoint.replace(/\/+$/, '') + '/v1/traces';

  const headers = { ...keyValues('OTEL_EXPORTER_OTLP_HEADERS', env), ...keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env) };
  if (Object.keys(headers).length > 0) tracing.headers = headers;

  const timeout = integer('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', env) ?? integer('OTEL_EXPORTER_OTLP_TIMEOUT', env);
  if (timeout !== undefined) tracing.timeoutMs = timeout;

  if (env.OTEL_SERVICE_NAME?.trim()) tracing.serviceName = env.OTEL_SERVICE_NAME.trim();
  const resource = keyValues('OTEL_RESOURCE_ATTRIBUTES', env);
  if (Object.keys(resource).length > 0) tracing.resourceAttributes = resource;

  if (env.OTEL_TRACES_SAMPLER?.trim()) tracing.sampler = env.OTEL_TRACES_SAMPLER.trim().toLowerCase();
  if (env.OTEL_TRACES_SAMPLER_ARG?.trim()) {
    const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
    if (!Number.isFinite(ratio)) throw new ConfigError('tracing.samplerRatio', `env OTEL_TRACES_SAMPLER_ARG="${env.OTEL_TRACES_SAMPLER_ARG}" is not a number`);
    tracing.samplerRatio = ratio;
  }

  const batch: Record<string, number> = {};
  for (const [name, key] of [
    ['OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMs'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize'],
    ['OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMs'],
  ] as const) {
    const value = integer(name, env);
    if (value !== undefined) batch[key] = value;
  }
  if (Object.keys(batch).length > 0) tracing.batch = batch;
  return tracing;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

function integer(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError('tracing', `env ${name}="${text}" is not a whole number`);
  return value;
}

/** `key=value,key2=value2`, values percent-encoded (the W3C baggage format the spec uses). */
function keyValues(name: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const text = env[name]?.trim();
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) throw new ConfigError('tracing', `env ${name}: "${pair.trim()}" is not key=value`);
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError('tracing', `env ${name}: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}
