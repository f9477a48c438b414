import { accounts } from './accounts';
import { inventory } from './inventory';
import { products } from './products';
import { reviews } from './reviews';
import { startSubgraph, type RunningSubgraph, type StartSubgraphOptions, type SubgraphDefinition, type SubscriptionEvent } from './subgraph';

export {
  PubSub,
  startSubgraph,
  type RunningSubgraph,
  type StartSubgraphOptions,
  type SubgraphContext,
  type SubgraphDefinition,
  type SubscriptionEvent,
} from './subgraph';

/** The four sample subgraphs with the ports `npm start` gives them. */
export const SAMPLE_SUBGRAPHS: ReadonlyArray<{ definition: SubgraphDefinition; port: number }> = [
  { definition: accounts, port: 4001 },
  { definition: inventory, port: 4002 },
  { definition: products, port: 4003 },
  { definition: reviews, port: 4004 },
];

export function sampleSubgraph(name: string): SubgraphDefinition {
  const found = SAMPLE_SUBGRAPHS.find((s) => s.definition.name === name);
  if (!found) throw new Error(`Unknown sample subgraph "${name}"`);
  return found.definition;
}

/** Starts all four on free ports (tests) or their fixed ports. */
export async function startSampleSubgraphs(
  options: {
    fixedPorts?: boolean;
    onRequest?: (subgraph: string, query: string | undefined) => void;
    onSubscription?: (subgraph: string, event: SubscriptionEvent) => void;
  } = {},
): Promise<RunningSubgraph[]> {
  return Promise.all(
    SAMPLE_SUBGRAPHS.map(({ definition, port }) => {
      const opts: StartSubgraphOptions = { port: options.fixedPorts ? port : 0 };
      if (options.onRequest) {
        const onRequest = options.onRequest;
        opts.onRequest = (req) => onRequest(definition.name, req.query);
      }
      if (options.onSubscription) {
        const onSubscription = options.onSubscription;
        opts.onSubscription = (event) => onSubscription(definition.name, event);
      }
      return startSubgraph(definition, opts);
    }),
  );
}
