import type { ServerResponse } from 'node:http';

/**
 * Answers with `head`, then x's, then `tail`: `size` bytes in all (a JSON document padded inside a
 * string), chunked or with Content-Length, written as fast as the reader takes it. `size: Infinity`
 * never ends (it yields between chunks, so the server keeps serving). Pushes to `written` how much
 * was written once the body ended or the connection closed.
 */
export function floodResponse(res: ServerResponse, head: Buffer, tail: Buffer, answer: { size: number; contentLength: boolean }, written: number[]): void {
  const { size, contentLength } = answer;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  res.writeHead(200, { 'content-type': 'application/json', ...(contentLength && Number.isFinite(size) ? { 'content-length': String(size) } : {}) });
  let sent = 0;
  let done = false;
  const finish = () => {
    if (!done) written.push(sent);
    done = true;
  };
  res.on('close', finish);
  const write = (b: Buffer) => {
    sent += b.length;
    return res.write(b);
  };
  write(head);
  const pump = () => {
    while (!done && !res.destroyed) {
      const left = size - sent - tail.length;
      if (left <= 0) {
        write(tail);
        res.end(finish);
        return;
      }
      if (!write(left >= chunk.length ? chunk : chunk.subarray(0, left))) return void res.once('drain', pump);
      if (size === Infinity) return void setTimeout(pump, 1);
    }
  };
  pump();
}
