import { GraphQLError, Kind, visit, type DirectiveNode, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { GatewayErrorCode } from '../../errors/gatewayError';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import { selectionStatsOf, type SelectionStats } from './selectionStats';

/**
 * The limits that refuse abusive documents before graphql-js's validation, planning and every other
 * analysis run. Counts are taken through fragments, each spread counted every time it is used, in
 * time linear in the document (see selectionStats).
 *
 * They are checked by a walk of their own, not as validation rules: graphql-js's validation tracks
 * the type of every node it visits, which costs several times a plain walk, and most documents over
 * a limit are hostile ones. Refusing them takes a small part of what validating them would.
 */

/** The operation limits; 0 turns one off. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxSelections: number;
  maxIntrospectionFields: number;
}

export interface DocumentLimits extends OperationLimits {
  /** Directive applications in the whole document; 0 turns it off. */
  maxDirectives: number;
  /** False refuses every `__schema` and `__type` field (not `__typename`). */
  introspection: boolean;
}

/** As graphql-js's validation: a document cannot make the answer grow without bound. */
const MAX_ERRORS = 100;

/** The errors of the limits a document exceeds, in document order (empty when it meets them all). */
export function documentLimitErrors(document: DocumentNode, limits: DocumentLimits): GraphQLError[] {
  const errors: GraphQLError[] = [];
  // Of two fragments with one name, the last is counted, as graphql-js's validation would see it.
  const statsOf = selectionStatsOf(fragmentsOf(document));
  let directives = 0;
  const report = (error: GraphQLError) => {
    if (errors.length < MAX_ERRORS) errors.push(error);
  };
  const countDirectives = (nodes: readonly DirectiveNode[] | undefined) => {
    if (!nodes || nodes.length === 0 || limits.maxDirectives <= 0) return;
    const before = directives;
    directives += nodes.length;
    if (before <= limits.maxDirectives && directives > limits.maxDirectives) {
      report(limitError(GatewayErrorCode.DIRECTIVE_LIMIT_EXCEEDED, `Document has more than the allowed ${limits.maxDirectives} directives.`, limits.maxDirectives));
    }
  };
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (!limits.introspection && (name === '__schema' || name === '__type')) {
          report(new GraphQLError('Introspection is disabled on this gateway.', { nodes: [selection], extensions: { code: GatewayErrorCode.INTROSPECTION_DISABLED } }));
        }
      }
      countDirectives(selection.directives);
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (definition.kind === Kind.OPERATION_DEFINITION) operationErrors(definition, statsOf(definition), limits).forEach(report);
      for (const variable of definition.variableDefinitions ?? []) countDirectives(variable.directives);
      countDirectives(definition.directives);
      walk(definition.selectionSet);
    } else {
      // Type definitions are refused by validation; their directives still count towards the limit.
      visit(definition, { Directive: (node) => countDirectives([node]) });
    }
  }
  return errors;
}

/** The limits one operation exceeds once its fragments are expanded. */
function operationErrors(node: OperationDefinitionNode, stats: SelectionStats, limits: OperationLimits): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const over = (limit: number, value: number) => limit > 0 && value > limit;
  const { maxDepth, maxAliases, maxRootFields, maxSelections, maxIntrospectionFields } = limits;
  if (over(maxDepth, stats.depth)) {
    errors.push(
      new GraphQLError(`Operation is nested deeper than the allowed ${maxDepth} levels.`, {
        nodes: node.name ? [node.name] : [node],
        extensions: { code: GatewayErrorCode.DEPTH_LIMIT_EXCEEDED, maxDepth },
      }),
    );
  }
  if (over(maxAliases, stats.aliases)) {
    errors.push(limitError(GatewayErrorCode.ALIAS_LIMIT_EXCEEDED, `Operation has more than the allowed ${maxAliases} aliases.`, maxAliases));
  }
  if (over(maxRootFields, stats.rootFields)) {
    errors.push(limitError(GatewayErrorCode.ROOT_FIELD_LIMIT_EXCEEDED, `Operation has more than the allowed ${maxRootFields} root fields.`, maxRootFields));
  }
  if (over(maxSelections, stats.selections)) {
    errors.push(limitError(GatewayErrorCode.SELECTION_LIMIT_EXCEEDED, `Operation selects more than the allowed ${maxSelections} fields once its fragments are expanded.`, maxSelections));
  }
  if (over(maxIntrospectionFields, stats.introspectionFields)) {
    errors.push(
      limitError(GatewayErrorCode.INTROSPECTION_LIMIT_EXCEEDED, `Operation has more than the allowed ${maxIntrospectionFields} __schema and __type fields.`, maxIntrospectionFields),
    );
  }
  return errors;
}

function limitError(code: GatewayErrorCode, message: string, limit: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, limit } });
}
