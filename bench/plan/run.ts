/**
 * `npm run bench:plan`: cold plan time per operation, Hive's planner against Apollo's, side by side
 * in one process: every operation of the differential corpus (over the sample supergraph) and, when
 * the federation gateway audit is checked out (bench/audit/README.md), every operation of its
 * suites (over each suite's supergraph, composed here). "Cold": the planner is built and warm, the
 * operation is new to it (neither planner caches plans; Junction caches them above the planner).
 * Each operation is planned BENCH_PLAN_RUNS times (default 5) by each planner, alternating, and the
 * median of its runs is its time; the table gives the median and p99 over operations.
 *
 * Env: BENCH_PLAN_RUNS, AUDIT_DIR (default bench/audit/work/federation-gateway-audit).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import { composeSupergraph } from '../../gateway/src/composition/composeSupergraph';
import { loadSupergraph } from '../../gateway/src/planning/loadSupergraph';
import type { PlannerName } from '../../gateway/src/planning/planner';
import { CORPUS } from '../../test/corpus';

const root = join(__dirname, '..', '..', '..');
const runs = Number(process.env.BENCH_PLAN_RUNS ?? 5);
const auditDir = process.env.AUDIT_DIR ?? join(root, 'bench', 'audit', 'work', 'federation-gateway-audit');
const PLANNERS: PlannerName[] = ['hive', 'apollo'];

interface Workload {
  name: string;
  sdl: string;
  operations: Array<{ document: DocumentNode; text: string; operationName?: string }>;
}

/** The audit's suites: subgraph SDLs and test operations, read out of its TypeScript sources. */
function auditWorkloads(): Workload[] {
  const suites = join(auditDir, 'src', 'test-suites');
  if (!existsSync(suites)) {
    console.log(`(no audit checkout at ${auditDir}: the corpus only; see bench/audit/README.md)`);
    return [];
  }
  const out: Workload[] = [];
  for (const suite of readdirSync(suites).sort()) {
    const dir = join(suites, suite);
    const files = readdirSync(dir).filter((f) => f.endsWith('.subgraph.ts'));
    const subgraphs = files.map((f) => {
      const src = readFileSync(join(dir, f), 'utf8');
      const name = /createSubgraph\("([^"]+)"/.exec(src)?.[1];
      const sdl = /typeDefs:\s*\/\* GraphQL \*\/\s*`([\s\S]*?)`/.exec(src)?.[1];
      return name && sdl ? { name, url: `http://${name}.test/graphql`, sdl } : undefined;
    });
    if (subgraphs.some((s) => !s) || !existsSync(join(dir, 'test.ts'))) continue;
    const composed = composeSupergraph(subgraphs as Array<{ name: string; url: string; sdl: string }>);
    if (!composed.ok) continue;
    const texts = [...readFileSync(join(dir, 'test.ts'), 'utf8').matchAll(/createTest\(\s*\/\* GraphQL \*\/\s*`([\s\S]*?)`/g)].map((m) => m[1]);
    out.push({ name: `audit ${suite}`, sdl: composed.supergraphSdl, operations: texts.map((text) => ({ document: parse(text), text })) });
  }
  return out;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const workloads: Workload[] = [
    {
      name: 'corpus',
      sdl: readFileSync(join(root, 'supergraph.graphql'), 'utf8'),
      operations: CORPUS.map((op) => ({ document: parse(op.query), text: op.query, operationName: op.operationName })),
    },
    ...auditWorkloads(),
  ];
  const times: Record<PlannerName, Record<string, number[]>> = { hive: {}, apollo: {} };
  const failures: Record<PlannerName, number> = { hive: 0, apollo: 0 };
  for (const workload of workloads) {
    const supergraphs = Object.fromEntries(PLANNERS.map((planner) => [planner, loadSupergraph(workload.sdl, { planner })]));
    for (const [i, op] of workload.operations.entries()) {
      for (const planner of PLANNERS) (times[planner][`${workload.name} #${i}`] = []);
      for (let run = 0; run < runs; run++) {
        for (const planner of PLANNERS) {
          // A fresh text each run (a trailing comment): nothing below Junction's plan cache keeps plans, but be sure.
          const text = `${op.text}\n# run ${run}`;
          const started = process.hrtime.bigint();
          try {
            await supergraphs[planner].plan({ document: op.document, text, operationName: op.operationName });
          } catch {
            if (run === 0) failures[planner]++;
            continue;
          }
          times[planner][`${workload.name} #${i}`].push(Number(process.hrtime.bigint() - started) / 1e6);
        }
      }
    }
  }
  const rows = PLANNERS.map((planner) => {
    const perOperation = Object.values(times[planner])
      .filter((xs) => xs.length > 0)
      .map(median)
      .sort((a, b) => a - b);
    return {
      planner,
      operations: perOperation.length,
      'median ms': Number(percentile(perOperation, 50).toFixed(3)),
      'p99 ms': Number(percentile(perOperation, 99).toFixed(3)),
      'max ms': Number(perOperation.at(-1)!.toFixed(3)),
      'total ms': Number(perOperation.reduce((s, x) => s + x, 0).toFixed(1)),
      failed: failures[planner],
    };
  });
  console.log(`cold plan time per operation (median of ${runs} runs each), ${workloads.length} supergraphs:`);
  console.table(rows);
  const [hive, apollo] = rows;
  console.log(`Hive's planner: ${(apollo['median ms'] / hive['median ms']).toFixed(1)}x faster at the median, ${(apollo['p99 ms'] / hive['p99 ms']).toFixed(1)}x at p99`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
