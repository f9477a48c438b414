import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../deps';
import { FileRegistryStore } from '../fileRegistryStore';
import type { SubgraphRecord } from '../types';

const whole = (name: string): SubgraphRecord => ({
  name,
  url: `http://localhost/${name}`,
  sdl: 'type Query { a: Int }',
  sdlHash: 'h',
  updatedAt: '2026-01-01T00:00:00.000Z',
  fetchedAt: '2026-01-01T00:00:00.000Z',
  healthy: true,
  federated: true,
});

function storeFile(subgraphs: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'junction-store-')), 'registry.json');
  writeFileSync(file, JSON.stringify({ version: 1, subgraphs }));
  return file;
}
const names = (file: string) => JSON.parse(readFileSync(file, 'utf8')).subgraphs.map((s: { name?: string }) => s.name ?? '(no name)');

it.each([
  ['no sdl', { name: 'nosdl', url: 'http://localhost/nosdl' }, { name: 'nosdl', url: 'http://localhost/nosdl', problem: 'no sdl, sdlHash, updatedAt, fetchedAt' }],
  ['no name', { url: 'http://localhost/x', sdl: 'type Query { a: Int }' }, { name: undefined, url: 'http://localhost/x', problem: 'no name, sdlHash, updatedAt, fetchedAt' }],
  ['not an object', 'garbage', { name: undefined, url: undefined, problem: 'no name, url, sdl, sdlHash, updatedAt, fetchedAt' }],
])('an entry with %s is reported, and kept through other writes', async (_case, entry, reported) => {
  const file = storeFile([whole('a'), entry]);
  const store = await FileRegistryStore.open(file, silentLogger);
  expect(await store.list()).toEqual([whole('a')]);
  expect(await store.incomplete()).toEqual([reported]);
  await store.put(whole('b'));
  await store.remove('a');
  expect(names(file)).toEqual(['b', reported.name ?? '(no name)']);
  expect(await store.incomplete()).toEqual([reported]);
});

it('a whole record replaces the incomplete entry of its name; removing the name removes it', async () => {
  const file = storeFile([{ name: 'x', url: 'http://localhost/x' }, { name: 'y', url: 'http://localhost/y' }]);
  const store = await FileRegistryStore.open(file, silentLogger);
  await store.put(whole('x'));
  expect(await store.remove('y')).toBe(true);
  expect(JSON.parse(readFileSync(file, 'utf8')).subgraphs).toEqual([whole('x')]);
  expect(await store.incomplete()).toEqual([]);
});
