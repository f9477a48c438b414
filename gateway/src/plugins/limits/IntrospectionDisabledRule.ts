import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import { GatewayErrorCode } from '../../errors/gatewayError';

/** Refuses `__schema` and `__type` (but not `__typename`) when introspection is turned off. */
export function IntrospectionDisabledRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          new GraphQLError('Introspection is disabled on this gateway.', { nodes: [node], extensions: { code: GatewayErrorCode.INTROSPECTION_DISABLED } }),
        );
      }
    },
  };
}
