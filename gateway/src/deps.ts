/**
 * The world the gateway talks to, injected so that tests can control it. Production modules take
 * these from `createGateway(config, deps)` and never reach for `Date.now()` or `console` themselves.
 */

export interface Clock {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
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
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** How the gateway reaches subgraphs (and fetches their SDL). */
export interface Fetch {
  (url: string, request: HttpRequest): Promise<HttpResponse>;
}

export interface Deps {
  clock: Clock;
  logger: Logger;
  /** Defaults to keep-alive undici pools (see execution/subgraphHttp.ts). */
  fetch?: Fetch;
}

export const systemClock: Clock = { now: () => performance.now() };

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number] | 'silent';

/** JSON lines on stderr, filtered by level. */
export function createConsoleLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = level === 'silent' ? LEVELS.length : LEVELS.indexOf(level);
  const log = (lvl: (typeof LEVELS)[number]) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(lvl) < min) return;
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), msg: message, ...fields }) + '\n');
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
