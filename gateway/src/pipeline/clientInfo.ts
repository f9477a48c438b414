import type { ClientInfo, GatewayRequest } from '../plugins/types';

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
