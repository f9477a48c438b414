/**
 * Issue #11, acceptances 2 and 3: imports go one way, and the code stays in pieces a reader can hold.
 * Imports go one way. The layers are those ARCHITECTURE.md lists; an import
 * from a layer to one above it, between two modules of one layer, or a cycle of imports between
 * files, fails here.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'gateway', 'src');

/** The layers, top first: each a list of modules. */
function layersOf(markdown: string): string[][] {
  const block = /```layers\n([\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('ARCHITECTURE.md has no ```layers block');
  return block[1]
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
}

/** The module a source file belongs to: its top folder or file, and `plugins/types` apart. */
function moduleOf(file: string): string {
  const parts = relative(SOURCE, file).split(/[\\/]/);
  if (parts[0] === 'plugins' && parts[1] === 'types.ts') return 'plugins/types';
  return parts[0].replace(/\.ts$/, '');
}

export interface Import {
  from: string;
  to: string;
  /** `import type`: erased at run time, so it cannot close a cycle. */
  typeOnly: boolean;
}

/** What each layer rule says of these imports between modules, as messages. */
export function layerViolations(imports: readonly Import[], layers: readonly string[][], moduleOfFile: (file: string) => string): string[] {
  const rank = new Map<string, number>();
  layers.forEach((layer, i) => layer.forEach((module) => rank.set(module, layers.length - i)));
  const problems = new Set<string>();
  for (const { from, to } of imports) {
    const a = moduleOfFile(from);
    const b = moduleOfFile(to);
    if (a === b) continue;
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra === undefined || rb === undefined) problems.add(`${ra === undefined ? a : b} is in no layer of ARCHITECTURE.md`);
    else if (rb > ra) problems.add(`${a} imports ${b}, a layer above it (${from} -> ${to})`);
    else if (rb === ra) problems.add(`${a} imports ${b}, of its own layer (${from} -> ${to})`);
  }
  return [...problems];
}

/** Cycles among files through imports that exist at run time. */
export function importCycles(imports: readonly Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to, typeOnly } of imports) if (!typeOnly) next.set(from, [...(next.get(from) ?? []), to]);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of next.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__tests__' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(files: readonly string[]): Import[] {
  const imports: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'|require\('(\.[^']+)'\)|import\('(\.[^']+)'\)/gm;
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const spec = m[3] ?? m[4] ?? m[5];
      let to = resolve(dirname(file), spec);
      to = [`${to}.ts`, join(to, 'index.ts'), to].find((candidate) => files.includes(candidate)) ?? to;
      imports.push({ from: relative(ROOT, file), to: relative(ROOT, to), typeOnly: m[2] !== undefined });
    }
  }
  return imports;
}

describe('the rules', () => {
  const layers = [['top'], ['middle', 'beside'], ['bottom']];
  const moduleOfFile = (file: string) => file.split('/')[0];
  it.each<[string, Import[], string[]]>([
    ['down a layer', [{ from: 'top/a.ts', to: 'middle/b.ts', typeOnly: false }], []],
    ['down two layers, type only', [{ from: 'top/a.ts', to: 'bottom/b.ts', typeOnly: true }], []],
    ['up a layer', [{ from: 'bottom/a.ts', to: 'middle/b.ts', typeOnly: true }], ['bottom imports middle, a layer above it (bottom/a.ts -> middle/b.ts)']],
    ['across one layer', [{ from: 'middle/a.ts', to: 'beside/b.ts', typeOnly: false }], ['middle imports beside, of its own layer (middle/a.ts -> beside/b.ts)']],
    ['to a module in no layer', [{ from: 'top/a.ts', to: 'elsewhere/b.ts', typeOnly: false }], ['elsewhere is in no layer of ARCHITECTURE.md']],
  ])('%s', (_name, imports, expected) => {
    expect(layerViolations(imports, layers, moduleOfFile)).toEqual(expected);
  });

  it('finds a cycle through run-time imports, not through type-only ones', () => {
    const a = { from: 'x/a.ts', to: 'x/b.ts', typeOnly: false };
    expect(importCycles([a, { from: 'x/b.ts', to: 'x/a.ts', typeOnly: false }])).toEqual([['x/a.ts', 'x/b.ts', 'x/a.ts']]);
    expect(importCycles([a, { from: 'x/b.ts', to: 'x/a.ts', typeOnly: true }])).toEqual([]);
  });
});

describe('gateway/src', () => {
  const files = sourceFiles(SOURCE);
  const imports = importsOf(files);

  it('reads the imports of every source file', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.length).toBeGreaterThan(150);
  });

  it('imports only down the layers of ARCHITECTURE.md', () => {
    const layers = layersOf(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));
    expect(layerViolations(imports, layers, (file) => moduleOf(join(ROOT, file)))).toEqual([]);
  });

  it('has no cycle of imports between files', () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it('keeps the built-in plugins out of the core: gateway.ts and pipeline/ import of plugins/ only the contract, the limit rules and the metrics', () => {
    const core = imports.filter(({ from }) => from === 'gateway/src/gateway.ts' || from.startsWith('gateway/src/pipeline/'));
    const allowed = /^gateway\/src\/plugins\/(types\.ts$|limits\/|metrics\/)/;
    const wiring = core.filter(({ to }) => to.startsWith('gateway/src/plugins/') && !allowed.test(to));
    expect(wiring.map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
  });
});

/** Functions (of any kind) longer than `max` lines, as `file:line name (n lines)`. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const long: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = source.getLineAndCharacterOfPosition(node.end).line - first + 1;
      const name = node.name ? node.name.getText() : '(anonymous)';
      if (lines > max) long.push(`${file}:${first + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return long;
}

describe('pieces a reader can hold', () => {
  it('counts a function from its first line to its last', () => {
    const body = Array.from({ length: 5 }, (_, i) => `  const a${i} = ${i};`).join('\n');
    const text = `function short() {\n${body}\n}\nconst arrow = () => {\n${body}\n${body}\n};\nclass C { method() {\n${body}\n} }`;
    expect(longFunctions('x.ts', text, 7)).toEqual(['x.ts:8 (anonymous) (12 lines)']);
    expect(longFunctions('x.ts', text, 6)).toEqual(['x.ts:1 short (7 lines)', 'x.ts:8 (anonymous) (12 lines)', 'x.ts:20 method (7 lines)']);
  });

  it('has no function over 80 lines in gateway/src', () => {
    expect(sourceFiles(SOURCE).flatMap((file) => longFunctions(relative(ROOT, file), readFileSync(file, 'utf8'), 80))).toEqual([]);
  });

  it('keeps gateway.ts, which holds Gateway, under 250 lines', () => {
    expect(readFileSync(join(SOURCE, 'gateway.ts'), 'utf8').split('\n').length).toBeLessThan(250);
  });
});
