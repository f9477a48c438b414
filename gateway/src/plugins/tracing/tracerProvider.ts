import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { GatewayConfig } from '../../config';
import type { Logger } from '../../deps';

/** A gateway's own tracer: never registered globally, so two gateways in one process stay apart. */
export interface GatewayTracing {
  readonly tracer: Tracer;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left, then stops. */
  shutdown(): Promise<void>;
}

export function createTracing(config: GatewayConfig['tracing'], deps: { logger: Logger; onExportFailure?: () => void }): GatewayTracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: sampler(config.sampler, config.samplerRatio),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new ReportedExporter(exporter(config), deps.logger, deps.onExportFailure),
        scheduledDelayMillis: config.batch.scheduledDelayMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxExportBatchSize,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
      }),
    ],
  });
  deps.logger.info('tracing on', { exporter: config.exporter, protocol: config.protocol, endpoint: config.endpoint, sampler: config.sampler });
  return {
    tracer: provider.getTracer('junction'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function exporter(config: GatewayConfig['tracing']): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  // Options left undefined fall back to the exporter's own OTEL_* env reading and defaults.
  const options = { url: config.endpoint, headers: config.headers, timeoutMillis: config.timeoutMs };
  return config.protocol === 'http/json' ? new OTLPJsonTraceExporter(options) : new OTLPProtobufTraceExporter(options);
}

function sampler(name: GatewayConfig['tracing']['sampler'], ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The SDK reports export failures only to its global diagnostic logger, off by default: an
 * unreachable collector would go unnoticed. Say it in the gateway's log and metrics instead.
 */
class ReportedExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
    private readonly onFailure: (() => void) | undefined,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.logger.warn('trace export failed', { spans: spans.length, reason: result.error?.message });
        this.onFailure?.();
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
