import { composeServices } from '@apollo/composition';
import { parse, type DocumentNode, type GraphQLError } from 'graphql';
import { GatewayErrorCode } from '../errors/gatewayError';

/** One subgraph as composition sees it: a name, the URL the gateway will call, and its federation SDL. */
export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string | DocumentNode;
}

/**
 * A code @apollo/composition chose (`FIELD_TYPE_MISMATCH`, `INVALID_FIELD_SHARING`, …): data passed
 * through to the admin API, the CLI and logs, not one of Junction's. Branded, so that a string literal
 * is not taken for one: the codes Junction writes itself come from the catalogue.
 */
export type ApolloCompositionCode = string & { readonly __apolloCompositionCode: unique symbol };

/** The catalogue's codes composition reports itself. */
export type CompositionCode =
  | typeof GatewayErrorCode.INVALID_GRAPHQL
  | typeof GatewayErrorCode.NO_SUBGRAPHS
  | typeof GatewayErrorCode.COMPOSITION_TOO_COMPLEX
  | typeof GatewayErrorCode.COMPOSITION_FAILED
  | typeof GatewayErrorCode.COMPOSITION_ERROR;

/** A composition error in the shape the CLI, the admin API and logs report it. */
export interface CompositionErrorInfo {
  code: CompositionCode | ApolloCompositionCode;
  message: string;
  /** The subgraphs the error involves, when composition says (or the message names them). */
  subgraphs: string[];
}

export type CompositionOutcome =
  | { ok: true; supergraphSdl: string; hints: Array<{ code: string; message: string }> }
  | { ok: false; errors: CompositionErrorInfo[] };

/**
 * Composes subgraphs into a supergraph with `@apollo/composition`. Pure: no I/O. Never throws for
 * bad input: an SDL that does not parse is reported like any composition error, and so is an
 * exception from inside composition (a stack overflow on a very deep schema, a bug in the library).
 * This runs on the calling thread: the gateway calls it through a CompositionWorker.
 */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): CompositionOutcome {
  try {
    return composeUnguarded(subgraphs);
  } catch (err) {
    return { ok: false, errors: [compositionCrash(err)] };
  }
}

function composeUnguarded(subgraphs: readonly SubgraphSource[]): CompositionOutcome {
  const names = subgraphs.map((s) => s.name);
  const services = [];
  const parseErrors: CompositionErrorInfo[] = [];
  for (const s of subgraphs) {
    if (typeof s.sdl !== 'string') {
      services.push({ name: s.name, url: s.url, typeDefs: s.sdl });
      continue;
    }
    try {
      services.push({ name: s.name, url: s.url, typeDefs: parse(s.sdl) });
    } catch (err) {
      if (isStackOverflow(err)) throw err;
      parseErrors.push({ code: GatewayErrorCode.INVALID_GRAPHQL, message: `[${s.name}] ${(err as Error).message}`, subgraphs: [s.name] });
    }
  }
  if (parseErrors.length > 0) return { ok: false, errors: parseErrors };
  if (services.length === 0) {
    return { ok: false, errors: [{ code: GatewayErrorCode.NO_SUBGRAPHS, message: 'There are no subgraphs to compose.', subgraphs: [] }] };
  }

  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, errors: result.errors.map((e) => describeError(e, names)) };
  }
  return {
    ok: true,
    supergraphSdl: result.supergraphSdl,
    hints: result.hints.map((h) => ({ code: h.definition.code, message: h.message })),
  };
}

/**
 * Composition codes of our own, for what `@apollo/composition` cannot report itself. The library
 * recurses along type references, so a long enough chain of types (`type H1 { h: [H2] }` ...)
 * overflows the stack: that is the input's fault and is reported, not thrown.
 */
export const CompositionCrashCode = {
  /** Composition ran out of stack, memory or time: the schemas are too large or too deeply nested. */
  TOO_COMPLEX: GatewayErrorCode.COMPOSITION_TOO_COMPLEX,
  /** Composition threw an unexpected exception; its message is reported. */
  FAILED: GatewayErrorCode.COMPOSITION_FAILED,
} as const;

export function compositionCrash(err: unknown): CompositionErrorInfo {
  if (isStackOverflow(err)) {
    return {
      code: CompositionCrashCode.TOO_COMPLEX,
      message: 'Composition ran out of stack: a subgraph schema nests or chains types too deeply to compose.',
      subgraphs: [],
    };
  }
  return { code: CompositionCrashCode.FAILED, message: `Composition failed unexpectedly: ${errorMessage(err)}`, subgraphs: [] };
}

export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeError(error: GraphQLError, names: readonly string[]): CompositionErrorInfo {
  const involved = new Set<string>();
  for (const node of error.nodes ?? []) {
    // @apollo/federation-internals tags the AST nodes it reports with the subgraph they come from.
    const subgraph = (node as { subgraph?: unknown }).subgraph;
    if (typeof subgraph === 'string') involved.add(subgraph);
  }
  if (involved.size === 0) {
    // Some errors carry no tagged nodes but name their subgraphs in the message, quoted or in brackets.
    for (const name of names) {
      if (error.message.includes(`"${name}"`) || error.message.includes(`[${name}]`)) involved.add(name);
    }
  }
  return {
    code: error.extensions?.code == null ? GatewayErrorCode.COMPOSITION_ERROR : (String(error.extensions.code) as ApolloCompositionCode),
    message: error.message,
    subgraphs: [...involved].sort(),
  };
}
