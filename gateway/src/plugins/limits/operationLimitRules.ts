import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import { GatewayErrorCode } from '../../errors/gatewayError';

/**
 * Validation rules that refuse abusive operations before they are planned. Each counts through
 * fragments (once per use: a fragment spread ten times counts ten times) and stops counting once
 * over the limit, so a hostile document costs little to refuse.
 */

function fragmentsOf(context: ValidationContext): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return fragments;
}

function limitError(code: GatewayErrorCode, message: string, limit: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, limit } });
}

/**
 * Counts the fields of an operation that `counts` selects, fragments expanded, `nested` saying
 * whether to look below the top level; stops once past `max`.
 */
function countFields(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  counts: (field: { alias?: unknown }) => boolean,
  nested: boolean,
  max: number,
  seen = new Set<string>(),
): number {
  let n = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (counts(sel)) n++;
      if (nested && sel.selectionSet) n += countFields(sel.selectionSet, fragments, counts, nested, max - n, seen);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      n += countFields(sel.selectionSet, fragments, counts, nested, max - n, seen);
    } else {
      const f = fragments.get(sel.name.value);
      if (f && !seen.has(f.name.value)) {
        seen.add(f.name.value);
        n += countFields(f.selectionSet, fragments, counts, nested, max - n, seen);
        seen.delete(f.name.value);
      }
    }
    if (n > max) return n;
  }
  return n;
}

/** At most `max` aliased fields in an operation (alias bombs). */
export function MaxAliasesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context);
    return {
      OperationDefinition(node) {
        if (countFields(node.selectionSet, fragments, (f) => f.alias !== undefined, true, max) > max) {
          context.reportError(limitError(GatewayErrorCode.ALIAS_LIMIT_EXCEEDED, `Operation has more than the allowed ${max} aliases.`, max));
        }
      },
    };
  };
}

/** At most `max` root fields in an operation. */
export function MaxRootFieldsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = fragmentsOf(context);
    return {
      OperationDefinition(node) {
        if (countFields(node.selectionSet, fragments, () => true, false, max) > max) {
          context.reportError(limitError(GatewayErrorCode.ROOT_FIELD_LIMIT_EXCEEDED, `Operation has more than the allowed ${max} root fields.`, max));
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
