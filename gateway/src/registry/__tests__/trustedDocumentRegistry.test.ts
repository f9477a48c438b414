/**
 * Issue #12, trusted documents from files and the file store: manifest files are read at startup (a
 * malformed one stops it, naming the file, line and reason) and polled on the injected clock (a
 * malformed change keeps the last good documents); pushed manifests survive a restart.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../config';
import { silentLogger } from '../../deps';
import { TrustedDocumentIndex } from '../../plugins/trustedDocuments/documentIndex';
import { FileDocumentStore } from '../fileDocumentStore';
import { TrustedDocumentRegistry, type ManifestFile } from '../trustedDocumentRegistry';
import { FakeClock } from '../../../../test/helpers/fakeClock';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const ME = 'query Me { me { id } }';
const TOP = 'query Top { topProducts { name } }';
const config = resolveConfig({ supergraph: 'x', trustedDocuments: { enabled: true } }).trustedDocuments;

async function started(files: ManifestFile[], dir = mkdtempSync(join(tmpdir(), 'junction-td-'))) {
  const clock = new FakeClock();
  const store = await FileDocumentStore.open(join(dir, 'registry.documents.json'));
  const index = new TrustedDocumentIndex();
  const registry = new TrustedDocumentRegistry({ store, index, files, config, maxTokens: 15_000, reconcileIntervalMs: 1_000, logger: silentLogger, clock });
  const stop = async () => {
    await registry.stop();
    await store.close();
  };
  try {
    await registry.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { clock, index, registry, dir, stop };
}

/** Writes a file with an mtime of its own, so a rewrite within the same millisecond is seen. */
function write(path: string, text: string, second: number) {
  writeFileSync(path, text);
  utimesSync(path, second, second);
}

it('serves the manifest files by scope: a client version, every version of a client, every client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-td-'));
  const files = [
    { path: join(dir, 'web-1.json'), client: 'web', version: '1' },
    { path: join(dir, 'web.json'), client: 'web' },
    { path: join(dir, 'all.json') },
  ];
  writeFileSync(files[0].path, JSON.stringify({ 'only-1': ME }));
  writeFileSync(files[1].path, JSON.stringify({ 'every-web': TOP }));
  writeFileSync(files[2].path, JSON.stringify({ [sha('{ __typename }')]: '{ __typename }' }));
  const { index, stop } = await started(files, dir);
  try {
    expect(index.lookup('web', '1', 'only-1')?.body).toBe(ME);
    expect(index.lookup('web', '2', 'only-1')).toBeUndefined();
    expect(index.lookup('web', undefined, 'only-1')?.body).toBe(ME);
    expect(index.lookup('web', '2', 'every-web')?.body).toBe(TOP);
    expect(index.lookup('ios', '1', 'every-web')).toBeUndefined();
    expect(index.isTrusted('{ __typename }', 'ios', '7')).toBe(true);
    expect(index.isTrusted(sha(ME), 'ios', '7')).toBe(false);
    expect(index.isTrusted(ME)).toBe(true);
  } finally {
    await stop();
  }
});

it('does not start on a malformed manifest file, naming the file, line and reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-td-'));
  const path = join(dir, 'bad.json');
  writeFileSync(path, '{\n  "a": "{ me { id } }",\n  "b": "{ me { "\n}');
  await expect(started([{ path }], dir)).rejects.toThrow(`trusted documents manifest ${path}: line 3: the document of "b" is not GraphQL`);
  await expect(started([{ path: join(dir, 'missing.json') }], dir)).rejects.toThrow(/missing\.json: ENOENT/);
});

it('re-reads a changed file on the poll; a malformed change keeps the last good documents until it is fixed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-td-'));
  const path = join(dir, 'm.json');
  write(path, JSON.stringify({ a: ME }), 1_000);
  const { clock, index, registry, stop } = await started([{ path }], dir);
  const poll = async () => {
    await clock.advance(config.pollIntervalMs);
    await registry.settled();
  };
  try {
    write(path, JSON.stringify({ a: ME, b: TOP }), 2_000);
    expect(index.lookup(undefined, undefined, 'b')).toBeUndefined();
    await poll();
    expect(index.lookup(undefined, undefined, 'b')?.body).toBe(TOP);

    write(path, '{ "a": ', 3_000);
    await poll();
    expect([index.lookup(undefined, undefined, 'a')?.body, index.lookup(undefined, undefined, 'b')?.body]).toEqual([ME, TOP]);

    write(path, JSON.stringify({ c: ME }), 4_000);
    await poll();
    expect([index.lookup(undefined, undefined, 'a'), index.lookup(undefined, undefined, 'c')?.body]).toEqual([undefined, ME]);
  } finally {
    await stop();
  }
});

it('keeps pushed manifests across a restart, and an id two manifests of one scope disagree on names nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-td-'));
  const first = await started([], dir);
  await first.registry.push('web', '1', JSON.stringify({ x: ME }));
  await first.registry.push('web', '2', JSON.stringify({ x: TOP }));
  await first.stop();
  const second = await started([], dir);
  try {
    expect(second.index.lookup('web', '1', 'x')?.body).toBe(ME);
    expect(second.index.lookup('web', '2', 'x')?.body).toBe(TOP);
    // Without a version, "x" could be either.
    expect(second.index.lookup('web', undefined, 'x')).toBeUndefined();
    expect(second.index.isTrusted(TOP, 'web')).toBe(true);
  } finally {
    await second.stop();
  }
});
