import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findLogLine } from './logLines';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** What it logged so far (the first 100 KB). */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `junction` in a process of its own (the compiled CLI), ready once it logs its URL. */
export async function startGatewayProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'junction.js'), ...args], {
    env: { ...process.env, JUNCTION_PORT: '', PORT: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => {
    if (stderr.length < 100_000) stderr += c;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  for (let i = 0; i < 300; i++) {
    const line = findLogLine(stderr, 'junction listening');
    if (line) {
      return {
        child,
        url: String(line.url),
        stderr: () => stderr,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not start: ${stderr}`);
}
