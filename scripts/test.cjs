#!/usr/bin/env node
/**
 * `npm test`: Jest twice. First every test file but `*.serial.test.ts`, two at a time; then the
 * serial ones alone: they measure the gateway's latency (its event loop), which the suite's own load
 * on the cores would otherwise be part of. Arguments go to both runs; `--outputFile=F` (with
 * `--json`) gets both runs' results in one report, as one Jest run would write it. Exits non-zero if
 * either run failed; the second runs whatever the first did.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, rmSync, writeFileSync } = require('node:fs');

const args = process.argv.slice(2);
const outputAt = args.findIndex((a) => a.startsWith('--outputFile'));
const output = outputAt < 0 ? undefined : args[outputAt].includes('=') ? args[outputAt].split('=')[1] : args[outputAt + 1];
const jest = require.resolve('jest/bin/jest');

function run(phase, serial) {
  const phaseArgs = output === undefined ? args : args.filter((a, i) => i !== outputAt && !(i === outputAt + 1 && !args[outputAt].includes('='))).concat(`--outputFile=${output}.${phase}`);
  const { status } = spawnSync(process.execPath, [jest, '--passWithNoTests', ...phaseArgs], { stdio: 'inherit', env: { ...process.env, JUNCTION_TEST_SERIAL: serial ? '1' : '0' } });
  return status ?? 1;
}

const statuses = [run('parallel', false), run('serial', true)];
if (output !== undefined) {
  const reports = ['parallel', 'serial'].map((phase) => `${output}.${phase}`).filter(existsSync).map((file) => {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    rmSync(file);
    return report;
  });
  const merged = { ...reports[0], testResults: reports.flatMap((r) => r.testResults), success: reports.length === 2 && reports.every((r) => r.success) };
  for (const key of Object.keys(merged)) if (key.startsWith('num')) merged[key] = reports.reduce((sum, r) => sum + (r[key] ?? 0), 0);
  writeFileSync(output, JSON.stringify(merged));
}
process.exit(statuses.find((s) => s !== 0) ?? 0);
