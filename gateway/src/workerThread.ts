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

const COMPILE_TS_THEN_RUN = `
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { workerData } = require('node:worker_threads');
const ts = createRequire(workerData.entry)('typescript');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(workerData.entry);
`;
