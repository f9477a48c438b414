/**
 * `npm run bench`: Junction against @apollo/gateway on the same four sample subgraphs (each its own
 * process), with The Guild's gateways-benchmark query, 50 connections, autocannon in this process
 * alternating between the gateways round by round so both see the same machine state.
 *
 * Env: BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50),
 * BENCH_WARMUP (s, default 3), BENCH_TRACING=1 (also Junction with tracing on), BENCH_BASELINE (the
 * directory of another built checkout, e.g. the commit before a change: its Junction joins the run).
 *
 * Besides requests/s, each gateway's CPU time per request (user + system, from /proc): unlike
 * requests/s, it does not depend on how busy the subgraphs keep the machine.
 *
 * "Junction (APQ hash only)" is the Junction process of the "Junction" row, sent the query as an
 * automatic persisted query: registered once, then only its SHA-256 in `extensions`. "Junction
 * (trusted document by id)" is a Junction that runs only trusted documents (`allowArbitrary: false`),
 * sent the query's id in a manifest file (`documentId`). "Junction" plans with the default planner
 * (Hive's here), "Junction (Apollo planner)" with `planner: apollo`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { composeSupergraph } from '../../gateway/src/composition/composeSupergraph';
import { SAMPLE_SUBGRAPHS } from '../../subgraphs';
import { BENCHMARK_QUERY } from '../../test/corpus';

const root = join(__dirname, '..', '..', '..');
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
/** Also measure Junction with tracing on, exporting every span to a local OTLP sink. */
const withTracing = process.env.BENCH_TRACING === '1';
const baseline = process.env.BENCH_BASELINE;
const children: ChildProcess[] = [];

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) {
        // Ready: keep draining the pipes, stop keeping what they say.
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** CPU time a process has used so far (user + system, all threads), in ms. */
function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: Linux reports /proc times in 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** Peak resident set size of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

interface Target {
  name: string;
  url: string;
  pid: number;
  /** The request body sent. */
  body: string;
  runs: autocannon.Result[];
  /** CPU milliseconds per request, one per run. */
  cpuPerRequest: number[];
}

const FULL_TEXT = JSON.stringify({ query: BENCHMARK_QUERY, operationName: 'TestQuery' });
const APQ_EXTENSIONS = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(BENCHMARK_QUERY).digest('hex') } };
const HASH_ONLY = JSON.stringify({ operationName: 'TestQuery', extensions: APQ_EXTENSIONS });
const DOCUMENT_ID = 'benchmark-test-query';
const BY_DOCUMENT_ID = JSON.stringify({ documentId: DOCUMENT_ID, operationName: 'TestQuery' });

function load(url: string, seconds: number, body: string): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function post(url: string, body = JSON.stringify({ query: BENCHMARK_QUERY })): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return res.json();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const subgraphs = await Promise.all(
    SAMPLE_SUBGRAPHS.map(async ({ definition }) => {
      const { match } = await start([join(root, 'dist', 'subgraphs', 'main.js'), definition.name, '0'], /ready at (\S+)/);
      return { name: definition.name, url: match[1], sdl: print(definition.typeDefs) };
    }),
  );
  const outcome = composeSupergraph(subgraphs);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-'));
  const supergraphFile = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphFile, outcome.supergraphSdl);
  // Both Junctions log warnings only (@apollo/gateway writes no line per request either), so they
  // get fixed free ports and are ready when /healthz answers.
  const bin = join(root, 'bin', 'junction.js');
  const startJunctionProcess = async (name: string, extra: string, junctionBin = bin) => {
    const port = await freePort();
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `supergraph: ${supergraphFile}\nlisten: { host: 127.0.0.1, port: ${port} }\nlogLevel: warn\n${extra}`);
    const child = spawn(process.execPath, [junctionBin, '--config', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    const url = `http://127.0.0.1:${port}/graphql`;
    for (let i = 0; i < 200; i++) {
      if (await fetch(url.replace('/graphql', '/healthz')).then((r) => r.ok, () => false)) return { child, match: [url, url] as unknown as RegExpExecArray };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${name} did not start`);
  };
  const junction = await startJunctionProcess('junction', '');
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ [DOCUMENT_ID]: BENCHMARK_QUERY }));
  const junctionTrusted = await startJunctionProcess('junction-trusted', `trustedDocuments: { enabled: true, allowArbitrary: false, manifests: [{ file: ${manifest} }] }\n`);
  const junctionApollo = await startJunctionProcess('junction-apollo', 'planner: apollo\n');
  const junctionNoDedup = await startJunctionProcess('junction-nodedup', 'deduplicateSubgraphRequests: false\n');
  const junctionTraced = withTracing ? await startJunctionProcess('junction-traced', `tracing: { enabled: true, endpoint: '${await otlpSink()}/v1/traces' }\n`) : undefined;
  const junctionBaseline = baseline ? await startJunctionProcess('junction-baseline', '', join(baseline, 'bin', 'junction.js')) : undefined;
  const apollo = await start([join(root, 'dist', 'bench', 'e2e', 'apolloGateway.js'), supergraphFile, '0'], /listening (\S+)/);

  const target = (name: string, process: { child: ChildProcess; match: RegExpExecArray }, body = FULL_TEXT): Target => ({ name, url: process.match[1], pid: process.child.pid!, body, runs: [], cpuPerRequest: [] });
  const targets: Target[] = [
    target('@apollo/gateway', apollo),
    target('Junction', junction),
    target('Junction (Apollo planner)', junctionApollo),
    target('Junction (APQ hash only)', junction, HASH_ONLY),
    target('Junction (trusted document by id)', junctionTrusted, BY_DOCUMENT_ID),
    target('Junction (no in-flight dedup)', junctionNoDedup),
  ];
  if (junctionTraced) targets.push(target('Junction (tracing on)', junctionTraced));
  if (junctionBaseline) targets.push(target('Junction (baseline)', junctionBaseline));
  // Registered once, as a client's first request after a miss would.
  await post(junction.match[1], JSON.stringify({ query: BENCHMARK_QUERY, operationName: 'TestQuery', extensions: APQ_EXTENSIONS }));

  // Same answer from every gateway, or the comparison means nothing.
  const reference = JSON.stringify(await post(targets[0].url));
  for (const t of targets.slice(1)) {
    if (JSON.stringify(await post(t.url, t.body)) !== reference) throw new Error(`${t.name} answers the benchmark query differently from @apollo/gateway`);
  }
  console.log(`response: ${reference.length} bytes, identical across gateways`);
  console.log(`load: ${connections} connections, ${rounds} rounds x ${duration}s per gateway (after ${warmup}s warm-up), alternating\n`);

  for (const t of targets) await load(t.url, warmup, t.body);
  for (let round = 1; round <= rounds; round++) {
    for (const t of targets) {
      const cpuBefore = cpuMs(t.pid);
      const r = await load(t.url, duration, t.body);
      t.runs.push(r);
      t.cpuPerRequest.push((cpuMs(t.pid) - cpuBefore) / r.requests.total);
      console.log(
        `round ${round} ${t.name.padEnd(30)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  CPU ${t.cpuPerRequest.at(-1)!.toFixed(3)} ms/req  non-2xx ${r.non2xx}  errors ${r.errors}`,
      );
    }
  }

  console.log('\nmedian of rounds:');
  const rows = targets.map((t) => ({
    gateway: t.name,
    'req/s': median(t.runs.map((r) => r.requests.average)),
    'p50 ms': median(t.runs.map((r) => r.latency.p50)),
    'p99 ms': median(t.runs.map((r) => r.latency.p99)),
    'CPU ms/req': Number(median(t.cpuPerRequest).toFixed(3)),
    'peak RSS MiB': Number(peakRssMiB(t.pid).toFixed(1)),
    failures: t.runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
  }));
  console.table(rows);
  const base = rows[0]['req/s'];
  for (const row of rows.slice(1)) {
    console.log(
      `${row.gateway}: ${(row['req/s'] / base).toFixed(2)}x the requests/s of @apollo/gateway, p99 ${row['p99 ms']} ms vs ${rows[0]['p99 ms']} ms, ${(row['CPU ms/req'] / rows[0]['CPU ms/req']).toFixed(2)}x its CPU per request`,
    );
  }
  // The same Junction, or one configuration against another, side by side.
  const row = (name: string) => rows.find((r) => r.gateway === name)!;
  const compare = (label: string, ours: (typeof rows)[number], theirs: (typeof rows)[number]) =>
    console.log(
      `${label}: ${(ours['req/s'] / theirs['req/s']).toFixed(2)}x the requests/s, p99 ${ours['p99 ms']} ms vs ${theirs['p99 ms']} ms, ${(ours['CPU ms/req'] / theirs['CPU ms/req']).toFixed(2)}x the CPU per request`,
    );
  compare('APQ hash only vs full text, same Junction', row('Junction (APQ hash only)'), row('Junction'));
  compare("default planner (Hive's) vs Apollo's", row('Junction'), row('Junction (Apollo planner)'));
  compare('trusted document by id (allowArbitrary: false) vs full text', row('Junction (trusted document by id)'), row('Junction'));
}

/** An OTLP/HTTP endpoint that accepts and drops every export, as a collector would accept them. */
async function otlpSink(): Promise<string> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Gateways first (started last), then the subgraphs, so no gateway logs a subgraph going away. */
async function stopAll(): Promise<void> {
  for (const c of [...children].reverse()) {
    c.removeAllListeners('exit');
    if (c.exitCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
