import { extname, join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry module is `name` (no extension) in `directory`. Built, the
 * entry is the .js next to its caller; run from the TypeScript sources (the tests, through ts-jest),
 * the thread compiles the .ts as it loads it, with the same compiler.
 */
export function startWorkerThread(directory: string, name: string, resourceLimits?: ResourceLimits): Worker {
  const entry = join(directory, `${name}${extname(__filename)}`);
  if (entry.endsWith('.js')) return new Worker(entry, { resourceLimits });
  return new Worker(COMPILE_TS_THEN_RUN, { eval: true, workerData: { entry }, resourceLimits });
}

/**
 * Compiling in the thread needs TypeScript itself, which takes longer to load than the thread's own
 * modules, and tests start many threads: the compiled text is kept on disk by a hash of the source
 * and the compiler's version, and TypeScript is loaded only when a source is new.
 */
const COMPILE_TS_THEN_RUN = `
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { threadId, workerData } = require('node:worker_threads');
const load = createRequire(workerData.entry);
const version = JSON.parse(readFileSync(load.resolve('typescript/package.json'), 'utf8')).version;
const cacheDir = join(tmpdir(), 'junction-worker-ts-' + version);
mkdirSync(cacheDir, { recursive: true });
let ts;
require.extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  const cached = join(cacheDir, createHash('sha256').update(JSON.stringify([filename, source])).digest('hex') + '.js');
  let outputText;
  try {
    outputText = readFileSync(cached, 'utf8');
  } catch {
    ts ??= load('typescript');
    outputText = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    // Written aside then renamed: threads compiling the same file at once never read half of it.
    const partial = cached + '.' + process.pid + '.' + threadId;
    writeFileSync(partial, outputText);
    renameSync(partial, cached);
  }
  module._compile(outputText, filename);
};
require(workerData.entry);
`;
