/**
 * Issue #13, acceptance 3: the plans of the differential corpus's operations over the sample
 * supergraph, by each planner, in Junction's plan type, as snapshots a reviewer can read: a change
 * to a planner (or to its conversion) shows here as a diff of fetches, paths and representations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { CORPUS } from '../../../../test/corpus';
import { loadSupergraph } from '../loadSupergraph';
import type { PlannerName } from '../planner';

const sdl = readFileSync(join(__dirname, '..', '..', '..', '..', 'supergraph.graphql'), 'utf8');
const PLANNERS: PlannerName[] = ['apollo', 'hive'];
const supergraphs = Object.fromEntries(PLANNERS.map((planner) => [planner, loadSupergraph(sdl, { planner })]));

it('snapshots at least 20 operations with each planner', () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(20);
});

describe.each(PLANNERS)('%s', (planner) => {
  it.each(CORPUS.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const document = parse(op.query);
    const plan = await supergraphs[planner].plan({ document, text: op.query, operationName: op.operationName });
    // Plain data: it crosses threads by structured clone and is cached as it is.
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
    expect(plan).toMatchSnapshot();
  });
});
