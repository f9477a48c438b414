import type { Clock, Logger } from '../deps';
import type { GatewayPlugin } from './types';

/**
 * One log line per request, when its response is ready: request id, client id, client application
 * name and version, operation name, the trusted document it named, estimated and actual cost, HTTP
 * status and duration.
 */
export function useRequestLog(deps: { logger: Logger; clock: Clock }): GatewayPlugin {
  const operationNames = new WeakMap<object, string | undefined>();
  return {
    name: 'request-log',
    onValidated({ context, operation }) {
      operationNames.set(context, operation.name?.value);
    },
    onResult({ request, context, status, result }) {
      deps.logger.info('request', {
        requestId: context.requestId,
        clientId: context.identity?.clientId,
        via: context.identity?.via,
        clientName: context.client?.name,
        clientVersion: context.client?.version,
        operationName: operationNames.get(context) ?? request.operationName,
        documentId: context.trustedDocument?.id,
        cost: context.cost?.estimated,
        actualCost: context.cost?.actual,
        status,
        errors: result.errors?.length ?? 0,
        durationMs: Math.round((deps.clock.now() - context.startedAt) * 10) / 10,
      });
    },
  };
}
