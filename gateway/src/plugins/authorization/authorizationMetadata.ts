import { Kind, isInterfaceType, isObjectType, type ConstDirectiveNode, type GraphQLSchema, type ValueNode } from 'graphql';

/**
 * What one type or field requires, from the supergraph's `@authenticated`, `@requiresScopes` and
 * `@policy`. Each `scopes`/`policies` entry is one directive application: a list of alternatives
 * (OR), each a list that must all hold (AND). Every entry must be satisfied.
 */
export interface Requirement {
  readonly authenticated: boolean;
  readonly scopes: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
  readonly policies: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
}

export interface AuthorizationMetadata {
  /** False when the supergraph uses none of the directives: authorization has nothing to do. */
  readonly active: boolean;
  typeRequirement(typeName: string): Requirement | undefined;
  fieldRequirement(typeName: string, fieldName: string): Requirement | undefined;
}

const SPECS = {
  authenticated: 'https://specs.apollo.dev/authenticated/',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes/',
  policy: 'https://specs.apollo.dev/policy/',
} as const;

const cache = new WeakMap<GraphQLSchema, AuthorizationMetadata>();

/** Reads the requirements from the supergraph schema (not the API schema, which drops the directives). */
export function authorizationMetadata(supergraphSchema: GraphQLSchema): AuthorizationMetadata {
  let metadata = cache.get(supergraphSchema);
  if (!metadata) {
    metadata = build(supergraphSchema);
    cache.set(supergraphSchema, metadata);
  }
  return metadata;
}

function build(schema: GraphQLSchema): AuthorizationMetadata {
  const names = directiveNames(schema);
  const types = new Map<string, Requirement>();
  const fields = new Map<string, Requirement>();
  if (names) {
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      const req = requirementOf([...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])], names);
      if (req) types.set(type.name, req);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const fieldReq = requirementOf(field.astNode?.directives ?? [], names);
          if (fieldReq) fields.set(`${type.name}.${field.name}`, fieldReq);
        }
      }
    }
  }
  return {
    active: types.size > 0 || fields.size > 0,
    typeRequirement: (t) => types.get(t),
    fieldRequirement: (t, f) => fields.get(`${t}.${f}`),
  };
}

type Names = { authenticated?: string; requiresScopes?: string; policy?: string };

/** The directive names the supergraph's `@link`s give the three specs (`as:` may rename them). */
function directiveNames(schema: GraphQLSchema): Names | undefined {
  const names: Names = {};
  const links = [...(schema.astNode?.directives ?? []), ...schema.extensionASTNodes.flatMap((n) => n.directives ?? [])].filter((d) => d.name.value === 'link');
  for (const link of links) {
    const url = stringArg(link, 'url');
    if (!url) continue;
    for (const [key, prefix] of Object.entries(SPECS) as Array<[keyof Names, string]>) {
      if (url.startsWith(prefix)) names[key] = stringArg(link, 'as') ?? key;
    }
  }
  return Object.keys(names).length > 0 ? names : undefined;
}

function stringArg(directive: ConstDirectiveNode, name: string): string | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

function requirementOf(directives: readonly ConstDirectiveNode[], names: Names): Requirement | undefined {
  let authenticated = false;
  const scopes: string[][][] = [];
  const policies: string[][][] = [];
  for (const d of directives) {
    const name = d.name.value;
    if (name === names.authenticated) authenticated = true;
    else if (name === names.requiresScopes) scopes.push(listOfLists(d.arguments?.find((a) => a.name.value === 'scopes')?.value));
    else if (name === names.policy) policies.push(listOfLists(d.arguments?.find((a) => a.name.value === 'policies')?.value));
  }
  return authenticated || scopes.length > 0 || policies.length > 0 ? { authenticated, scopes, policies } : undefined;
}

function listOfLists(value: ValueNode | undefined): string[][] {
  if (!value || value.kind !== Kind.LIST) return [];
  return value.values.map((inner) =>
    inner.kind === Kind.LIST ? inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : inner.kind === Kind.STRING ? [inner.value] : [],
  );
}
