/**
 * Executing what Hive's planner plans and Apollo's does not: `BatchFetch` (several `_entities`
 * aliases in one request, each with its own representations and paths from the root), type
 * conditions in flatten and rewrite paths, representation fields read from an internal alias and
 * sent under the field's name, and `@skip`/`@include` on a representation's fragment. The plans are
 * written here in Junction's plan type, over recordedSubgraphs' supergraph and recorded answers.
 */
import type { BatchFetchNode, FetchNode, Plan, RequiresSelection } from '../../planning/plan';
import { runPlan } from './recordedSubgraphs';

const field = (name: string, from = name): RequiresSelection => ({ kind: 'Field', name, from });
const PRODUCT_KEY: RequiresSelection[] = [{ kind: 'InlineFragment', typeCondition: 'Product', selections: [field('__typename'), field('upc')] }];
const TWO_PRODUCTS: FetchNode = {
  kind: 'Fetch',
  serviceName: 'products',
  operation: '{a: product(upc: "1"){__typename upc} b: product(upc: "2"){__typename upc}}',
  operationKind: 'query',
  variableUsages: [],
};
const answer = (a: unknown, b: unknown) => ({ data: { a, b } });
const product = (upc: string) => ({ __typename: 'Product', upc });

function batch(entities: Array<{ alias: string; variable: string; paths: string[][] }>, variableUsages: string[] = []): BatchFetchNode {
  return {
    kind: 'BatchFetch',
    serviceName: 'inventory',
    operation: 'query($__batch_reps_0:[_Any!]!, $__batch_reps_1:[_Any!]!){_e0: _entities(representations: $__batch_reps_0){...on Product{inStock}} _e1: _entities(representations: $__batch_reps_1){...on Product{stock}}}',
    operationKind: 'query',
    variableUsages,
    entities: entities.map(({ alias, variable, paths }) => ({ alias, representationsVariable: variable, paths, requires: PRODUCT_KEY })),
  };
}
const plan = (...nodes: Plan['node'][]): Plan => ({ kind: 'Plan', node: { kind: 'Sequence', nodes: nodes as never } });

describe('BatchFetch', () => {
  const TWO_ALIASES = batch([
    { alias: '_e0', variable: '__batch_reps_0', paths: [['a'], ['b']] },
    { alias: '_e1', variable: '__batch_reps_1', paths: [['b']] },
  ]);

  it('sends each alias its own representations in one request, and merges each alias’s answers at its paths', async () => {
    const outcome = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), {
      products: answer(product('1'), product('2')),
      inventory: { data: { _e0: [{ inStock: true }, { inStock: false }], _e1: [{ stock: [3] }] } },
    });
    expect(outcome.sent).toEqual([
      { subgraph: 'products', variables: {} },
      { subgraph: 'inventory', variables: { __batch_reps_0: [product('1'), product('2')], __batch_reps_1: [product('2')] } },
    ]);
    expect(outcome.merged).toEqual({ a: { ...product('1'), inStock: true }, b: { ...product('2'), inStock: false, stock: [3] } });
    expect(outcome.errors).toEqual([]);
  });

  it('sends an entity found at two paths once, and merges the answer at both', async () => {
    const outcome = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), {
      products: answer(product('1'), product('1')),
      inventory: { data: { _e0: [{ inStock: true }], _e1: [{ stock: [] }] } },
    });
    expect(outcome.sent[1].variables).toEqual({ __batch_reps_0: [product('1')], __batch_reps_1: [product('1')] });
    expect(outcome.merged).toEqual({ a: { ...product('1'), inStock: true }, b: { ...product('1'), inStock: true, stock: [] } });
  });

  it('sends an empty list for an alias with no entities, and nothing at all when no alias has any', async () => {
    const oneEmpty = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), { products: answer(product('1'), null), inventory: { data: { _e0: [{ inStock: true }], _e1: [] } } });
    expect(oneEmpty.sent[1].variables).toEqual({ __batch_reps_0: [product('1')], __batch_reps_1: [] });
    expect(oneEmpty.merged).toEqual({ a: { ...product('1'), inStock: true }, b: null });
    const none = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), { products: answer(null, null) });
    expect(none.sent.map((s) => s.subgraph)).toEqual(['products']);
  });

  it('sends a representations variable two aliases share once, with the client’s variables the operation uses', async () => {
    const shared = batch(
      [
        { alias: '_e0', variable: '__batch_reps_0', paths: [['a']] },
        { alias: '_e1', variable: '__batch_reps_0', paths: [['a']] },
      ],
      ['zip'],
    );
    const outcome = await runPlan(plan(TWO_PRODUCTS, shared), { products: answer(product('1'), null), inventory: { data: { _e0: [{ inStock: true }], _e1: [{ stock: [1] }] } } }, { zip: '75001', other: 1 });
    expect(outcome.sent[1].variables).toEqual({ zip: '75001', __batch_reps_0: [product('1')] });
    expect(outcome.merged.a).toEqual({ ...product('1'), inStock: true, stock: [1] });
  });

  it.each<[string, unknown, Array<Array<string | number> | undefined>]>([
    ['an error under an alias: at the entity it was sent for', ['_e1', 0, 'stock'], [['b', 'stock']]],
    ['at a representation sent for entities at two paths: at both', ['_e0', 0], [['a'], ['b']]],
    ['under no alias: no path', ['stock', 0], [undefined]],
    ['"constructor" as the alias: no path', ['constructor', 0], [undefined]],
  ])('%s', async (_name, path, clientPaths) => {
    const outcome = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), {
      products: answer(product('1'), product('1')),
      inventory: { data: { _e0: [null], _e1: [{ stock: null }] }, errors: [{ message: 'Stock unknown', path }] },
    });
    expect(outcome.errors.map((e) => e.path)).toEqual(clientPaths);
    expect(outcome.errors.every((e) => e.extensions?.serviceName === 'inventory')).toBe(true);
  });

  it('an alias whose answer is not a list is an invalid response; a client variable with a representations name is refused unsent', async () => {
    const invalid = await runPlan(plan(TWO_PRODUCTS, TWO_ALIASES), { products: answer(product('1'), product('2')), inventory: { data: { _e0: { inStock: true }, _e1: [] } } });
    expect(invalid.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_INVALID_RESPONSE', serviceName: 'inventory' }) })]);
    const clash = await runPlan(plan(TWO_PRODUCTS, batch([{ alias: '_e0', variable: '__batch_reps_0', paths: [['a']] }], ['__batch_reps_0'])), { products: answer(product('1'), null) }, { __batch_reps_0: [] });
    expect(clash.sent.map((s) => s.subgraph)).toEqual(['products']);
    expect(clash.errors.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
  });
});

describe('paths and representations as Hive plans them', () => {
  const SEARCH: FetchNode = { kind: 'Fetch', serviceName: 'products', operation: '{search{__typename ...on Product{__typename upc} ...on Author{id}}}', operationKind: 'query', variableUsages: [] };
  const entityFetch = (requires: readonly RequiresSelection[], extra: Partial<FetchNode> = {}): FetchNode => ({
    kind: 'Fetch',
    serviceName: 'inventory',
    operation: 'query($representations:[_Any!]!){_entities(representations: $representations){...on Product{inStock}}}',
    operationKind: 'query',
    variableUsages: [],
    requires,
    ...extra,
  });

  it('a type condition in a flatten path keeps only the objects of that type', async () => {
    const outcome = await runPlan(plan(SEARCH, { kind: 'Flatten', path: ['search', '@', { typeCondition: ['Product'] }], node: entityFetch(PRODUCT_KEY) }), {
      products: { data: { search: [{ __typename: 'Author', id: 'x' }, product('1'), null, product('2')] } },
      inventory: { data: { _entities: [{ inStock: true }, { inStock: false }] } },
    });
    expect(outcome.sent[1].variables).toEqual({ representations: [product('1'), product('2')] });
    expect(outcome.merged.search).toEqual([{ __typename: 'Author', id: 'x' }, { ...product('1'), inStock: true }, null, { ...product('2'), inStock: false }]);
  });

  it('an error at an entity reached through a type condition is at that entity’s index', async () => {
    const outcome = await runPlan(plan(SEARCH, { kind: 'Flatten', path: ['search', '@', { typeCondition: ['Product'] }], node: entityFetch(PRODUCT_KEY) }), {
      products: { data: { search: [{ __typename: 'Author', id: 'x' }, product('1'), product('2')] } },
      inventory: { data: { _entities: [{ inStock: true }, null] }, errors: [{ message: 'gone', path: ['_entities', 1, 'inStock'] }] },
    });
    expect(outcome.errors.map((e) => e.path)).toEqual([['search', 2, 'inStock']]);
  });

  it('reads a representation field from the key the planner fetched it under, and sends it under its name', async () => {
    const requires: RequiresSelection[] = [{ kind: 'InlineFragment', typeCondition: 'Product', selections: [field('__typename'), field('upc'), field('price', '_internal_qp_alias_0')] }];
    const outcome = await runPlan(plan(TWO_PRODUCTS, { kind: 'Flatten', path: ['a'], node: entityFetch(requires) }), {
      products: answer({ ...product('1'), price: 3, _internal_qp_alias_0: 5 }, null),
      inventory: { data: { _entities: [{ inStock: true }] } },
    });
    expect(outcome.sent[1].variables).toEqual({ representations: [{ ...product('1'), price: 5 }] });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['skipIf true: left out', { skip: true, include: true }, product('1')],
    ['skipIf false, includeIf true: sent', { skip: false, include: true }, { ...product('1'), price: 3 }],
    ['includeIf false: left out', { skip: false, include: false }, product('1')],
  ])('a representation fragment with %s', async (_name, variables, representation) => {
    const requires: RequiresSelection[] = [...PRODUCT_KEY, { kind: 'InlineFragment', typeCondition: 'Product', skipIf: 'skip', includeIf: 'include', selections: [field('price')] }];
    const outcome = await runPlan(plan(TWO_PRODUCTS, { kind: 'Flatten', path: ['a'], node: entityFetch(requires) }), { products: answer({ ...product('1'), price: 3 }, null), inventory: { data: { _entities: [{}] } } }, variables);
    expect(outcome.sent[1].variables.representations).toEqual([representation]);
  });

  it('a rewrite path with a type condition applies only to objects of that type (or without __typename)', async () => {
    const rewrite = { kind: 'ValueSetter', path: [{ typeCondition: ['Product'] }, '__typename'], setValueTo: 'Item' } as const;
    const outcome = await runPlan(plan(TWO_PRODUCTS, { kind: 'Flatten', path: ['a'], node: entityFetch(PRODUCT_KEY, { inputRewrites: [rewrite] }) }), {
      products: answer(product('1'), null),
      inventory: { data: { _entities: [{ inStock: true }] } },
    });
    expect(outcome.sent[1].variables).toEqual({ representations: [{ __typename: 'Item', upc: '1' }] });
  });

  it('a fetch without requires under a Flatten runs as a query and merges at that path', async () => {
    const reentry: FetchNode = { kind: 'Fetch', serviceName: 'inventory', operation: '{__typename}', operationKind: 'query', variableUsages: [] };
    const outcome = await runPlan(plan(TWO_PRODUCTS, { kind: 'Flatten', path: ['a'], node: reentry }), { products: answer(product('1'), null), inventory: { data: { note: 'here' } } });
    expect(outcome.merged.a).toEqual({ ...product('1'), note: 'here' });
  });
});
