import { GraphQLError, parse, type DocumentNode } from 'graphql';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import { maxNesting } from '../plugins/limits/nestingGuard';
import { RequestError } from './requestError';

/** Brackets nested deeper than this are refused before parsing (graphql-js would overflow its stack). */
const MAX_NESTING = 500;

/**
 * Parses a query, refusing one nested too deeply to parse or with more than `maxTokens` tokens (0:
 * no limit). Throws a RequestError with the code the client must see.
 */
export function parseDocument(query: string, maxTokens: number): DocumentNode {
  if (maxNesting(query, MAX_NESTING) > MAX_NESTING) {
    throw new RequestError(
      [gatewayError(GatewayErrorCode.DEPTH_LIMIT_EXCEEDED, `Document nests deeper than the allowed ${MAX_NESTING} levels.`, { extensions: { limit: MAX_NESTING } })],
      400,
    );
  }
  try {
    return parse(query, { maxTokens: maxTokens || undefined });
  } catch (err) {
    const e = err as GraphQLError;
    // graphql-js stops lexing at the limit: a huge document costs no more than maxTokens tokens.
    const tooLong = /Document contains more th\w+ \d+ tokens/.test(e.message);
    const error = tooLong
      ? gatewayError(GatewayErrorCode.TOKEN_LIMIT_EXCEEDED, `Document has more than the allowed ${maxTokens} tokens.`, { extensions: { limit: maxTokens } })
      : new GraphQLError(e.message, { source: e.source, positions: e.positions, extensions: { code: GatewayErrorCode.GRAPHQL_PARSE_FAILED } });
    throw new RequestError([error], 400);
  }
}
