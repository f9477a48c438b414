/** Finds the first JSON log line with this `msg` in a process's stderr. */
export function findLogLine(stderr: string, msg: string): Record<string, unknown> | undefined {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === msg) return entry;
    } catch {
      // a partial line: the rest has not arrived yet
    }
  }
  return undefined;
}
