import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findLogLine } from './logLines';

const BIN = join(__dirname, '..', '..', 'bin', 'junction.js');

/**
 * Writes `supergraph.graphql` and a `junction.json` serving it on a free loopback port, with
 * `config` on top, into `dir`; returns the config's path (for `--config`).
 */
export function gatewayConfigFile(dir: string, supergraphSdl: string, config: Record<string, unknown> = {}): string {
  writeFileSync(join(dir, 'supergraph.graphql'), supergraphSdl);
  const file = join(dir, 'junction.json');
  writeFileSync(file, JSON.stringify({ supergraph: 'supergraph.graphql', listen: { host: '127.0.0.1', port: 0 }, ...config }));
  return file;
}

/** The `junction` command in a process of its own (the compiled CLI: `npm test` builds first). */
export interface JunctionProcess {
  child: ChildProcess;
  /** What it wrote so far (the first 100 KB of each stream). */
  stdout(): string;
  stderr(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

export interface JunctionProcessOptions {
  /** Added to the environment; JUNCTION_PORT and PORT are cleared unless given here. */
  env?: NodeJS.ProcessEnv;
  /** Options for node itself, before the script (e.g. `--max-old-space-size=256`). */
  nodeOptions?: string[];
}

/** Runs `junction ARGS`. */
export function runJunction(args: string[], options: JunctionProcessOptions = {}): JunctionProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), BIN, ...args], {
    env: { ...process.env, JUNCTION_PORT: '', PORT: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (stream: NodeJS.ReadableStream) => {
    let text = '';
    stream.on('data', (chunk) => {
      if (text.length < 100_000) text += chunk;
    });
    return () => text;
  };
  const stdout = collect(child.stdout!);
  const stderr = collect(child.stderr!);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/** The URL a serving `junction` logs once it listens; throws with its log if it exits or takes over 15 s. */
export async function listeningUrl(junction: JunctionProcess): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const line = findLogLine(junction.stderr(), 'junction listening');
    if (line) return String(line.url);
    if (junction.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  junction.child.kill('SIGKILL');
  throw new Error(`gateway did not start: ${junction.stderr()}`);
}

export interface GatewayProcess extends JunctionProcess {
  url: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** A serving `junction`, ready once it logs its URL. */
export async function startGatewayProcess(args: string[], env: NodeJS.ProcessEnv = {}, nodeOptions?: string[]): Promise<GatewayProcess> {
  const junction = runJunction(args, { env, nodeOptions });
  const url = await listeningUrl(junction);
  return {
    ...junction,
    url,
    stop: () => {
      junction.child.kill('SIGTERM');
      return junction.exited;
    },
  };
}
