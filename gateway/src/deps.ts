import pino from 'pino';

/**
 * The world the gateway talks to, injected so that tests can control it. Production modules take
 * these from `createGateway(config, deps)` (`GatewayDeps` in gateway.ts) and never reach for
 * `Date.now()` or `console` themselves.
 */

export interface Clock {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  /** Milliseconds since the Unix epoch: wall time, for token expiry. */
  epochMs(): number;
  /** Calls `fn` once after `ms`. The timer does not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Calls `fn` every `ms`. The timer does not keep the process alive. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Stops a timer from either; an unknown or finished one is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** A timer, opaque to its user. */
export type TimerHandle = unknown;

/** Resolves after `ms` of `clock`'s time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text(): Promise<string>;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  /**
   * The request may be sent twice (a query, an SDL fetch; never a mutation). The transport then
   * retries once when a kept-alive connection turns out to have been closed by the other side.
   */
  idempotent?: boolean;
  /** Time allowed for this request (headers, then body), instead of the transport's default. */
  timeoutMs?: number;
  /**
   * Largest response body to read, in bytes; unset: no limit. Past it, `text()` stops reading, drops
   * the connection and rejects with a ResponseTooLargeError, so a huge answer costs no more memory
   * than the limit.
   */
  maxResponseBytes?: number;
}

/** A response body larger than `HttpRequest.maxResponseBytes`: thrown by `HttpResponse.text()`. */
export class ResponseTooLargeError extends Error {
  readonly code = 'RESPONSE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`response body larger than ${limit} bytes`);
  }
}

/** How the gateway reaches subgraphs (and fetches their SDL). */
export interface Fetch {
  (url: string, request: HttpRequest): Promise<HttpResponse>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** JSON lines on stderr through pino: `{"level":"info","time":"…",…fields,"msg":"…"}`. */
export function createLogger(level: LogLevel = 'info', destination: pino.DestinationStream = pino.destination(2)): Logger {
  const log = pino(
    {
      level,
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
