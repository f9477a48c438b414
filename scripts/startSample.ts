/**
 * `npm start`: the four sample subgraphs, each in its own process on ports 4001-4004, then the
 * gateway on http://localhost:4000/graphql (env JUNCTION_SAMPLE_PORT moves them: samplePorts).
 * Ctrl-C (or SIGTERM) stops all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { samplePorts } from './samplePorts';

const root = join(__dirname, '..', '..');
const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let ready = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(`[${name}] ${chunk}`);
      if (!ready && /ready at|listening/.test(String(chunk))) {
        ready = true;
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      if (!ready) reject(new Error(`${name} exited with code ${code} before it was ready`));
      else if (!stopping) {
        console.error(`${name} exited with code ${code}; stopping the sample`);
        stopAll(1);
      }
    });
  });
}

function stopAll(code: number): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r))))).then(() => process.exit(code));
}

async function main(): Promise<void> {
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  const ports = samplePorts();
  await Promise.all(ports.subgraphs.map(({ name, port }) => run(name, [join(root, 'dist', 'subgraphs', 'main.js'), name, String(port)])));
  // The gateway logs JSON to stderr; its readiness line goes to stdout via the CLI wrapper below.
  await run('gateway', [join(root, 'dist', 'scripts', 'serveSample.js')]);
  console.log(`\nJunction is serving http://localhost:${ports.gateway}/graphql (GraphiQL in a browser). Ctrl-C stops everything.`);
}

main().catch((err) => {
  console.error(err.message);
  stopAll(1);
});
