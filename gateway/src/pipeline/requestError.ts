import type { GraphQLError } from 'graphql';
import type { Logger } from '../deps';
import { GatewayErrorCode, formatError, gatewayError } from '../errors/gatewayError';
import type { GatewayResponse } from './result';

/** Thrown inside the pipeline to end a request early with errors. */
export class RequestError extends Error {
  constructor(
    readonly errors: readonly GraphQLError[],
    readonly status: number,
    readonly headers?: Record<string, string>,
  ) {
    super(errors[0]?.message ?? 'request error');
  }
}

/** The response for a request that ended with `err`: its errors, or, for a bug, a code and the request id. */
export function errorResponse(err: unknown, requestId: string, logger: Logger): GatewayResponse {
  if (err instanceof RequestError) {
    return { status: err.status, body: { errors: err.errors.map(formatError) }, headers: err.headers };
  }
  // A bug: keep the details in the log, give the client a code and the request id to quote.
  logger.error('request failed unexpectedly', { requestId, error: String((err as Error)?.stack ?? err) });
  const error = gatewayError(GatewayErrorCode.INTERNAL_SERVER_ERROR, 'Unexpected error.', { extensions: { requestId } });
  return { status: 500, body: { errors: [formatError(error)] } };
}
