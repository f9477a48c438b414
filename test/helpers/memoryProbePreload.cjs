'use strict';
// Preloaded into a gateway process a test measures (`node --expose-gc --require` this file): on
// SIGUSR2 it collects all garbage, then writes process.memoryUsage() as JSON to the file named by
// JUNCTION_TEST_MEMORY_FILE (written aside, then renamed, so a reader never sees half of it).
// What is left after a full collection is live memory: a leak, not garbage awaiting collection.
const { renameSync, writeFileSync } = require('node:fs');

const file = process.env.JUNCTION_TEST_MEMORY_FILE;
if (!file) throw new Error('memoryProbePreload.cjs: set JUNCTION_TEST_MEMORY_FILE');
if (typeof global.gc !== 'function') throw new Error('memoryProbePreload.cjs: run node with --expose-gc');

process.on('SIGUSR2', () => {
  global.gc();
  // Once more after a turn of the loop: what the first collection's finalizers and weak callbacks let go.
  setImmediate(() => {
    global.gc();
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
});
