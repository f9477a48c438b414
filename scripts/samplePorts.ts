/**
 * The ports `npm start` uses, read by both halves of it (startSample, serveSample) so they agree.
 * Env `JUNCTION_SAMPLE_PORT` (default 4000) is the gateway's port; the four sample subgraphs take
 * the four after it (4001-4004 by default). Env `JUNCTION_SAMPLE_OPERATIONS_PORT` moves the
 * operations listener (the sample config's 127.0.0.1:9464; 0 picks a free one). With them a
 * second sample, or a test, runs next to the first.
 */
import { SAMPLE_SUBGRAPHS } from '../subgraphs';

export const DEFAULT_SAMPLE_PORT = 4000;

export interface SamplePorts {
  readonly gateway: number;
  /** Undefined: the sample config's. */
  readonly operations: number | undefined;
  /** In the order of SAMPLE_SUBGRAPHS, at the same offsets from the gateway's port. */
  readonly subgraphs: ReadonlyArray<{ readonly name: string; readonly port: number }>;
}

export function samplePorts(env: NodeJS.ProcessEnv = process.env): SamplePorts {
  const highest = Math.max(...SAMPLE_SUBGRAPHS.map((s) => s.port)) - DEFAULT_SAMPLE_PORT;
  const gateway = portFrom(env, 'JUNCTION_SAMPLE_PORT', 1, 65535 - highest) ?? DEFAULT_SAMPLE_PORT;
  return {
    gateway,
    operations: portFrom(env, 'JUNCTION_SAMPLE_OPERATIONS_PORT', 0, 65535),
    subgraphs: SAMPLE_SUBGRAPHS.map(({ definition, port }) => ({ name: definition.name, port: port - DEFAULT_SAMPLE_PORT + gateway })),
  };
}

function portFrom(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < min || port > max) throw new Error(`env ${name}="${text}": expected a port from ${min} to ${max}`);
  return port;
}
