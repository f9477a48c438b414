import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

/**
 * Live memory of a process started with `probe.nodeOptions` and `probe.env` (see memoryProbePreload.cjs):
 * its memory usage after a full garbage collection, which, unlike the resident size, does not swing
 * with when the collector last ran.
 */
export interface MemoryProbe {
  nodeOptions: string[];
  env: NodeJS.ProcessEnv;
  /** Signals the process to collect garbage and waits (at most 10 s) for what it then reports. */
  measure(child: ChildProcess): Promise<NodeJS.MemoryUsage>;
}

/** A probe whose reports go through a file in `dir`. */
export function memoryProbe(dir: string): MemoryProbe {
  const file = join(dir, 'memory.json');
  return {
    nodeOptions: ['--expose-gc', '--require', join(__dirname, 'memoryProbePreload.cjs')],
    env: { JUNCTION_TEST_MEMORY_FILE: file },
    async measure(child) {
      rmSync(file, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; i < 500 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 20));
      if (!existsSync(file)) throw new Error(`no memory report in ${file}: was the process started with the probe's node options?`);
      const usage = JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage;
      rmSync(file, { force: true });
      return usage;
    },
  };
}
