/**
 * Issue #10, weakness "slow clients", the greedy side: a client that opens connections by the
 * thousand, or asks for a large answer and never reads it. Against a gateway process with small
 * limits: the connection over `limits.maxConnections` is closed on arrival while open ones keep
 * being served, and an answer unread for `limits.sendTimeoutMs` has its socket closed and its
 * memory freed. What the gateway holds is read from /proc, not guessed from the client side: a
 * client that does not read cannot see its connection close.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { composeSupergraph } from '../gateway/src/composition/composeSupergraph';
import { gatewayConfigFile, startGatewayProcess, type GatewayProcess } from './helpers/gatewayProcess';
import { findLogLine } from './helpers/logLines';
import { tempDir } from './helpers/registryEnvironment';

const MiB = 1024 * 1024;
const OPERATIONS_TOKEN = 'operations-token-0123456789';

async function startGateway(config: Record<string, unknown>, supergraphSdl: string): Promise<GatewayProcess> {
  const dir = tempDir('junction-greedy-');
  return startGatewayProcess(['--config', gatewayConfigFile(dir, supergraphSdl, config)]);
}

/** A raw keep-alive connection that sends one request at a time and reads its whole answer. */
class Connection {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  private received = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('close', () => this.waiting?.());
  }

  /** Status and body of the answer to a GET, or undefined when the connection closed first. */
  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | undefined> {
    this.received = Buffer.alloc(0);
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${lines}\r\n`);
    for (;;) {
      const text = this.received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1]);
      if (end >= 0 && this.received.length >= end + 4 + length) {
        return { status: Number(text.slice(9, 12)), body: this.received.subarray(end + 4, end + 4 + length).toString('utf8') };
      }
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

/** Resident memory of a process, bytes. */
function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** Whether process `pid` has an open TCP socket whose peer port is `port` (on loopback). */
function holdsSocketTo(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed while we looked
    }
  }
  // Rows: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode…; addresses are HEX_IP:HEX_PORT.
  return ['tcp', 'tcp6'].some((table) =>
    readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .map((row) => row.trim().split(/\s+/))
      .some((cols) => cols.length > 9 && parseInt(cols[2].split(':')[1], 16) === port && inodes.has(cols[9])),
  );
}

async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

describe('limits.maxConnections 20', () => {
  const MAX = 20;
  let gateway: GatewayProcess;
  let port: number;
  const open: Connection[] = [];
  beforeAll(async () => {
    const supergraphSdl = readFileSync(join(__dirname, '..', 'supergraph.graphql'), 'utf8');
    gateway = await startGateway({ limits: { maxConnections: MAX }, operations: { token: OPERATIONS_TOKEN } }, supergraphSdl);
    port = Number(new URL(gateway.url).port);
  });
  afterAll(async () => {
    for (const c of open) c.socket.destroy();
    await gateway?.stop();
  });

  it('closes the connection over the limit on arrival; the open ones keep being served, and a freed place is taken again', async () => {
    // Twenty keep-alive connections, each known to be accepted: it has been answered once.
    for (let i = 0; i < MAX; i++) {
      const c = new Connection(port);
      open.push(c);
      expect((await c.get('/healthz'))?.status).toBe(200);
    }

    const extra = new Connection(port);
    const answer = await extra.get('/healthz');
    expect(answer).toBeUndefined();
    expect(await waitFor(() => extra.socket.destroyed || extra.socket.readableEnded, 10_000)).toBe(true);

    // The ones already open are served as before, /metrics counts the refusal, the log says why.
    expect((await open[0].get('/healthz'))?.status).toBe(200);
    const metrics = await open[1].get('/metrics', { authorization: `Bearer ${OPERATIONS_TOKEN}` });
    expect(metrics?.body).toMatch(/^junction_connections_dropped_total [1-9]/m);
    expect(findLogLine(gateway.stderr(), 'connections refused: limits.maxConnections reached')).toMatchObject({ level: 'warn', maxConnections: MAX });

    // A limit, not a ban: once a connection closes, a new one is served.
    const leaving = open.pop()!;
    leaving.socket.destroy();
    await leaving.closed;
    let again: { status: number } | undefined;
    // The gateway learns of the close asynchronously: a connection tried just before is still refused.
    for (let i = 0; i < 50 && !again; i++) {
      const c = new Connection(port);
      again = await c.get('/healthz');
      if (again) open.push(c);
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(again?.status).toBe(200);
  });
});

describe('limits.sendTimeoutMs 2000: answers read slowly or not at all', () => {
  const SEND_TIMEOUT_MS = 2000;
  // Above glibc's largest mmap threshold (32 MiB), so each unsent answer is one mapping, returned to
  // the system as soon as it is freed: the drop in RSS is the freed answers, not the garbage collector.
  const ANSWER = 40 * MiB;
  const READERS = 3;
  let gateway: GatewayProcess;
  let port: number;
  let subgraph: Server;
  beforeAll(async () => {
    // A subgraph with one large field, answered at once: the answer the client asks for is ANSWER bytes.
    const body = Buffer.from(JSON.stringify({ data: { blob: 'x'.repeat(ANSWER) } }));
    subgraph = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
    });
    await new Promise<void>((r) => subgraph.listen(0, '127.0.0.1', r));
    const composed = composeSupergraph([{ name: 'big', url: `http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, sdl: 'type Query { blob: String! }' }]);
    if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
    gateway = await startGateway({ limits: { sendTimeoutMs: SEND_TIMEOUT_MS, maxSubgraphResponseBytes: 2 * ANSWER } }, composed.supergraphSdl);
    port = Number(new URL(gateway.url).port);
  });
  afterAll(async () => {
    await gateway?.stop();
    subgraph?.closeAllConnections();
    await new Promise((r) => subgraph?.close(r));
  });

  it('closes the socket of a client that never reads its large answer, and frees the answer', async () => {
    const pid = gateway.child.pid!;
    const query = JSON.stringify({ query: '{ blob }' });
    const request = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${query.length}\r\n\r\n${query}`;
    const readers = Array.from({ length: READERS }, () => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.pause();
      socket.write(request);
      return socket;
    });
    await Promise.all(readers.map((s) => new Promise((r) => s.once('connect', r))));
    const clientPorts = readers.map((s) => s.localPort!);
    const held = () => clientPorts.filter((p) => holdsSocketTo(pid, p)).length;

    // While every reader is held, RSS is sampled; the last sample before the first close is what the
    // unsent answers weigh on top of the rest.
    let whileHeld = 0;
    expect(await waitFor(() => held() === READERS, 10_000)).toBe(true);
    const closedInTime = await waitFor(() => {
      const rss = rssBytes(pid);
      const stillHeld = held();
      if (stillHeld === READERS) whileHeld = rss;
      return stillHeld === 0;
    }, 20_000, 100);
    expect(closedInTime).toBe(true);
    // Freeing the answers returned at least half of what they weighed, at once.
    expect(await waitFor(() => whileHeld - rssBytes(pid) >= (READERS * ANSWER) / 2, 5_000)).toBe(true);
    if (process.env.JUNCTION_TEST_REPORT) console.log(`unread answers: rss ${Math.round(whileHeld / MiB)} MiB while held -> ${Math.round(rssBytes(pid) / MiB)} MiB once closed`);

    // The client sees a cut answer: what the kernel buffers held, then the end of the connection.
    const received = await Promise.all(
      readers.map(
        (s) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            const giveUp = setTimeout(() => s.destroy(), 10_000);
            s.on('data', (c: Buffer) => (bytes += c.length));
            s.on('close', () => {
              clearTimeout(giveUp);
              resolve(bytes);
            });
            s.resume();
          }),
      ),
    );
    for (const bytes of received) expect(bytes).toBeLessThan(ANSWER);

    // And the gateway goes on serving.
    const res = await fetch(gateway.url.replace(/\/graphql$/, '/healthz'));
    expect(res.status).toBe(200);
  }, 60_000);

  it('serves a client that reads in bursts, however long the whole answer takes', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const query = JSON.stringify({ query: '{ blob }' });
    socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${query.length}\r\nConnection: close\r\n\r\n${query}`);
    const started = Date.now();
    // 2 MiB every 200 ms, paused in between: never a tenth of the timeout without progress, and at
    // least 19 pauses, so the whole answer takes longer than the timeout.
    const BURST = 2 * MiB;
    let bytes = 0;
    let inBurst = 0;
    socket.on('data', (c: Buffer) => {
      bytes += c.length;
      inBurst += c.length;
      if (inBurst >= BURST) socket.pause();
    });
    const reading = setInterval(() => {
      inBurst = 0;
      socket.resume();
    }, 200);
    await new Promise<void>((r) => socket.on('close', () => r()));
    clearInterval(reading);
    expect(bytes).toBeGreaterThan(ANSWER);
    expect(Date.now() - started).toBeGreaterThan(SEND_TIMEOUT_MS);
  });
});
