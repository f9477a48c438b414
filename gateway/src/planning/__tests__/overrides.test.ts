/** Which progressive override labels a request has active, from its draw and the labels a plugin set. */
import { drawOverrides, percentOf } from '../overrides';

const LABELS = ['beta', 'percent(0.5)', 'percent(25)', 'percent(100)'];

it.each<[string, number, string[] | undefined, string[]]>([
  ['a draw under every threshold', 0, undefined, ['percent(0.5)', 'percent(25)', 'percent(100)']],
  ['a draw at a threshold is not under it', 25, undefined, ['percent(100)']],
  ['a draw just under 25', 24.999, undefined, ['percent(25)', 'percent(100)']],
  ['the highest draw: percent(100) only', 99.9999, undefined, ['percent(100)']],
  ['a custom label a plugin set', 50, ['beta'], ['beta', 'percent(100)']],
  ['a custom label the supergraph does not have is no label', 50, ['gamma', 'constructor'], ['percent(100)']],
  ['a plugin cannot set a percent label', 50, ['percent(25)'], ['percent(100)']],
])('%s', (_name, percentage, custom, active) => {
  expect(drawOverrides(LABELS, percentage, custom ? new Set(custom) : undefined)).toEqual({ active, percentage });
});

it('draws nothing for a supergraph without labels', () => {
  expect(drawOverrides([], 10, new Set(['beta']))).toBeUndefined();
});

it.each<[string, number | undefined]>([
  ['percent(25)', 25],
  ['percent(0.5)', 0.5],
  ['percent(25', undefined],
  ['percent(-1)', undefined],
  ['Percent(25)', undefined],
  ['beta', undefined],
])('percentOf(%j) is %p', (label, percent) => {
  expect(percentOf(label)).toBe(percent);
});
