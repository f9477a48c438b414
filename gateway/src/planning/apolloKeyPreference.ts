/**
 * A fix to @apollo/query-planner 2.14.4 (pinned): when it enters a subgraph by an entity key, it
 * takes the first `@key` of the type there whose fields are not external, even one declared
 * `resolvable: false`, so a plan can send a subgraph representations it cannot resolve (the federation
 * gateway audit's keys-mashup). Upstream fixed it by skipping non-resolvable keys
 * (apollographql/federation#3137) and reverted that (#3144), because a type with only non-resolvable
 * keys there (an `@interfaceObject` reached by its interface) still needs one. Preferring a
 * resolvable key where there is one, and else taking the first as before, passes both.
 *
 * The planner calls `getLocallySatisfiableKey` through @apollo/query-graphs' exports, which read
 * graphPath's export at each call: replacing that export changes what the planner calls, and nothing
 * else (graphPath's own calls stay on the original). Applied once per thread, before planning.
 */
import { assert, federationMetadata, parseFieldSetArgument, type CompositeType, type SelectionSet } from '@apollo/federation-internals';

const PATCHED = Symbol.for('junction.resolvableKeyPreference');

interface GraphPathModule {
  getLocallySatisfiableKey(graph: QueryGraphLike, vertex: VertexLike): SelectionSet | undefined;
  [PATCHED]?: true;
}
interface QueryGraphLike {
  sources: ReadonlyMap<string, Parameters<typeof federationMetadata>[0]>;
}
interface VertexLike {
  type: CompositeType;
  source: string;
}

/** Installs the preference; returns false (changing nothing) if the planner's internals are not what it was written for. */
export function preferResolvableKeys(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const graphPath = require('@apollo/query-graphs/dist/graphPath') as GraphPathModule;
  if (graphPath[PATCHED]) return true;
  if (typeof graphPath.getLocallySatisfiableKey !== 'function') return false;
  graphPath.getLocallySatisfiableKey = locallySatisfiableKey;
  graphPath[PATCHED] = true;
  return true;
}

/** The key to enter `vertex`'s subgraph by: the first resolvable one selecting no external field, else the first non-resolvable one. */
function locallySatisfiableKey(graph: QueryGraphLike, vertex: VertexLike): SelectionSet | undefined {
  const schema = graph.sources.get(vertex.source);
  const metadata = schema ? federationMetadata(schema) : undefined;
  assert(metadata, () => `Could not find federation metadata for source ${vertex.source}`);
  let fallback: SelectionSet | undefined;
  for (const key of vertex.type.appliedDirectivesOf(metadata.keyDirective())) {
    const selection = parseFieldSetArgument({ parentType: vertex.type, directive: key });
    if (metadata.selectionSelectsAnyExternalField(selection)) continue;
    if (key.arguments().resolvable !== false) return selection;
    fallback ??= selection;
  }
  return fallback;
}
