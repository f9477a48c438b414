import {
  GraphQLError,
  OperationTypeNode,
  NoUndefinedVariablesRule,
  NoUnusedVariablesRule,
  OverlappingFieldsCanBeMergedRule,
  UniqueVariableNamesRule,
  VariablesInAllowedPositionRule,
  getOperationAST,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { GatewayConfig } from '../config';
import { GatewayErrorCode, gatewayError } from '../errors/gatewayError';
import { documentLimitErrors } from '../plugins/limits/documentLimits';
import type { GatewayRequest } from '../plugins/types';
import { DeferRule } from '../graphql/deferDirectives';
import { OverlappingFieldsCanMergeRule } from './overlappingFieldsRule';
import { RequestError } from './requestError';

/**
 * graphql-js's rules, but for field merging: its OverlappingFieldsCanBeMergedRule compares fragments
 * pair by pair, which hundreds of fragments spread into one selection set make cost more than a
 * request may take; ours refuses the same documents in linear time.
 */
const VALIDATION_RULES: readonly ValidationRule[] = [...specifiedRules.map((rule) => (rule === OverlappingFieldsCanBeMergedRule ? OverlappingFieldsCanMergeRule : rule)), DeferRule];

/**
 * The rules about variables. They cost the most (each operation's variable usages, through its
 * fragments, are collected with a walk of their own), and a document with no `$` in its text has no
 * variable to define, use or misuse: they are skipped for it.
 */
const VARIABLE_RULES: ReadonlySet<ValidationRule> = new Set([UniqueVariableNamesRule, NoUndefinedVariablesRule, NoUnusedVariablesRule, VariablesInAllowedPositionRule]);
const RULES_WITHOUT_VARIABLES = VALIDATION_RULES.filter((rule) => !VARIABLE_RULES.has(rule));

/**
 * Where the rules of a large document are cut into two passes: the rules about variables, which
 * share one walk of each operation's fragments within a pass, all come after it.
 */
const splitOf = (rules: readonly ValidationRule[]) => rules.findIndex((rule) => rule.name === 'UniqueVariableNamesRule' || rule.name === 'KnownDirectivesRule');

/**
 * Documents longer than this (in characters) let other work run between the phases of their
 * request: parsing, validating and planning one of 35 KB takes about 10 to 30 ms each.
 */
export const LARGE_DOCUMENT = 8 * 1024;

/** Resolves after the I/O and timers that are due have run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Checks a document against the limits, then validates it with graphql-js's rules; when a limit is
 * exceeded, only the limit errors are reported. Every rule is linear in the document's text (none
 * walks the expansion of its fragments), so a hostile document costs no more for meeting them all.
 * A large document is validated in two passes with the event loop free between them (a pass over
 * 15,000 tokens takes about 40 ms); the second pass's errors then come after the first's. `text`,
 * the document's source when known, lets the rules about variables be skipped when it has no `$`.
 * Throws a RequestError.
 */
export async function validateDocument(schema: GraphQLSchema, document: DocumentNode, limits: GatewayConfig['limits'], large: boolean, text?: string): Promise<void> {
  const limitErrors = documentLimitErrors(document, limits);
  if (limitErrors.length > 0) throw new RequestError(limitErrors, 400);
  const rules = text !== undefined && !text.includes('$') ? RULES_WITHOUT_VARIABLES : VALIDATION_RULES;
  let found: readonly GraphQLError[];
  if (!large) found = validate(schema, document, rules);
  else {
    const split = splitOf(rules);
    found = validate(schema, document, rules.slice(0, split));
    await yieldToEventLoop();
    found = [...found, ...validate(schema, document, rules.slice(split))];
  }
  const errors = found.map((e) =>
    e.extensions?.code ? e : new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { ...e.extensions, code: GatewayErrorCode.GRAPHQL_VALIDATION_FAILED } }),
  );
  if (errors.length > 0) throw new RequestError(errors, 400);
}

/** The operation of a valid document the request runs, and its variables coerced. Throws a RequestError. */
export function resolveOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  request: GatewayRequest,
  streaming: boolean,
): { operation: OperationDefinitionNode; variables: Record<string, unknown> } {
  const operation = getOperationAST(document, request.operationName);
  if (!operation) {
    const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
    throw new RequestError([gatewayError(GatewayErrorCode.OPERATION_RESOLUTION_FAILURE, message)], 400);
  }
  // A subscription changes nothing either, and a browser's EventSource can only GET.
  if (request.method === 'GET' && operation.operation === OperationTypeNode.MUTATION) {
    const error = gatewayError(GatewayErrorCode.BAD_REQUEST, `Can only perform a ${operation.operation} operation from a POST request.`);
    throw new RequestError([error], 405, { allow: 'POST' });
  }
  if (operation.operation === OperationTypeNode.SUBSCRIPTION && !streaming) {
    const message = 'Subscriptions need a streaming transport: a WebSocket (graphql-transport-ws), Server-Sent Events (Accept: text/event-stream) or multipart HTTP (Accept: multipart/mixed;subscriptionSpec="1.0").';
    throw new RequestError([gatewayError(GatewayErrorCode.OPERATION_NOT_SUPPORTED, message)], 400);
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (request.variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) {
    throw new RequestError(
      coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: GatewayErrorCode.BAD_USER_INPUT } })),
      400,
    );
  }
  return { operation, variables: coerced.coerced };
}
