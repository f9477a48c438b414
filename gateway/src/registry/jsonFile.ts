import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The parsed content of a store's JSON file, or undefined when there is none yet. Throws when it is
 * not JSON, naming `what` and the file: nothing in it is dropped or overwritten.
 */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} ${file} is not valid JSON; fix or remove it`);
  }
}

/**
 * Replaces a store's JSON file whole: written aside, then renamed over it, so a crash leaves the
 * old file or the new one, never half of one. Readable by its owner only (it may hold secrets).
 */
export async function writeJsonFile(file: string, body: unknown, indent?: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(body, null, indent) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
