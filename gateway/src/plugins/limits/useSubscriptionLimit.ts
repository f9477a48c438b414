import { OperationTypeNode } from 'graphql';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import { addressBucket } from '../budgets/useBudgets';
import type { GatewayPlugin, GatewayRequest } from '../types';

/**
 * At most `maxPerClient` subscriptions open at once per client: an authenticated client by its id,
 * an anonymous caller by its address (an IPv6 address by its /64, as budgets count them). One more
 * is refused with SUBSCRIPTION_LIMIT_EXCEEDED (429) before it costs anything: it runs after
 * authentication and before cost and budgets. A subscription holds its place until it ends
 * (onResult, which runs for every request, refused ones included).
 */
export function useSubscriptionLimit(maxPerClient: number): GatewayPlugin {
  const open = new Map<string, number>();
  const held = new WeakMap<object, string>();
  const release = (key: string) => {
    const count = (open.get(key) ?? 1) - 1;
    if (count <= 0) open.delete(key);
    else open.set(key, count);
  };
  return {
    name: 'subscription-limit',
    onPlanned({ request, context, operationKind, reject }) {
      if (operationKind !== OperationTypeNode.SUBSCRIPTION || maxPerClient <= 0) return;
      const key = clientKey(request, context.identity);
      const count = open.get(key) ?? 0;
      if (count >= maxPerClient) {
        reject(
          gatewayError(GatewayErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED, `Too many subscriptions open: at most ${maxPerClient} at once per client.`, {
            extensions: { limit: maxPerClient },
            status: 429,
          }),
        );
        return;
      }
      open.set(key, count + 1);
      held.set(context, key);
    },
    onResult({ context }) {
      const key = held.get(context);
      if (key === undefined) return;
      held.delete(context);
      release(key);
    },
  };
}

function clientKey(request: GatewayRequest, identity: { via: string; clientId?: string } | undefined): string {
  if (identity && identity.via !== 'anonymous') return `client:${identity.clientId ?? ''}`;
  return `ip:${addressBucket(request.remoteAddress)}`;
}
