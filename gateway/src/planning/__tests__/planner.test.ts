/**
 * Which planner plans an operation: `planner: auto | hive | apollo` where Hive's binary loads and
 * where it does not; the operations that go to Apollo's whatever the setting (`@defer`, nesting
 * deeper than Hive's parser goes), logged once per reason; and what Hive's planner is never shown
 * (introspection, fields left out whatever the variables).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { Logger } from '../../deps';
import { buildHivePlanner } from '../hivePlanner';
import { buildSupergraphPlanner } from '../loadSupergraph';
import { fallbackLogger, plannerFor, planWith, resolvePlanner, type PlannerName, type PlannerSetting } from '../planner';

const sdl = readFileSync(join(__dirname, '..', '..', '..', '..', 'supergraph.graphql'), 'utf8');
const planners = { apollo: buildSupergraphPlanner(sdl), hive: () => buildHivePlanner(sdl) };

function recordingLogger(): Logger & { lines: Array<[string, string, unknown]> } {
  const lines: Array<[string, string, unknown]> = [];
  const at = (level: string) => (message: string, fields?: unknown) => void lines.push([level, message, fields]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const loads = () => ({ QueryPlanner: class {} });
const doesNotLoad = () => new Error('Cannot find native binding. npm has a bug related to optional dependencies');

describe('resolving the planner setting', () => {
  it.each<[PlannerSetting, () => unknown, PlannerName, number]>([
    ['apollo', loads, 'apollo', 0],
    ['apollo', doesNotLoad, 'apollo', 0],
    ['auto', loads, 'hive', 0],
    ['auto', doesNotLoad, 'apollo', 1],
    ['hive', loads, 'hive', 0],
  ])('%s where Hive’s binary %p: %s, with %i warning(s)', (setting, load, expected, warnings) => {
    const logger = recordingLogger();
    expect(resolvePlanner(setting, logger, load)).toBe(expected);
    expect(logger.lines.filter(([level]) => level === 'warn')).toHaveLength(warnings);
  });

  it('refuses "hive" where the binary does not load, saying why and where', () => {
    expect(() => resolvePlanner('hive', recordingLogger(), doesNotLoad)).toThrow(/planner is "hive", but Hive's query planner does not load here \(\w+ \w+\): Cannot find native binding/);
  });

  it('loads Hive’s binary here (linux x64 glibc), so auto means Hive’s', () => {
    expect(resolvePlanner('auto', recordingLogger())).toBe('hive');
  });
});

describe('the planner of an operation', () => {
  it.each<[string, string, PlannerName]>([
    ['a plain query', '{ me { id } }', 'hive'],
    ['@defer on a fragment', '{ topProducts { name ... @defer { reviews { body } } } }', 'apollo'],
    ['@defer in a named fragment', 'query { topProducts { ...F } } fragment F on Product { ... @defer { name } }', 'apollo'],
    ['@ defer, spaced (two tokens)', '{ topProducts { name ... @ defer { reviews { body } } } }', 'apollo'],
    ['"defer" only in a string', '{ product(upc: "defer") { name } }', 'hive'],
  ])('%s with Hive’s preferred: %s', (_name, query, expected) => {
    expect(plannerFor('hive', parse(query)).planner).toBe(expected);
    // With the text at hand, the same answer.
    expect(plannerFor('hive', parse(query), query).planner).toBe(expected);
    expect(plannerFor('apollo', parse(query)).planner).toBe('apollo');
  });

  it('an operation nested deeper than Hive’s parser goes is planned by Apollo’s, and says so', () => {
    const query = `{ topProducts { ${'... on Product { '.repeat(100)}name${' }'.repeat(100)} } }`;
    const { plan, fallback } = planWith(planners, 'hive', { document: parse(query), text: query, operationName: undefined });
    expect(fallback).toBe('nesting');
    expect(plan.node).toMatchObject({ kind: 'Fetch', serviceName: 'products' });
  });

  it.each([
    ['only introspection', '{ __schema { queryType { name } } }'],
    ['only __typename', '{ __typename }'],
    ['every root field left out whatever the variables', '{ a: topProducts @skip(if: true) { name } b: me @include(if: false) { id } }'],
    ['a root fragment left out', '{ ... on Query @skip(if: true) { topProducts { name } } }'],
  ])('%s: an empty plan from Hive’s, as from Apollo’s', (_name, query) => {
    for (const planner of ['hive', 'apollo'] as const) expect(planWith(planners, planner, { document: parse(query), text: query, operationName: undefined }).plan).toEqual({ kind: 'Plan' });
  });

  it('introspection beside a subgraph field: Hive’s plans the field alone', () => {
    const query = '{ __schema { queryType { name } } me { id } t: __type(name: "User") { name } }';
    const { plan } = planWith(planners, 'hive', { document: parse(query), text: query, operationName: undefined });
    expect(plan.node).toMatchObject({ kind: 'Fetch', serviceName: 'accounts' });
    expect((plan.node as { operation: string }).operation).not.toMatch(/__schema|__type\b/);
  });

  it('logs each fallback reason once', () => {
    const logger = recordingLogger();
    const fallback = fallbackLogger(logger);
    for (const reason of ['defer', 'defer', 'nesting', 'defer', 'nesting'] as const) fallback(reason);
    expect(logger.lines.map(([, , fields]) => fields)).toEqual([{ reason: 'defer' }, { reason: 'nesting' }]);
  });
});
