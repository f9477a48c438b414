import { randomUUID } from 'node:crypto';
import type { ClientInfo, GatewayContext, GatewayRequest } from '../plugins/types';

/** A new request's context: its id (the client's `x-request-id` when it is a sane one), start time and client application. */
export function requestContext(request: GatewayRequest, now: number): GatewayContext {
  return { requestId: requestIdFrom(request.headers['x-request-id']), startedAt: now, client: clientInfoFrom(request.headers) };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The client application a request says it comes from: Apollo's `apollographql-client-name` /
 * `-version` headers (Apollo Client, iOS, Kotlin, Router), else the vendor-neutral
 * `graphql-client-name` / `-version`. Self-declared, so for operators (logs, traces, metrics), never
 * for access decisions. A value is kept when it is 1 to 128 printable ASCII characters; anything
 * else (control characters, Latin-1 bytes, a novel) is taken as not sent.
 */
export function clientInfoFrom(headers: GatewayRequest['headers']): ClientInfo {
  return {
    name: firstValid(headers, 'apollographql-client-name', 'graphql-client-name'),
    version: firstValid(headers, 'apollographql-client-version', 'graphql-client-version'),
  };
}

const PRINTABLE = /^[\x20-\x7e]{1,128}$/;

function firstValid(headers: GatewayRequest['headers'], ...names: string[]): string | undefined {
  for (const name of names) {
    // Own properties only: a request's headers object may have a prototype.
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (typeof value === 'string' && PRINTABLE.test(value)) return value;
  }
  return undefined;
}
