import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import { GatewayErrorCode } from '../../errors/gatewayError';
import { fragmentsOf } from '../../graphql/fragmentsOf';
import { selectionStatsOf } from './selectionStats';

/**
 * Validation rules that refuse abusive operations before graphql-js's own rules, planning and every
 * other analysis run. Counts are taken through fragments, each spread counted every time it is used,
 * in time linear in the document (see selectionStats).
 */

/** The operation limits; 0 turns one off. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxSelections: number;
  maxIntrospectionFields: number;
}

function limitError(code: GatewayErrorCode, message: string, limit: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, limit } });
}

/** Depth, aliases, root fields, selections and introspection fields of each operation, fragments expanded. */
export function OperationLimitsRule(limits: OperationLimits) {
  return (context: ValidationContext): ASTVisitor => {
    // Runs before UniqueFragmentNamesRule: of two fragments with one name, the last is counted.
    const statsOf = selectionStatsOf(fragmentsOf(context.getDocument()));
    const over = (limit: number, value: number) => limit > 0 && value > limit;
    return {
      OperationDefinition(node) {
        const stats = statsOf(node);
        const { maxDepth, maxAliases, maxRootFields, maxSelections, maxIntrospectionFields } = limits;
        if (over(maxDepth, stats.depth)) {
          context.reportError(
            new GraphQLError(`Operation is nested deeper than the allowed ${maxDepth} levels.`, {
              nodes: node.name ? [node.name] : [node],
              extensions: { code: GatewayErrorCode.DEPTH_LIMIT_EXCEEDED, maxDepth },
            }),
          );
        }
        if (over(maxAliases, stats.aliases)) {
          context.reportError(limitError(GatewayErrorCode.ALIAS_LIMIT_EXCEEDED, `Operation has more than the allowed ${maxAliases} aliases.`, maxAliases));
        }
        if (over(maxRootFields, stats.rootFields)) {
          context.reportError(limitError(GatewayErrorCode.ROOT_FIELD_LIMIT_EXCEEDED, `Operation has more than the allowed ${maxRootFields} root fields.`, maxRootFields));
        }
        if (over(maxSelections, stats.selections)) {
          context.reportError(
            limitError(GatewayErrorCode.SELECTION_LIMIT_EXCEEDED, `Operation selects more than the allowed ${maxSelections} fields once its fragments are expanded.`, maxSelections),
          );
        }
        if (over(maxIntrospectionFields, stats.introspectionFields)) {
          context.reportError(
            limitError(
              GatewayErrorCode.INTROSPECTION_LIMIT_EXCEEDED,
              `Operation has more than the allowed ${maxIntrospectionFields} __schema and __type fields.`,
              maxIntrospectionFields,
            ),
          );
        }
      },
    };
  };
}

/** At most `max` directive applications in the whole document. */
export function MaxDirectivesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let n = 0;
    let reported = false;
    return {
      Directive() {
        n++;
        if (n > max && !reported) {
          reported = true;
          context.reportError(limitError(GatewayErrorCode.DIRECTIVE_LIMIT_EXCEEDED, `Document has more than the allowed ${max} directives.`, max));
        }
      },
    };
  };
}
