/**
 * Human-readable lines for a failed composition: one per error, with its code and subgraphs. Kept
 * apart from composeSupergraph: the CLI prints the admin API's refusals with it, and must not load
 * the composition library (most of a second of startup) to do so.
 */
export function formatCompositionErrors(errors: ReadonlyArray<{ code: string; message: string; subgraphs: readonly string[] }>): string {
  return errors
    .map((e) => `  - [${e.code}]${e.subgraphs.length ? ` (subgraphs: ${e.subgraphs.join(', ')})` : ''} ${e.message}`)
    .join('\n');
}
