import { Kind, parse, print, visit, type ConstDirectiveNode } from 'graphql';

const SECURITY_SPECS = ['https://specs.apollo.dev/authenticated/', 'https://specs.apollo.dev/requiresScopes/', 'https://specs.apollo.dev/policy/'];
const DIRECTIVES = new Set(['authenticated', 'requiresScopes', 'policy']);
const SCALARS = new Set(['requiresScopes__Scope', 'policy__Policy']);

/**
 * The same supergraph without the authorization directives and their @links. @apollo/gateway, our
 * oracle, refuses supergraphs that link SECURITY features (UNSUPPORTED_LINKED_FEATURE); it gets this
 * copy, Junction keeps the original.
 */
export function stripSecurityFeatures(supergraphSdl: string): string {
  const isSecurityLink = (d: ConstDirectiveNode) =>
    d.name.value === 'link' &&
    d.arguments?.some((a) => a.name.value === 'url' && a.value.kind === Kind.STRING && SECURITY_SPECS.some((s) => (a.value as { value: string }).value.startsWith(s)));
  const stripped = visit(parse(supergraphSdl), {
    Directive(node) {
      if (DIRECTIVES.has(node.name.value) || isSecurityLink(node as ConstDirectiveNode)) return null;
      return undefined;
    },
    DirectiveDefinition(node) {
      return DIRECTIVES.has(node.name.value) ? null : undefined;
    },
    ScalarTypeDefinition(node) {
      return SCALARS.has(node.name.value) ? null : undefined;
    },
  });
  return print(stripped);
}
