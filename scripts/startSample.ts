/**
 * `npm start`: the four sample subgraphs, each in a process of its own, then the gateway, on the
 * ports of samplePorts (4001-4004 and http://localhost:4000/graphql by default).
 *
 * A subgraph that stops (killed, crashed) leaves the gateway and the other subgraphs running: that
 * is the point of the sample, a newcomer kills one and watches the gateway answer with partial
 * data and errors. It is not restarted; the script prints the command that starts it again. The
 * gateway stopping (nothing left to show), a start that fails, Ctrl-C or SIGTERM stop everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { samplePorts, type SamplePorts } from './samplePorts';

const root = join(__dirname, '..', '..');
const subgraphMain = join(root, 'dist', 'subgraphs', 'main.js');
const gatewayMain = join(root, 'dist', 'scripts', 'serveSample.js');
/** Longer than the gateway's drain (`shutdownTimeoutMs`, 10 s): only a child that hangs is killed. */
const KILL_AFTER_MS = 15_000;

interface Started {
  readonly label: string;
  readonly port: number;
  readonly child: ChildProcess;
}

class Sample {
  /** Every child that has not exited yet. */
  private readonly running = new Set<ChildProcess>();
  private stopping = false;

  constructor(private readonly ports: SamplePorts) {}

  async start(): Promise<void> {
    const subgraphs = await Promise.all(
      this.ports.subgraphs.map(({ name, port }) =>
        this.startChild(`subgraph ${name}`, port, [subgraphMain, name, String(port)], /^subgraph \S+ ready at /, (how) =>
          this.subgraphStopped(name, port, how),
        ),
      ),
    );
    const gateway = await this.startChild('gateway', this.ports.gateway, [gatewayMain], /^gateway listening at /, (how) =>
      this.stop(1, `\nThe gateway stopped (${how}): stopping the subgraphs.`),
    );
    const rows = [gateway, ...subgraphs].map((s) => `  ${s.label.padEnd(18)} port ${s.port}  pid ${s.child.pid}`);
    console.log(
      [
        `\nJunction is serving http://localhost:${this.ports.gateway}/graphql (GraphiQL in a browser). Ctrl-C stops everything.`,
        ...rows,
        'Stop a subgraph (kill <pid>) and the gateway keeps answering, with partial data and errors.',
      ].join('\n'),
    );
  }

  /**
   * Runs `node args`, its stdout prefixed with its label; resolves once it prints its ready line,
   * rejects if it ends before. `onStopped` hears of an end after that, unless the sample is stopping.
   */
  private startChild(label: string, port: number, args: string[], ready: RegExp, onStopped: (how: string) => void): Promise<Started> {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    this.running.add(child);
    return new Promise((resolve, reject) => {
      let isReady = false;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        console.log(`[${label}] ${line}`);
        if (!isReady && ready.test(line)) {
          isReady = true;
          resolve({ label, port, child });
        }
      });
      child.on('error', reject);
      // 'close' rather than 'exit': every line it printed has been passed on by then.
      child.on('close', (code, signal) => {
        this.running.delete(child);
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (this.stopping) return;
        if (isReady) onStopped(how);
        else reject(new Error(`${label} could not start on port ${port} (${how}); its error is above.`));
      });
    });
  }

  private subgraphStopped(name: string, port: number, how: string): void {
    console.error(
      [
        `\nSubgraph ${name} (port ${port}) stopped (${how}). The gateway and the other subgraphs keep running:`,
        `queries that need ${name} get partial data: null where it would have answered, and an error naming it.`,
        `Start it again (in another terminal): node ${relative(process.cwd(), subgraphMain)} ${name} ${port}`,
      ].join('\n'),
    );
  }

  /** SIGTERM to every child; exits with `code` once they have all ended. Asked again, it kills them now. */
  stop(code: number, message: string): void {
    if (this.stopping) {
      for (const child of this.running) child.kill('SIGKILL');
      return;
    }
    this.stopping = true;
    console.error(message);
    const children = [...this.running];
    for (const child of children) child.kill('SIGTERM');
    const hung = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), KILL_AFTER_MS);
    const ended = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : once(c, 'exit')));
    void Promise.all(ended).then(() => {
      clearTimeout(hung);
      process.exit(code);
    });
  }
}

function main(): void {
  let sample: Sample;
  try {
    sample = new Sample(samplePorts());
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  process.on('SIGINT', () => sample.stop(0, '\nStopping the gateway and the subgraphs...'));
  process.on('SIGTERM', () => sample.stop(0, 'Stopping the gateway and the subgraphs...'));
  sample.start().catch((err: Error) => {
    const hint = 'A port in use? Env JUNCTION_SAMPLE_PORT=5000 moves the sample to ports 5000-5004, JUNCTION_SAMPLE_OPERATIONS_PORT its /metrics port (9464).';
    sample.stop(1, `${err.message}\nStopping the sample. ${hint}`);
  });
}

main();
