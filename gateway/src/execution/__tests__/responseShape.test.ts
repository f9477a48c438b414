/**
 * Response shaping over recorded subgraph answers (see recordedSubgraphs.ts): only what the client
 * asked for, in its order and names; abstract types by the __typename a subgraph sends; null
 * propagation to the nearest nullable position with one error; @skip/@include; leaf values checked
 * against their types. Where the data is valid, graphql-js's `execute` over the same answers is the
 * oracle.
 */
import { GraphQLError } from 'graphql';
import { entities, expectJson, oracle, products, run, type Answer, type Recorded } from './recordedSubgraphs';

describe('shaping: the client gets what it asked for, in its order and names', () => {
  it.each<[string, string, Recorded, unknown]>([
    [
      'aliases and __typename under an alias',
      '{ p: product(upc: "1") { kind: __typename n: name upc } }',
      { products: { data: { p: { kind: 'Product', n: 'Table', upc: '1' } } } },
      { p: { kind: 'Product', n: 'Table', upc: '1' } },
    ],
    [
      'the keys and __typename the planner added for a join are left out',
      '{ top { name inStock } }',
      { products: products({ upc: '1', name: 'Table' }), inventory: entities({ inStock: true }) },
      { top: [{ name: 'Table', inStock: true }] },
    ],
    [
      'fields in the order of the query, not of the answers',
      '{ top { inStock price name } }',
      { products: products({ upc: '1', name: 'Table', price: 10 }), inventory: entities({ inStock: false }) },
      { top: [{ inStock: false, price: 10, name: 'Table' }] },
    ],
    [
      'a field selected twice and through fragments appears once, where it was first selected',
      '{ product(upc: "1") { ...P name ... on Product { price name } } } fragment P on Product { upc price }',
      { products: { data: { product: { upc: '1', price: 10, name: 'Table' } } } },
      { product: { upc: '1', price: 10, name: 'Table' } },
    ],
    [
      'a field a subgraph answered but the client did not ask for is left out',
      '{ product(upc: "1") { name } }',
      { products: { data: { product: { name: 'Table', price: 10, secret: 'x', __typename: 'Product' } } } },
      { product: { name: 'Table' } },
    ],
    [
      'aliases named like Object.prototype members are plain response keys',
      '{ product(upc: "1") { __proto__: name constructor: price toString: upc } }',
      { products: { data: JSON.parse('{"product":{"__proto__":"Table","constructor":10,"toString":"1"}}') } },
      JSON.parse('{"product":{"__proto__":"Table","constructor":10,"toString":"1"}}'),
    ],
    [
      'a root field answered null stays null, without an error',
      '{ product(upc: "9") { name } }',
      { products: { data: { product: null } } },
      { product: null },
    ],
  ])('%s', async (_name, query, recorded, expected) => {
    const outcome = await run(query, recorded);
    expectJson(outcome.data, expected);
    expect([outcome.errors, outcome.valueCompletion]).toEqual([[], []]);
    expect(outcome.data).toEqual(oracle(query, outcome.merged).data);
  });

  it('a response key "__proto__" never becomes a prototype', async () => {
    const { data } = await run('{ product(upc: "1") { __proto__: name } }', { products: { data: JSON.parse('{"product":{"__proto__":"Table"}}') } });
    const product = data!.product as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(product, '__proto__')?.value).toBe('Table');
    expect(Object.getPrototypeOf(product)).not.toBe('Table');
  });
});

describe('abstract types: the __typename a subgraph sends picks the fragments that apply', () => {
  const query = `{
    search { __typename ... on Product { name } ... on Author { fullName } }
    media { title ...BookFields ... on Film { minutes } }
  }
  fragment BookFields on Book { pages }`;
  const answer = {
    data: {
      search: [
        { __typename: 'Author', fullName: 'Ada' },
        { __typename: 'Product', name: 'Table' },
        null,
      ],
      media: [
        { __typename: 'Film', title: 'Metropolis', minutes: 153 },
        { __typename: 'Book', title: 'Dune', pages: 412 },
      ],
    },
  };

  it('each object gets the fields of its own type', async () => {
    const outcome = await run(query, { products: answer });
    expectJson(outcome.data, {
      search: [{ __typename: 'Author', fullName: 'Ada' }, { __typename: 'Product', name: 'Table' }, null],
      media: [
        { title: 'Metropolis', minutes: 153 },
        { title: 'Dune', pages: 412 },
      ],
    });
    expect([outcome.errors, outcome.valueCompletion]).toEqual([[], []]);
    expect(outcome.data).toEqual(oracle(query, outcome.merged).data);
  });

  it('an object whose __typename the API schema does not know (an @inaccessible type, say) is an invalid value', async () => {
    const outcome = await run('{ media { title } }', {
      products: { data: { media: [{ __typename: 'Book', title: 'Dune' }, { __typename: 'Secret', title: 'x' }] } },
    });
    // `[Media!]`: the bad element is null, so is the list; the message does not name the type.
    expect(outcome.data).toEqual({ media: null });
    expect(outcome.valueCompletion).toEqual([
      { message: 'Invalid __typename found for object at array element of type Media at index 1.', path: ['media', 1], extensions: { code: 'INVALID_GRAPHQL' } },
    ]);
  });
});

describe('null propagation: a null where the type is non-null nulls the nearest nullable parent, with one error', () => {
  // The second product has no stock answer: `inStock: Boolean!` is null.
  const recorded: Recorded = {
    products: [
      products({ upc: '1', name: 'Table' }, { upc: '2', name: 'Chair' }),
      { data: { topNonNullItems: products({ upc: '1', name: 'Table' }, { upc: '2', name: 'Chair' }).data.top } },
      { data: { topNonNull: products({ upc: '1', name: 'Table' }, { upc: '2', name: 'Chair' }).data.top } },
    ],
    inventory: entities({ inStock: true }, { inStock: null }),
  };

  it.each([
    ['a nullable item: the item', 'top', { top: [{ name: 'Table', inStock: true }, null] }],
    ['non-null items in a nullable list: the list', 'topNonNullItems', { topNonNullItems: null }],
    ['non-null all the way to the root: data', 'topNonNull', null],
  ])('%s', async (_name, field, expected) => {
    const order = ['top', 'topNonNullItems', 'topNonNull'];
    const query = `{ ${field} { name inStock } }`;
    const outcome = await run(query, { ...recorded, products: (recorded.products as Answer[])[order.indexOf(field)] });
    expectJson(outcome.data, expected);
    expect(outcome.errors).toEqual([]);
    expect(outcome.valueCompletion).toEqual([{ message: 'Cannot return null for non-nullable field Product.inStock.', path: [field, 1, 'inStock'], extensions: { code: 'INVALID_GRAPHQL' } }]);
    const expectedByOracle = oracle(query, outcome.merged);
    expect([outcome.data, outcome.valueCompletion.map((e) => e.path)]).toEqual([expectedByOracle.data, expectedByOracle.paths]);
  });

  it.each<[string, string, Recorded, unknown, Array<Array<string | number>>]>([
    [
      'a non-null field answered null nulls its object',
      '{ product(upc: "1") { price name } }',
      { products: { data: { product: { price: 10, name: null } } } },
      { product: null },
      [['product', 'name']],
    ],
    [
      'a non-null field missing from the answers counts as null',
      '{ product(upc: "1") { price name } }',
      { products: { data: { product: { price: 10 } } } },
      { product: null },
      [['product', 'name']],
    ],
    [
      'a null item where items are non-null nulls the list',
      '{ top { name stock } }',
      { products: products({ upc: '1', name: 'Table' }), inventory: entities({ stock: [1, null, 3] }) },
      { top: [{ name: 'Table', stock: null }] },
      [['top', 0, 'stock', 1]],
    ],
    [
      'a null item in a nullable list stays null, without an error',
      '{ top { name } }',
      { products: products({ upc: '1', name: 'Table' }, null) },
      { top: [{ name: 'Table' }, null] },
      [],
    ],
    [
      'several violations: one error each, whatever each bubbles to',
      '{ top { name inStock } }',
      { products: products({ upc: '1', name: null }, { upc: '2', name: 'Chair' }), inventory: entities({ inStock: null }, { inStock: null }) },
      { top: [null, null] },
      [['top', 0, 'name'], ['top', 1, 'inStock']],
    ],
  ])('%s', async (_name, query, recorded, expected, paths) => {
    const outcome = await run(query, recorded);
    expectJson(outcome.data, expected);
    expect(outcome.errors).toEqual([]);
    expect(outcome.valueCompletion.map((e) => e.path)).toEqual(paths);
    const expectedByOracle = oracle(query, outcome.merged);
    expect([outcome.data, outcome.valueCompletion.map((e) => e.path)]).toEqual([expectedByOracle.data, expectedByOracle.paths]);
  });

  it('a subgraph that cannot be reached: its fields are null, bubbling as their types say', async () => {
    const unavailable = new GraphQLError('Subgraph "inventory" is unavailable.', { extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory' } });
    const outcome = await run('{ top { name inStock } product(upc: "1") { name } }', {
      products: { data: { ...products({ upc: '1', name: 'Table' }, { upc: '2', name: 'Chair' }).data, product: { name: 'Table' } } },
      inventory: unavailable,
    });
    expectJson(outcome.data, { top: [null, null], product: { name: 'Table' } });
    expect(outcome.errors).toEqual([{ message: 'Subgraph "inventory" is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory' } }]);
    expect(outcome.valueCompletion.map((e) => e.path)).toEqual([
      ['top', 0, 'inStock'],
      ['top', 1, 'inStock'],
    ]);
  });
});

describe('@skip and @include decide by the request variables', () => {
  const query = 'query($noName: Boolean!, $withStock: Boolean!) { top { name @skip(if: $noName) inStock @include(if: $withStock) } }';
  // Every answer holds every field: shaping alone must leave out what the variables skip.
  const recorded: Recorded = { products: products({ upc: '1', name: 'Table' }), inventory: entities({ inStock: true }) };

  it.each([
    [{ noName: false, withStock: true }, { name: 'Table', inStock: true }, ['products', 'inventory']],
    [{ noName: true, withStock: true }, { inStock: true }, ['products', 'inventory']],
    [{ noName: false, withStock: false }, { name: 'Table' }, ['products']],
    [{ noName: true, withStock: false }, {}, ['products']],
  ])('%j: %j, asking %j', async (variables, product, asked) => {
    const outcome = await run(query, recorded, variables);
    expectJson(outcome.data, { top: [product] });
    expect(outcome.sent.map((s) => s.subgraph)).toEqual(asked);
    // Subgraphs get the variables their fetch uses, as the client sent them.
    expect(outcome.sent[0].variables).toEqual({ noName: variables.noName });
    expect(outcome.data).toEqual(oracle(query, outcome.merged, variables).data);
  });

  it.each([
    ['a default value decides when the variable is not sent', 'query($withStock: Boolean = true) { top { name inStock @include(if: $withStock) } }', {}, { name: 'Table', inStock: true }, ['products', 'inventory']],
    ['a sent value beats the default', 'query($withStock: Boolean = true) { top { name inStock @include(if: $withStock) } }', { withStock: false }, { name: 'Table' }, ['products']],
    ['literals', '{ top { name @skip(if: true) price @include(if: false) inStock @include(if: true) } }', {}, { inStock: true }, ['products', 'inventory']],
    ['on a fragment', 'query($x: Boolean!) { top { name ... on Product @include(if: $x) { price } ...P @skip(if: $x) } } fragment P on Product { upc }', { x: true }, { name: 'Table', price: 10 }, ['products']],
    ['on a fragment, the other way', 'query($x: Boolean!) { top { name ... on Product @include(if: $x) { price } ...P @skip(if: $x) } } fragment P on Product { upc }', { x: false }, { name: 'Table', upc: '1' }, ['products']],
    ['both on one field: included only when neither says no', 'query($a: Boolean!, $b: Boolean!) { top { name @include(if: $a) @skip(if: $b) price } }', { a: true, b: true }, { price: 10 }, ['products']],
  ])('%s', async (_name, q, variables, product, asked) => {
    const outcome = await run(q, { products: products({ upc: '1', name: 'Table', price: 10 }), inventory: entities({ inStock: true }) }, variables);
    expectJson(outcome.data, { top: [product] });
    expect(outcome.sent.map((s) => s.subgraph)).toEqual(asked);
    expect(outcome.data).toEqual(oracle(q, outcome.merged, variables).data);
  });
});

describe('values that do not fit their type are null with an error, never passed through', () => {
  it.each<[string, unknown, unknown]>([
    ['category', 'FURNITURE', 'FURNITURE'],
    ['category', 'TOYS', undefined],
    ['category', 'furniture', undefined],
    ['category', 0, undefined],
    ['price', 12, 12],
    ['price', -3, -3],
    ['price', 12.5, undefined],
    ['price', '12', undefined],
    ['price', true, undefined],
    ['price', {}, undefined],
    ['price', [12], undefined],
    ['weight', 12, 12],
    ['weight', 1.5, 1.5],
    ['weight', '1.5', undefined],
    ['upc', 'abc', 'abc'],
    ['upc', 7, 7],
    ['upc', 7.5, undefined],
  ])('Product.%s answered %j', async (field, value, expected) => {
    const outcome = await run(`{ product(upc: "1") { ${field} } }`, { products: { data: { product: { [field]: value } } } });
    if (expected !== undefined) {
      expect([outcome.data, outcome.valueCompletion]).toEqual([{ product: { [field]: expected } }, []]);
      return;
    }
    // `upc` is non-null: the invalid value nulls the product, still with one error.
    expect(outcome.data).toEqual({ product: field === 'upc' ? null : { [field]: null } });
    expect(outcome.valueCompletion).toEqual([{ message: `Invalid value found for field Product.${field}.`, path: ['product', field], extensions: { code: 'INVALID_GRAPHQL' } }]);
  });

  it.each<[string, string, Record<string, unknown>, unknown, string]>([
    ['an object where a list is expected', '{ top { name } }', { top: { name: 'Table' } }, { top: null }, 'Invalid value found for field Query.top.'],
    ['a list where an object is expected', '{ product(upc: "1") { name } }', { product: [{ name: 'Table' }] }, { product: null }, 'Invalid value found for field Query.product.'],
    ['a scalar where an object is expected', '{ product(upc: "1") { name } }', { product: 'Table' }, { product: null }, 'Invalid value found for field Query.product.'],
    ['an invalid value in a non-null field bubbles with one error', '{ product(upc: "1") { price name } }', { product: { price: 1, name: 42 } }, { product: null }, 'Invalid value found for field Product.name.'],
  ])('%s', async (_name, query, answer, expected, message) => {
    const outcome = await run(query, { products: { data: answer } });
    expect(outcome.data).toEqual(expected);
    expect(outcome.valueCompletion.map((e) => e.message)).toEqual([message]);
  });
});
