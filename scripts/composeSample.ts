import { print } from 'graphql';
import { composeSupergraph, type CompositionOutcome } from '../gateway/src/composition/composeSupergraph';
import { SAMPLE_SUBGRAPHS } from '../subgraphs';

/** Composes the four sample subgraphs with the URLs `npm start` gives them. */
export function composeSample(): CompositionOutcome {
  return composeSupergraph(
    SAMPLE_SUBGRAPHS.map(({ definition, port }) => ({
      name: definition.name,
      url: `http://localhost:${port}/graphql`,
      sdl: print(definition.typeDefs),
    })),
  );
}
