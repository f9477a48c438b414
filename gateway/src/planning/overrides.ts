/**
 * Progressive override (`@override(from:, label:)`, federation 2.7): a field moves from one subgraph
 * to another for the requests whose labels are active. `percent(N)` is active for N% of requests,
 * drawn per request; any other label is active when a plugin says so for the request
 * (`context.overrideLabels`). A plan depends on which labels are active, so plans are cached per set
 * of active labels: two requests share a plan only when they drew the same set.
 */
import type { Supergraph } from '@apollo/federation-internals';

/** What one request drew: the supergraph's labels active for it (sorted), and its percentage in [0, 100). */
export interface OverrideDraw {
  readonly active: readonly string[];
  readonly percentage: number;
}

const PERCENT = /^percent\((\d+(?:\.\d+)?)\)$/;

/** The percentage of requests a `percent(N)` label is active for, or undefined for a custom label. */
export function percentOf(label: string): number | undefined {
  const match = PERCENT.exec(label);
  return match ? Number(match[1]) : undefined;
}

/**
 * The labels active for a request of a supergraph with `labels`: `percent(N)` when `percentage` is
 * below N (so for N% of uniformly drawn percentages), others when `custom` has them. Undefined when
 * the supergraph has no labels: nothing to draw, one plan for all.
 */
export function drawOverrides(labels: readonly string[], percentage: number, custom: ReadonlySet<string> | undefined): OverrideDraw | undefined {
  if (labels.length === 0) return undefined;
  const active = labels.filter((label) => {
    const percent = percentOf(label);
    return percent === undefined ? custom?.has(label) === true : percentage < percent;
  });
  return { active, percentage };
}

/** Every `overrideLabel` of the supergraph's `@join__field`s, sorted, once each. */
export function overrideLabelsOf(supergraph: Supergraph): string[] {
  const joinField = supergraph.schema.directives().find((d) => d.name === 'join__field');
  const labels = new Set<string>();
  for (const application of joinField?.applications() ?? []) {
    const label = (application.arguments() as { overrideLabel?: unknown }).overrideLabel;
    if (typeof label === 'string' && label !== '') labels.add(label);
  }
  return [...labels].sort();
}
