/** A GraphQL response body as sent: its members are not checked yet (see the callers). */
export interface GraphQLResponseBody {
  data?: unknown;
  errors?: unknown;
}

/**
 * Reads the text of an answer to a GraphQL request: a JSON object with `data` or `errors`
 * (https://spec.graphql.org/October2021/#sec-Response-Format), else undefined (not JSON, an array,
 * a scalar, an object with neither). What the members hold is for the caller to judge: execution
 * refuses a `data` that is not an object, the SDL fetch only looks for the fields it asked for.
 */
export function parseGraphQLResponse(text: string): GraphQLResponseBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || (!('data' in parsed) && !('errors' in parsed))) return undefined;
  return parsed as GraphQLResponseBody;
}
