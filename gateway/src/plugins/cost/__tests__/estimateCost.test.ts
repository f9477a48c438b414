/**
 * The cost calculator against hand-computed numbers. The schemas, operations and expected numbers
 * of Apollo Router's own cost calculator tests (apollo-router/src/plugins/demand_control/
 * cost_calculator) are ported here: the same operation must get the same estimate.
 */
import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { composeSupergraph } from '../../../composition/composeSupergraph';
import { loadSupergraph } from '../../../planning/loadSupergraph';
import { planOperation } from '../../../planning/planOperation';
import { costSchemaOf, subgraphCostSchemas } from '../costSchema';
import { actualCost, CostError, estimateOperation, estimatePlan } from '../estimateCost';
import { BASIC_CASES, BASIC_SDL, CUSTOM_CASES, CUSTOM_COST_QUERY, CUSTOM_SDL } from '../../../../../test/fixtures/costCases';

const COST_DIRECTIVES = /* GraphQL */ `
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
`;

/** Router's basic_schema.graphql. */
const BASIC = buildSchema(BASIC_SDL);

/** The parts of Router's custom_cost_schema.graphql its queries use, plus our own cases. */
const CUSTOM = buildSchema(COST_DIRECTIVES + CUSTOM_SDL);

function operationOf(query: string): { operation: OperationDefinitionNode; fragments: Map<string, FragmentDefinitionNode> } {
  const doc = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION) operation ??= def;
  }
  return { operation: operation!, fragments };
}

const estimate = (schema: typeof BASIC, query: string, variables: Record<string, unknown> = {}, listSize = 100) => {
  const { operation, fragments } = operationOf(query);
  return estimateOperation(costSchemaOf(schema), operation, fragments, variables, listSize);
};


describe('Apollo Router cost calculator cases', () => {
  it.each(BASIC_CASES)('%s: %s = %d', (_name, query, expected) => {
    expect(estimate(BASIC, query)).toBe(expected);
  });

  it('input_object_cost_with_returned_objects: actual cost from the response', () => {
    const { operation, fragments } = operationOf('{ getObjectsByObject(args: { inner: { id: 1 }, listOfInner: [{ id: 2 }, { id: 3 }] }) { field1 field2 } }');
    const data = { getObjectsByObject: [{ field1: 1, field2: 'a' }, { field1: 2, field2: 'b' }, { field1: 3, field2: 'c' }] };
    expect(actualCost(costSchemaOf(BASIC), operation, fragments, {}, data)).toBe(7);
  });

  it('custom_cost_query: 127 estimated, 125 actual', () => {
    expect(estimate(CUSTOM, CUSTOM_COST_QUERY)).toBe(127);
    const { operation, fragments } = operationOf(CUSTOM_COST_QUERY);
    const data = {
      fieldWithCost: 1,
      argWithCost: 2,
      enumWithCost: 'A',
      inputWithCost: 3,
      scalarWithCost: 4,
      objectWithCost: { id: 5 },
      fieldWithListSize: ['first', 'second', 'third'],
      fieldWithDynamicListSize: { items: [{ id: 6 }, { id: 7 }, { id: 8 }] },
    };
    expect(actualCost(costSchemaOf(CUSTOM), operation, fragments, {}, data)).toBe(125);
  });

  it('custom_cost_query_with_default_slicing_argument: 132', () => {
    expect(estimate(CUSTOM, CUSTOM_COST_QUERY.replace('fieldWithDynamicListSize(first: 5)', 'fieldWithDynamicListSize'))).toBe(132);
  });

  it('custom_cost_query_with_variable_slicing_argument: 127', () => {
    const query = CUSTOM_COST_QUERY.replace('{\n  fieldWithCost', 'query VariableTestQuery($costlyInput: InputTypeWithCost, $fieldCountVar: Int) {\n  fieldWithCost')
      .replace('inputWithCost(someInput: { somethingWithCost: 10 })', 'inputWithCost(someInput: $costlyInput)')
      .replace('fieldWithDynamicListSize(first: 5)', 'fieldWithDynamicListSize(first: $fieldCountVar)');
    expect(estimate(CUSTOM, query, { costlyInput: { somethingWithCost: 10 }, fieldCountVar: 5 })).toBe(127);
  });
});

describe('more cases', () => {
  it.each(CUSTOM_CASES)('%s', (_name, query, variables, expected) => {
    expect(estimate(CUSTOM, query, variables as Record<string, unknown>, 10)).toBe(expected);
  });

  it('requireOneSlicingArgument refuses several slicing arguments', () => {
    expect(() => estimate(CUSTOM, '{ paged(first: 2, last: 3) { id } }')).toThrow(CostError);
    expect(estimate(CUSTOM, '{ paged(first: 2) { id } }')).toBe(2);
  });
});

describe('slicing arguments an attacker picks', () => {
  // Negative sizes once made `topProducts(first: -1000000)` estimate below zero: under every limit,
  // and a refund that filled the caller's bucket.
  it.each([
    ['a negative literal sizes the list 0', '{ lenient(first: -1000000) { id } }', {}, 0],
    ['a negative variable too', 'query($n: Int) { lenient(first: $n) { id } }', { n: -1000000 }, 0],
    ['beside a positive one, the positive one counts', '{ lenient(first: -5, last: 3) { id } }', {}, 3],
    ['a negative size through a nested path', 'query($i: SearchInput!) { search(input: $i) { id } }', { i: { pagination: { first: -7 } } }, 0 + 1 + 1],
    ['a negative sized field', '{ fieldWithDynamicListSize(first: -3) { items { id } } }', {}, 1],
  ])('%s', (_name, query, variables, expected) => {
    expect(estimate(CUSTOM, query, variables as Record<string, unknown>, 10)).toBe(expected);
  });

  it('huge sizes through nested lists stay a finite number, over any limit', () => {
    const schema = buildSchema(COST_DIRECTIVES + `
      type Query { nodes(first: Int): [Node] @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) }
      type Node { children(first: Int): [Node] @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) id: ID }`);
    const max = 2147483647;
    const nested = (depth: number) => '{ nodes(first: ' + max + ') { ' + ('children(first: ' + max + ') { ').repeat(depth) + 'id' + ' }'.repeat(depth) + ' } }';
    for (const depth of [1, 5, 40]) {
      const cost = estimate(schema, nested(depth));
      expect(Number.isFinite(cost)).toBe(true);
      expect(cost).toBeGreaterThan(1e15);
      expect(cost).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    }
  });
});

describe('fragments are walked once, however often they are spread', () => {
  // 40 fragments each spreading the next one twice: a walk of the expansion would take 2^40 steps.
  const chain = (n: number, on: string, last: string) =>
    Array.from({ length: n }, (_, i) => `fragment F${i} on ${on} { ...F${i + 1} ...F${i + 1} }`).join(' ') + ` fragment F${n} on ${on} { ${last} }`;

  it('actual cost of a response to a doubling chain', () => {
    const { operation, fragments } = operationOf('{ getObjectsByObject(args: {}) { ...F0 } } ' + chain(40, 'SecondObjectType', 'field1 field2'));
    const data = { getObjectsByObject: [{ field1: 1, field2: 'a' }, { field1: 2, field2: 'b' }] };
    expect(actualCost(costSchemaOf(BASIC), operation, fragments, {}, data)).toBe(2 + 1);
  });
});

describe('federated: the plan is scored fetch by fetch with subgraph schemas', () => {
  // Router's federated_ships schema, as its two subgraphs.
  const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${imports}])\n`;
  const outcome = composeSupergraph([
    {
      name: 'users',
      url: 'http://users/graphql',
      sdl:
        link('"@key", "@shareable"') +
        'type Query { users: [User!]! } type User @key(fields: "licenseNumber") { licenseNumber: ID! name: String! addresses: [Address!]! } type Address @shareable { street: String! zipCode: Int! }',
    },
    {
      name: 'vehicles',
      url: 'http://vehicles/graphql',
      sdl:
        link('"@key", "@external", "@requires"') +
        'type Query { ships: [Ship!]! } type Ship @key(fields: "id") { id: ID! name: String! owner: User! registrationFee: Float @requires(fields: "owner { addresses { zipCode } }") } type User @key(fields: "licenseNumber") { licenseNumber: ID! addresses: [Address!]! @external } type Address { zipCode: Int! @external }',
    },
  ]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  const loaded = loadSupergraph(outcome.supergraphSdl);
  const planned = (query: string) => estimatePlan(planOperation(loaded, parse(query), undefined), subgraphCostSchemas(loaded.subgraphSchema), {}, 100);
  const supergraphLevel = (query: string) => {
    const { operation, fragments } = operationOf(query);
    return estimateOperation(costSchemaOf(loaded.schema), operation, fragments, {}, 100);
  };

  it('federated_query_with_name: 100 estimated, 2 actual', () => {
    const query = 'query NamedQuery { users { licenseNumber name } }';
    expect(supergraphLevel(query)).toBe(100);
    expect(planned(query)).toBe(100);
    const { operation, fragments } = operationOf(query);
    expect(actualCost(costSchemaOf(loaded.schema), operation, fragments, {}, { users: [{ licenseNumber: '1', name: 'a' }, { licenseNumber: '2', name: 'b' }] })).toBe(2);
  });

  it('federated_query_with_requires: the plan counts the entity fetches (10400)', () => {
    expect(planned('{ ships { name registrationFee } }')).toBe(10400);
  });

  it('federated_query_with_fragments and inline fragments: 400 planned', () => {
    expect(planned('fragment nameAndLicense on User { licenseNumber name } fragment identifiedOwner on Ship { owner { ...nameAndLicense } } { ships { ...identifiedOwner } users { ...nameAndLicense } }')).toBe(400);
    expect(planned('{ ships { owner { ... on User { licenseNumber name } } } users { ... on User { licenseNumber name } } }')).toBe(400);
  });

  it('a Condition node costs its more expensive branch', () => {
    const plan = planOperation(loaded, parse('query($b: Boolean!) { ships { name registrationFee @include(if: $b) } }'), undefined);
    expect(JSON.stringify(plan)).toContain('"Condition"');
    expect(estimatePlan(plan, subgraphCostSchemas(loaded.subgraphSchema), { b: false }, 100)).toBe(10400);
  });
});

it('reads @cost and @listSize as composed into a supergraph and its subgraphs (federation 2.9)', () => {
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])\n';
  const outcome = composeSupergraph([
    { name: 'a', url: 'http://a', sdl: link + 'type Query { items(first: Int = 5): [Item] @listSize(slicingArguments: ["first"]) } type Item @key(fields: "id") { id: ID! }' },
    { name: 'b', url: 'http://b', sdl: link + 'type Item @key(fields: "id") { id: ID! price(currency: String @cost(weight: 4)): Int @cost(weight: 7) }' },
  ]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  const loaded = loadSupergraph(outcome.supergraphSdl);
  const query = '{ items(first: 3) { id price(currency: "EUR") } }';
  const { operation, fragments } = operationOf(query);
  // items: 3 x (1 + price 7 + currency 4)
  expect(estimateOperation(costSchemaOf(loaded.supergraphSchema), operation, fragments, {}, 10)).toBe(3 * (1 + 7 + 4));
  // a: 3 x 1; b: _entities 10 (default list size) x (1 + 7 + 4)
  expect(estimatePlan(planOperation(loaded, parse(query), undefined), subgraphCostSchemas(loaded.subgraphSchema), {}, 10)).toBe(3 + 10 * 12);
});

it('costs a BatchFetch (Hive’s planner) as the entity fetches it batches', () => {
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost"])\n';
  const outcome = composeSupergraph([
    { name: 'a', url: 'http://a', sdl: link + 'type Query { one: Item two: Item } type Item @key(fields: "id") { id: ID! }' },
    { name: 'b', url: 'http://b', sdl: link + 'type Item @key(fields: "id") { id: ID! price: Int @cost(weight: 7) stock: Int @cost(weight: 3) }' },
  ]);
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  const loaded = loadSupergraph(outcome.supergraphSdl);
  const requires = [{ kind: 'InlineFragment' as const, typeCondition: 'Item', selections: [{ kind: 'Field' as const, name: '__typename', from: '__typename' }, { kind: 'Field' as const, name: 'id', from: 'id' }] }];
  const entity = (selection: string) => `query($representations:[_Any!]!){_entities(representations: $representations){...on Item{${selection}}}}`;
  const fetch = (path: string, selection: string) => ({
    kind: 'Flatten' as const,
    path: [path],
    node: { kind: 'Fetch' as const, serviceName: 'b', operation: entity(selection), operationKind: 'query' as const, variableUsages: [], requires },
  });
  const root = { kind: 'Fetch' as const, serviceName: 'a', operation: '{one{__typename id} two{__typename id}}', operationKind: 'query' as const, variableUsages: [] };
  const separate = { kind: 'Plan' as const, node: { kind: 'Sequence' as const, nodes: [root, { kind: 'Parallel' as const, nodes: [fetch('one', 'price'), fetch('two', 'stock')] }] } };
  const batched = {
    kind: 'Plan' as const,
    node: {
      kind: 'Sequence' as const,
      nodes: [
        root,
        {
          kind: 'BatchFetch' as const,
          serviceName: 'b',
          operation: 'query($__batch_reps_0:[_Any!]!,$__batch_reps_1:[_Any!]!){_e0:_entities(representations:$__batch_reps_0){...on Item{price}} _e1:_entities(representations:$__batch_reps_1){...on Item{stock}}}',
          operationKind: 'query' as const,
          variableUsages: [],
          entities: [
            { alias: '_e0', representationsVariable: '__batch_reps_0', paths: [['one']], requires },
            { alias: '_e1', representationsVariable: '__batch_reps_1', paths: [['two']], requires },
          ],
        },
      ],
    },
  };
  const costs = subgraphCostSchemas(loaded.subgraphSchema);
  // a: one + two; b: _entities (default list size 10) x 7, and 10 x 3.
  expect(estimatePlan(separate, costs, {}, 10)).toBe(2 + 10 * 8 + 10 * 4);
  expect(estimatePlan(batched, costs, {}, 10)).toBe(estimatePlan(separate, costs, {}, 10));
});
