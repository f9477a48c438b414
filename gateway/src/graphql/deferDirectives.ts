/**
 * `@defer` in client documents (incremental delivery, graphql-js 17's rules and Apollo Router's
 * semantics): which fragments are deferred, the labels that name them, and the rules a document
 * must meet to use it.
 */
import { GraphQLError, Kind, OperationTypeNode, visit, type ASTVisitor, type DirectiveNode, type DocumentNode, type ValidationContext } from 'graphql';

/**
 * The prefix of the labels the gateway gives `@defer`s that have none: each deferred fragment then
 * has a label that names it from the plan (Apollo's planner reports labels) to the response shape.
 * Such labels are never sent to clients. A client's own label with this prefix is refused.
 */
export const ASSIGNED_LABEL_PREFIX = 'junction__defer_';

/** A cheap first look: a document whose text has no `@defer` does not use it. */
export function mayUseDefer(text: string | undefined): boolean {
  return text === undefined || text.includes('defer');
}

/**
 * `document` with a label on every `@defer` that has none (`junction__defer_0`, `_1`…, in document
 * order); the document itself when it has no `@defer`. The labels are literal strings: validation
 * (DeferRule) has already refused variables there.
 */
export function labelDefers(document: DocumentNode): DocumentNode {
  let next = 0;
  let changed = false;
  const labelled = visit(document, {
    Directive(node) {
      if (node.name.value !== 'defer' || node.arguments?.some((a) => a.name.value === 'label')) return undefined;
      changed = true;
      const label = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value: `${ASSIGNED_LABEL_PREFIX}${next++}` } } as const;
      return { ...node, arguments: [...(node.arguments ?? []), label] };
    },
  });
  return changed ? labelled : document;
}

/** The label of a `@defer` directive (after labelDefers, every one has one). */
export function deferLabel(directive: DirectiveNode): string | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === 'label');
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

/** The label a client is told: its own, never one the gateway assigned. */
export function clientLabel(label: string | undefined): string | undefined {
  return label === undefined || label.startsWith(ASSIGNED_LABEL_PREFIX) ? undefined : label;
}

/**
 * What `@defer(if:)` makes of a fragment: `false` (not deferred: no directive, or `if: false`),
 * `true`, or the variable that decides it per request.
 */
export function deferCondition(directives: readonly DirectiveNode[] | undefined): { label: string | undefined; when: boolean | string } | undefined {
  const directive = directives?.find((d) => d.name.value === 'defer');
  if (!directive) return undefined;
  const arg = directive.arguments?.find((a) => a.name.value === 'if');
  let when: boolean | string = true;
  if (arg?.value.kind === Kind.BOOLEAN) when = arg.value.value;
  else if (arg?.value.kind === Kind.VARIABLE) when = arg.value.name.value;
  return { label: deferLabel(directive), when };
}

/**
 * The spec's rules for `@defer` (graphql-js 17's DeferStreamDirectiveLabelRule and
 * DeferStreamDirectiveOnRootFieldRule), and Apollo's planner's: a label is a literal string, unique
 * in the document, not one of the gateway's; no `@defer` directly on a mutation's or a
 * subscription's root fields (their order and their single stream cannot be split).
 */
export function DeferRule(context: ValidationContext): ASTVisitor {
  const labels = new Set<string>();
  let rootKind: OperationTypeNode | undefined;
  let depth = 0;
  return {
    OperationDefinition: {
      enter(node) {
        rootKind = node.operation;
        depth = 0;
      },
    },
    SelectionSet: {
      enter() {
        depth++;
      },
      leave() {
        depth--;
      },
    },
    Directive(node) {
      if (node.name.value !== 'defer') return;
      const label = node.arguments?.find((a) => a.name.value === 'label');
      if (label && label.value.kind !== Kind.STRING) {
        context.reportError(new GraphQLError('The label of @defer must be a literal string.', { nodes: node }));
      } else if (label?.value.kind === Kind.STRING) {
        const value = label.value.value;
        if (labels.has(value)) context.reportError(new GraphQLError(`The label "${value}" is on more than one @defer: each must be unique.`, { nodes: node }));
        if (value.startsWith(ASSIGNED_LABEL_PREFIX)) context.reportError(new GraphQLError(`Labels starting with "${ASSIGNED_LABEL_PREFIX}" are the gateway's.`, { nodes: node }));
        labels.add(value);
      }
      // In the operation's own selections: a fragment defined apart is refused by the planner
      // where it is spread.
      if (rootKind === OperationTypeNode.SUBSCRIPTION) {
        context.reportError(new GraphQLError('@defer cannot be used in a subscription: each event is one payload.', { nodes: node }));
      } else if (depth === 1 && rootKind === OperationTypeNode.MUTATION) {
        context.reportError(new GraphQLError('@defer cannot be used on the root fields of a mutation.', { nodes: node }));
      }
    },
    FragmentDefinition: {
      enter() {
        rootKind = undefined;
      },
    },
  };
}
