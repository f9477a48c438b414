/**
 * How long the gateway's event loop stalls while a large supergraph is loaded: on the calling thread
 * (`loadSupergraph`, what `Gateway.useSupergraph` does) against the planning thread (`Gateway.load`,
 * what the registry and startup do). Composes `subgraphs` entity subgraphs (default 205), then loads
 * each way three times, with a 1 ms timer measuring the longest gap between its ticks.
 *
 *   npm run build && node dist/bench/loading/run.js [subgraphs]
 */
import { composeSupergraph } from '../../gateway/src/composition/composeSupergraph';
import { loadSupergraph } from '../../gateway/src/planning/loadSupergraph';
import { PlannerWorker } from '../../gateway/src/planning/plannerWorker';

const count = Number(process.argv[2] ?? 205);
const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n';
const subgraphs = Array.from({ length: count }, (_, i) => ({
  name: `s${i}`,
  url: `http://127.0.0.1:1/s${i}`,
  sdl:
    link +
    `type Query { q${i}(id: ID!): T${i} items${i}(first: Int): [T${i}] }
     type T${i} @key(fields: "id") { id: ID! name: String v: Int next: T${(i + 1) % count} other: [T${(i + 7) % count}] }
     type T${(i + 1) % count} @key(fields: "id", resolvable: false) { id: ID! }
     type T${(i + 7) % count} @key(fields: "id", resolvable: false) { id: ID! }`,
}));

/** Runs `work` while a 1 ms timer ticks: how long it took, and the longest the timer waited. */
async function stall(work: () => Promise<unknown>): Promise<{ ms: number; stalledMs: number }> {
  let longest = 0;
  let last = performance.now();
  let ticking = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (ticking) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  ticking = false;
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { ms, stalledMs: longest };
}

async function main(): Promise<void> {
  const composed = composeSupergraph(subgraphs);
  if (!composed.ok) throw new Error(JSON.stringify(composed.errors.slice(0, 3)));
  console.log(`${count} subgraphs, supergraph SDL ${(composed.supergraphSdl.length / 1024).toFixed(0)} KB`);
  const worker = new PlannerWorker();
  // Start the thread and load its modules first: a served gateway has done so at startup.
  await worker.load(composed.supergraphSdl);
  try {
    for (let round = 1; round <= 3; round++) {
      // A distinct SDL each time (a comment), as a registration would bring.
      const sdl = `${composed.supergraphSdl}\n# round ${round}`;
      const here = await stall(async () => loadSupergraph(sdl).subgraphSchema('s1'));
      const there = await stall(async () => (await worker.load(sdl)).subgraphSchema('s1'));
      const line = (name: string, r: { ms: number; stalledMs: number }) => `${name} ${r.ms.toFixed(0)} ms (event loop stalled up to ${r.stalledMs.toFixed(0)} ms)`;
      console.log(`round ${round}: ${line('this thread', here)}; ${line('planning thread', there)}`);
    }
  } finally {
    await worker.close();
  }
}

void main();
