/**
 * The cost directives of a schema, read once: `@cost(weight:)` on fields, types, arguments, input
 * fields, enums and scalars, and `@listSize` on fields (IBM's GraphQL Cost Directive spec, as
 * Apollo Federation 2.9 defines it: https://ibm.github.io/graphql-specs/cost-spec.html). Subgraph
 * schemas extracted from a supergraph name them `@federation__cost` / `@federation__listSize`.
 */
import {
  Kind,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type ConstDirectiveNode,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

export interface ListSizeSpec {
  readonly assumedSize: number | undefined;
  readonly slicingArguments: readonly string[];
  readonly sizedFields: readonly string[];
  readonly requireOneSlicingArgument: boolean;
}

export interface CostSchema {
  readonly schema: GraphQLSchema;
  /** The field's @cost, else its return type's @cost. */
  fieldCost(typeName: string, fieldName: string): number | undefined;
  /** The argument's @cost, else its type's @cost. */
  argumentCost(typeName: string, fieldName: string, argumentName: string): number | undefined;
  /** The input field's @cost, else its type's @cost. */
  inputFieldCost(inputTypeName: string, fieldName: string): number | undefined;
  listSizes(typeName: string, fieldName: string): readonly ListSizeSpec[];
  /** Whether any cost directive appears at all. */
  readonly hasDirectives: boolean;
}

const cache = new WeakMap<GraphQLSchema, CostSchema>();

export function costSchemaOf(schema: GraphQLSchema): CostSchema {
  let cs = cache.get(schema);
  if (!cs) {
    cs = build(schema);
    cache.set(schema, cs);
  }
  return cs;
}

function directiveNames(schema: GraphQLSchema): { cost: Set<string>; listSize: Set<string> } {
  const cost = new Set(['cost', 'federation__cost']);
  const listSize = new Set(['listSize', 'federation__listSize']);
  // `@link(url: ".../cost/v0.1", import: [{ name: "@cost", as: "@myCost" }])` renames them.
  for (const link of [...(schema.astNode?.directives ?? []), ...schema.extensionASTNodes.flatMap((n) => n.directives ?? [])]) {
    if (link.name.value !== 'link') continue;
    const imports = link.arguments?.find((a) => a.name.value === 'import')?.value;
    if (imports?.kind !== Kind.LIST) continue;
    for (const entry of imports.values) {
      if (entry.kind !== Kind.OBJECT) continue;
      const name = entry.fields.find((f) => f.name.value === 'name')?.value;
      const as = entry.fields.find((f) => f.name.value === 'as')?.value;
      if (name?.kind !== Kind.STRING || as?.kind !== Kind.STRING) continue;
      if (name.value === '@cost') cost.add(as.value.replace(/^@/, ''));
      if (name.value === '@listSize') listSize.add(as.value.replace(/^@/, ''));
    }
  }
  return { cost, listSize };
}

function build(schema: GraphQLSchema): CostSchema {
  const names = directiveNames(schema);
  let hasDirectives = false;
  const weightOf = (directives: readonly ConstDirectiveNode[] | undefined): number | undefined => {
    for (const d of directives ?? []) {
      if (!names.cost.has(d.name.value)) continue;
      const arg = d.arguments?.find((a) => a.name.value === 'weight')?.value;
      if (arg?.kind === Kind.INT || arg?.kind === Kind.FLOAT) {
        hasDirectives = true;
        return Number(arg.value);
      }
    }
    return undefined;
  };
  const typeWeight = new Map<string, number | undefined>();
  const weightOfType = (type: GraphQLNamedType): number | undefined => {
    if (!typeWeight.has(type.name)) {
      typeWeight.set(type.name, weightOf([...(type.astNode?.directives ?? []), ...type.extensionASTNodes.flatMap((n) => n.directives ?? [])]));
    }
    return typeWeight.get(type.name);
  };
  const fields = new Map<string, { cost: number | undefined; args: Map<string, number | undefined>; listSizes: ListSizeSpec[] }>();
  const inputFields = new Map<string, number | undefined>();

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    weightOfType(type);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const args = new Map<string, number | undefined>();
        for (const arg of field.args) args.set(arg.name, weightOf(arg.astNode?.directives) ?? weightOfType(getNamedType(arg.type)));
        const listSizes: ListSizeSpec[] = [];
        for (const d of field.astNode?.directives ?? []) {
          if (!names.listSize.has(d.name.value)) continue;
          hasDirectives = true;
          const arg = (n: string) => d.arguments?.find((a) => a.name.value === n)?.value;
          const strings = (n: string) => {
            const v = arg(n);
            return v?.kind === Kind.LIST ? v.values.flatMap((x) => (x.kind === Kind.STRING ? [x.value] : [])) : [];
          };
          const assumed = arg('assumedSize');
          const requireOne = arg('requireOneSlicingArgument');
          listSizes.push({
            assumedSize: assumed?.kind === Kind.INT ? Number(assumed.value) : undefined,
            slicingArguments: strings('slicingArguments'),
            sizedFields: strings('sizedFields'),
            requireOneSlicingArgument: requireOne?.kind === Kind.BOOLEAN ? requireOne.value : true,
          });
        }
        fields.set(`${type.name}.${field.name}`, { cost: weightOf(field.astNode?.directives) ?? weightOfType(getNamedType(field.type)), args, listSizes });
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        inputFields.set(`${type.name}.${field.name}`, weightOf(field.astNode?.directives) ?? weightOfType(getNamedType(field.type)));
      }
    }
  }
  return {
    schema,
    hasDirectives,
    fieldCost: (t, f) => fields.get(`${t}.${f}`)?.cost,
    argumentCost: (t, f, a) => fields.get(`${t}.${f}`)?.args.get(a),
    inputFieldCost: (t, f) => inputFields.get(`${t}.${f}`),
    listSizes: (t, f) => fields.get(`${t}.${f}`)?.listSizes ?? [],
  };
}

/** Cost schemas of the subgraphs of a supergraph, by name, built on first use. */
export function subgraphCostSchemas(subgraphSchema: (name: string) => GraphQLSchema | undefined): (name: string) => CostSchema | undefined {
  const built = new Map<string, CostSchema | undefined>();
  return (name) => {
    if (!built.has(name)) {
      const schema = subgraphSchema(name);
      built.set(name, schema ? costSchemaOf(schema) : undefined);
    }
    return built.get(name);
  };
}
