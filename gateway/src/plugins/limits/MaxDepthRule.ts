import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import { GatewayErrorCode } from '../../errors/gatewayError';

/**
 * Rejects operations whose fields nest deeper than `maxDepth`, fragments expanded. Root fields are at
 * depth 1. Fragment cycles are NoFragmentCyclesRule's to report; a cycle only stops the walk here.
 */
export function MaxDepthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    // `above` is the depth of the selection set's parent: the walk stops once past the limit.
    const depthOf = (set: SelectionSetNode, above: number, visiting: Set<string>): number => {
      let max = above;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          max = Math.max(max, sel.selectionSet && above + 1 <= maxDepth ? depthOf(sel.selectionSet, above + 1, visiting) : above + 1);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depthOf(sel.selectionSet, above, visiting));
        } else {
          const name = sel.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue;
          visiting.add(name);
          max = Math.max(max, depthOf(fragment.selectionSet, above, visiting));
          visiting.delete(name);
        }
        if (max > maxDepth) return max; // deep enough to reject; stop walking hostile documents
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Operation is nested deeper than the allowed ${maxDepth} levels.`, {
              nodes: node.name ? [node.name] : [node],
              extensions: { code: GatewayErrorCode.DEPTH_LIMIT_EXCEEDED, maxDepth },
            }),
          );
        }
      },
    };
  };
}
