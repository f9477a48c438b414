import { GraphQLError } from 'graphql';
import { GatewayErrorCode } from './gatewayError';

/**
 * An error a subgraph reported in its `errors` list, as opposed to one Junction made about a
 * subgraph (SUBGRAPH_UNAVAILABLE, SUBGRAPH_INVALID_RESPONSE). Masking tells the two apart by class,
 * never by code: a subgraph can send any code, `SUBGRAPH_UNAVAILABLE` included.
 */
export class SubgraphError extends GraphQLError {}

type Path = Array<string | number>;

/**
 * A subgraph's error as clients may see it: its message, its `code` (DOWNSTREAM_SERVICE_ERROR when it
 * has none), the other extension keys in `allowedExtensions` (config
 * `subgraphErrors.allowedExtensions`), and `serviceName`. Everything else a subgraph
 * may put in extensions (`stacktrace`, `exception`, hosts, SQL, tokens) is dropped here, before the
 * error exists, so no later step (masking or not) can let it through.
 */
export function subgraphErrorFrom(
  raw: unknown,
  serviceName: string,
  allowedExtensions: ReadonlySet<string>,
): { message: string; path: Path | undefined; extensions: Record<string, unknown> } {
  const error = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const message = typeof error.message === 'string' && error.message ? error.message : `Error while fetching subquery from service "${serviceName}"`;
  const given = error.extensions && typeof error.extensions === 'object' && !Array.isArray(error.extensions) ? (error.extensions as Record<string, unknown>) : {};
  // A code is a string clients group by; anything else (an object with internals) is not a code.
  const code = typeof given.code === 'string' && given.code !== '' ? given.code : GatewayErrorCode.DOWNSTREAM_SERVICE_ERROR;
  const extensions: Record<string, unknown> = { code };
  for (const key of allowedExtensions) {
    // `http` is the gateway's own status hint and `serviceName` is ours to set: never a subgraph's.
    if (key === 'code' || key === 'http' || key === 'serviceName' || !Object.hasOwn(given, key)) continue;
    Object.defineProperty(extensions, key, { value: given[key], enumerable: true, writable: true, configurable: true });
  }
  extensions.serviceName = serviceName;
  return { message, path: pathOf(error.path), extensions };
}

/** A response path is names and indexes; a subgraph's path of anything else is dropped, not echoed. */
function pathOf(path: unknown): Path | undefined {
  if (!Array.isArray(path) || path.length > 1000) return undefined;
  for (const step of path) if (typeof step !== 'string' && !(Number.isInteger(step) && step >= 0)) return undefined;
  return path as Path;
}
