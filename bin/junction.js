#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (`npm run build`, which `npm ci` runs through `prepare`).
require('../dist/gateway/src/cli/main.js')
  .main(process.argv.slice(2))
  .catch((err) => {
    process.stderr.write(String((err && err.stack) || err) + '\n');
    process.exit(1);
  });
