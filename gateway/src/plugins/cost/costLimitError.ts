import type { GraphQLError } from 'graphql';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';

/**
 * An operation whose estimated cost is over a limit: `cost.maxCost`, or the caller's budget tier's
 * `maxCost`. One message and one shape for both, so clients tell them apart only by `max`.
 */
export function costLimitError(estimated: number, max: number): GraphQLError {
  return gatewayError(GatewayErrorCode.COST_ESTIMATED_TOO_EXPENSIVE, 'The estimated cost of the operation is over the limit.', {
    extensions: { cost: { estimated, max } },
    status: 400,
  });
}
