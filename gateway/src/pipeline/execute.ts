import { GraphQLError, Kind, OperationTypeNode, executeSync, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '../deps';
import { GatewayErrorCode, formatError, gatewayError } from '../errors/gatewayError';
import { SubgraphError } from '../errors/subgraphError';
import { executePlan, type ExecutePlanOptions, type PlanExecutionResult, type SendFetch } from '../execution/executePlan';
import { applyOperationShape, type ApplyOptions, type FieldShape, type OperationShape } from '../execution/responseShape';
import type { BeforeSubgraphRequest, SubgraphClient } from '../execution/subgraphClient';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import type { Plan } from '../planning/plan';
import type { ExecutionResultBody } from '../plugins/types';
import type { GatewayResponse } from './result';

/** A validated, planned operation: everything a repeat request can reuse. */
export interface PreparedOperation {
  readonly operation: OperationDefinitionNode;
  readonly plan: Plan;
  readonly shape: OperationShape;
  readonly document: DocumentNode;
}

export interface ExecuteOptions {
  loaded: LoadedSupergraph;
  prepared: PreparedOperation;
  /** The variables as the client sent them (subgraphs get these), and coerced (shaping uses these). */
  requestVariables: Readonly<Record<string, unknown>>;
  variables: Readonly<Record<string, unknown>>;
  /** Errors a plugin's replacement of the operation adds (authorization). */
  replacementErrors: readonly GraphQLError[];
  client: SubgraphClient;
  before: BeforeSubgraphRequest | undefined;
  requestId: string;
  logger: Logger;
  allowedErrorExtensions: ReadonlySet<string>;
  /** `maskSubgraphErrors`, and the codes it lets through. */
  mask: { enabled: boolean; unmaskedCodes: readonly string[] };
}

/** Runs a prepared operation: its plan against the subgraphs, then the response shaped to the operation. */
export async function executeOperation(options: ExecuteOptions): Promise<GatewayResponse> {
  const execution = await executePlan(planExecution(options));
  return { status: 200, body: shapeResult(options, execution) };
}

/**
 * What the executor needs to run the operation's plan: its fetches go through the client with the
 * request's hooks. Those of a mutation are sent once and never shared; a query's, and the entity
 * fetches each subscription event runs, may be retried and deduplicated.
 */
export function planExecution(options: ExecuteOptions): ExecutePlanOptions {
  const { loaded, prepared, requestId } = options;
  const isQuery = prepared.operation.operation !== OperationTypeNode.MUTATION;
  const send: SendFetch = (fetch, body) => options.client.send(fetch.serviceName, loaded.subgraphUrls.get(fetch.serviceName), body, isQuery, { requestId, before: options.before });
  return {
    plan: prepared.plan,
    supergraphSchema: loaded.supergraphSchema,
    requestVariables: options.requestVariables,
    coercedVariables: options.variables,
    send,
    allowedErrorExtensions: options.allowedErrorExtensions,
    logger: options.logger,
    requestId,
  };
}

/** The client's response from what the plan's fetches gathered: shaped to the operation, errors masked as configured. */
export function shapeResult(options: ExecuteOptions, execution: PlanExecutionResult, deferred: ApplyOptions['deferred'] = 'inline'): ExecutionResultBody {
  const shaped = applyOperationShape(options.prepared.shape, execution.data, { ...shapeOptions(options), deferred });

  const body: ExecutionResultBody = {};
  const executionErrors = maskedErrors(options, execution.errors);
  const errors = [...options.replacementErrors, ...executionErrors];
  if (errors.length > 0) body.errors = errors.map(formatError);
  body.data = shaped.data;
  // As @apollo/gateway and Apollo Router do: value-completion problems are reported in
  // `extensions.valueCompletion`, and only when nothing else failed (they are usually echoes of it).
  if (errors.length === 0 && shaped.errors.length > 0) body.extensions = { valueCompletion: shaped.errors.map(formatError) };
  return body;
}

/** What shaping the operation's response needs: the API schema, the variables, introspection answered here. */
export function shapeOptions(options: ExecuteOptions): ApplyOptions {
  const { loaded, prepared } = options;
  return { schema: loaded.schema, variables: options.variables, introspect: (field) => introspect(loaded, prepared, field, options.requestVariables) };
}

/** `__schema` and `__type` are answered by the gateway from the API schema, never by a subgraph. */
function introspect(loaded: LoadedSupergraph, prepared: PreparedOperation, field: FieldShape, variables: Readonly<Record<string, unknown>>): unknown {
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        variableDefinitions: prepared.operation.variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field.node] },
      },
      ...prepared.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
    ],
  };
  const result = executeSync({ schema: loaded.schema, document, variableValues: variables as Record<string, unknown> });
  return result.data?.[field.responseName] ?? null;
}

/** The errors as the client may see them: with `maskSubgraphErrors`, subgraph errors masked (see masked). */
export function maskedErrors(options: ExecuteOptions, errors: readonly GraphQLError[]): readonly GraphQLError[] {
  return options.mask.enabled ? errors.map((e) => masked(e, options)) : errors;
}

/**
 * With `maskSubgraphErrors`: an error a subgraph reported becomes a generic one; the original goes
 * to the log. Junction's own errors about subgraphs are not SubgraphErrors and stay as they are,
 * whatever code a subgraph sends.
 */
function masked(error: GraphQLError, options: ExecuteOptions): GraphQLError {
  if (!(error instanceof SubgraphError)) return error;
  const serviceName = error.extensions.serviceName;
  const code = error.extensions.code;
  if (typeof code === 'string' && options.mask.unmaskedCodes.includes(code)) return error;
  options.logger.warn('subgraph error masked', { requestId: options.requestId, subgraph: serviceName, message: error.message, code, path: error.path });
  return gatewayError(GatewayErrorCode.INTERNAL_SERVER_ERROR, 'Unexpected error.', { path: error.path, extensions: { requestId: options.requestId } });
}
