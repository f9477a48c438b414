import type { FragmentDefinitionNode, OperationDefinitionNode } from 'graphql';
import type { GatewayConfig } from '../../config';
import type { Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import type { GatewayPlugin } from '../types';
import { costLimitError } from './costLimitError';
import { costSchemaOf, subgraphCostSchemas, type CostSchema } from './costSchema';
import { actualCost, CostError, estimatePlan } from './estimateCost';

/** What the cost plugin learned about a request; later plugins (budgets) read it. */
export interface RequestCost {
  /** Estimated from the plan before any subgraph call. */
  readonly estimated: number;
  /** Computed from the response; set once the response is ready. A subscription's: the sum of its events'. */
  actual?: number;
  /** A subscription's event being sent: its actual cost, computed from its payload as a query's is. */
  event?: number;
}

declare module '../types' {
  interface GatewayContext {
    cost?: RequestCost;
  }
}

interface CostState {
  cost: RequestCost;
  operation: OperationDefinitionNode;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  supergraphCost: CostSchema;
  subscription: boolean;
}

/**
 * Cost analysis: after planning and before any subgraph call, the plan's estimated cost; over
 * `cost.maxCost` in `enforce` mode the operation is refused with COST_ESTIMATED_TOO_EXPENSIVE. After
 * execution, the actual cost from the response. Both go into `extensions.cost`
 * (`requestedQueryCost`, `actualQueryCost`). A subscription is estimated as one event (its root
 * field and the fetches an event runs); each event's actual cost is computed from its payload.
 */
export function useCost(config: GatewayConfig['cost'], deps: { logger: Logger }): GatewayPlugin {
  const subgraphSchemas = new WeakMap<object, ReturnType<typeof subgraphCostSchemas>>();
  // Per-request state, keyed by the request's own context object: it goes away with the request.
  const states = new WeakMap<object, CostState>();

  return {
    name: 'cost',
    onPlanned({ plan, supergraph, variables, operation, document, context, reject }) {
      if (config.mode === 'off') return;
      let subgraphs = subgraphSchemas.get(supergraph);
      if (!subgraphs) subgraphSchemas.set(supergraph, (subgraphs = subgraphCostSchemas((name) => supergraph.subgraphSchema(name))));
      let estimated: number;
      try {
        estimated = estimatePlan(plan, subgraphs, variables, config.defaultListSize);
      } catch (err) {
        if (!(err instanceof CostError)) throw err;
        if (config.mode === 'enforce') reject(gatewayError(GatewayErrorCode.COST_QUERY_PARSE_FAILURE, err.message, { status: 400 }));
        else deps.logger.warn('operation could not be costed', { requestId: context.requestId, reason: err.message });
        return;
      }
      if (config.mode === 'enforce' && config.maxCost !== undefined && estimated > config.maxCost) {
        reject(costLimitError(estimated, config.maxCost));
        return;
      }
      const cost: RequestCost = { estimated };
      context.cost = cost;
      states.set(context, {
        cost,
        operation,
        fragments: fragmentsOf(document),
        variables,
        supergraphCost: costSchemaOf(supergraph.supergraphSchema),
        subscription: operation.operation === 'subscription',
      });
    },
    onSubscriptionEvent({ context, result }) {
      const state = states.get(context);
      if (!state) return;
      const event = actualCost(state.supergraphCost, state.operation, state.fragments, state.variables, result.data);
      state.cost.event = event;
      state.cost.actual = (state.cost.actual ?? 0) + event;
    },
    onResult({ context, result, setResult }) {
      const state = states.get(context);
      // A subscription's actual cost is its events' (onSubscriptionEvent); at its end nothing is sent.
      if (!state || state.subscription) return;
      state.cost.actual = actualCost(state.supergraphCost, state.operation, state.fragments, state.variables, result.data);
      setResult({
        ...result,
        extensions: { ...result.extensions, cost: { requestedQueryCost: state.cost.estimated, actualQueryCost: state.cost.actual } },
      });
    },
  };
}
