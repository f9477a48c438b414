/**
 * Plan execution over recorded subgraph answers (see recordedSubgraphs.ts): entity fetches (one
 * representation per distinct entity, answers merged back, `_entities` answers checked), subgraph
 * errors (what clients may see of them, and their paths mapped to the client's response), and a
 * fetch failing unexpectedly.
 */
import type { GraphQLFormattedError } from 'graphql';
import { entities, expectJson, products, run } from './recordedSubgraphs';

describe('entity fetches', () => {
  it('sends each distinct representation once, skips null entities, and merges every answer back', async () => {
    const outcome = await run('{ top { name inStock } }', {
      products: products({ upc: '1', name: 'Table' }, null, { upc: '2', name: 'Chair' }, { upc: '1', name: 'Table' }),
      inventory: entities({ inStock: true }, { inStock: false }),
    });
    expect(outcome.sent).toEqual([
      { subgraph: 'products', variables: {} },
      { subgraph: 'inventory', variables: { representations: [{ __typename: 'Product', upc: '1' }, { __typename: 'Product', upc: '2' }] } },
    ]);
    expectJson(outcome.data, { top: [{ name: 'Table', inStock: true }, null, { name: 'Chair', inStock: false }, { name: 'Table', inStock: true }] });
    expect([outcome.errors, outcome.valueCompletion]).toEqual([[], []]);
  });

  it('follows entities through nested lists into a third subgraph', async () => {
    const outcome = await run('{ top { reviews { body author { name } } } }', {
      products: products({ upc: '1' }, { upc: '2' }),
      reviews: entities(
        { reviews: [{ body: 'Sturdy', author: { __typename: 'User', id: 'u1' } }] },
        { reviews: [{ body: 'Wobbly', author: null }, { body: 'Fine', author: { __typename: 'User', id: 'u2' } }] },
      ),
      accounts: entities({ name: 'Ada' }, { name: 'Alan' }),
    });
    expect(outcome.sent.map((s) => s.subgraph)).toEqual(['products', 'reviews', 'accounts']);
    expect(outcome.sent[2].variables).toEqual({ representations: [{ __typename: 'User', id: 'u1' }, { __typename: 'User', id: 'u2' }] });
    expectJson(outcome.data, {
      top: [
        { reviews: [{ body: 'Sturdy', author: { name: 'Ada' } }] },
        { reviews: [{ body: 'Wobbly', author: null }, { body: 'Fine', author: { name: 'Alan' } }] },
      ],
    });
  });

  it('a response key "__proto__" in an entity answer is merged as data, not as a prototype', async () => {
    const outcome = await run('{ top { name __proto__: inStock } }', {
      products: products({ upc: '1', name: 'Table' }),
      inventory: { data: { _entities: [JSON.parse('{"__proto__":true}')] } },
    });
    expectJson(outcome.data, { top: [JSON.parse('{"name":"Table","__proto__":true}')] });
    expect(outcome.valueCompletion).toEqual([]);
  });

  it.each([
    ['fewer entities than representations', { data: { _entities: [{ stock: [1] }] } }, 'Expected "data._entities" to contain 2 elements'],
    ['more entities than representations', { data: { _entities: [{ stock: [1] }, { stock: [2] }, { stock: [3] }] } }, 'Expected "data._entities" to contain 2 elements'],
    ['"_entities" that is not a list', { data: { _entities: { stock: [1] } } }, 'Expected "data._entities" in response to be an array'],
    ['no "_entities"', { data: {} }, 'Expected "data._entities" in response to be an array'],
  ])('%s: an invalid response, and none of it is used', async (_name, answer, reason) => {
    const outcome = await run('{ top { name stock } }', { products: products({ upc: '1', name: 'Table' }, { upc: '2', name: 'Chair' }), inventory: answer });
    expectJson(outcome.data, { top: [{ name: 'Table', stock: null }, { name: 'Chair', stock: null }] });
    expect(outcome.errors).toEqual([{ message: 'Subgraph "inventory" sent an invalid response.', extensions: { code: 'SUBGRAPH_INVALID_RESPONSE', serviceName: 'inventory', reason } }]);
  });

  // Products 1, (null), 2, 1: representation 0 is product 1 (at top/0 and top/3), representation 1 is product 2 (at top/2).
  it.each<[string, unknown, Array<Array<string | number> | undefined>]>([
    ['an error at one representation: at every entity it was sent for', ['_entities', 0, 'stock'], [['top', 0, 'stock'], ['top', 3, 'stock']]],
    ['entities after a null are counted right', ['_entities', 1, 'stock', 0], [['top', 2, 'stock', 0]]],
    ['an error at the entity itself', ['_entities', 1], [['top', 2]]],
    // As @apollo/gateway does: the rest of the path, at the root.
    ['an error at no representation sent keeps the rest of its path', ['_entities', 7, 'stock'], [['stock']]],
    ['an error without a path has none', undefined, [undefined]],
    ['a path that is not names and indexes is dropped', ['_entities', { evil: true }], [undefined]],
  ])('%s', async (_name, path, clientPaths) => {
    const outcome = await run('{ top { name stock } }', {
      products: products({ upc: '1', name: 'Table' }, null, { upc: '2', name: 'Chair' }, { upc: '1', name: 'Table' }),
      inventory: { data: { _entities: [{ stock: null }, null] }, errors: [{ message: 'Stock unknown', path, extensions: { code: 'STOCK_UNKNOWN' } }] },
    });
    expect(outcome.errors.map((e) => e.path)).toEqual(clientPaths);
    expect(outcome.errors.map((e) => [e.message, e.extensions])).toEqual(clientPaths.map(() => ['Stock unknown', { code: 'STOCK_UNKNOWN', serviceName: 'inventory' }]));
  });

  it('an error in a nested entity fetch is reported at its path in the client response', async () => {
    const outcome = await run('{ top { reviews { body author { name } } } }', {
      products: products({ upc: '1' }, { upc: '2' }),
      reviews: entities({ reviews: [{ body: 'Sturdy', author: { __typename: 'User', id: 'u1' } }] }, { reviews: [{ body: 'Wobbly', author: null }, { body: 'Fine', author: { __typename: 'User', id: 'u2' } }] }),
      accounts: { data: { _entities: [{ name: 'Ada' }, null] }, errors: [{ message: 'User deleted', path: ['_entities', 1, 'name'] }] },
    });
    expect(outcome.errors).toEqual([
      { message: 'User deleted', path: ['top', 1, 'reviews', 1, 'author', 'name'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'accounts' } },
    ]);
    expect((outcome.data as { top: Array<{ reviews: Array<{ author: unknown }> }> }).top[1].reviews[1].author).toEqual({ name: null });
  });
});

describe('subgraph errors: message and code kept, serviceName added, nothing else unless allowed', () => {
  it.each<[string, Record<string, unknown>, string[], GraphQLFormattedError]>([
    [
      'code kept; stack traces and other extensions dropped',
      { message: 'Product not found', path: ['product'], extensions: { code: 'NOT_FOUND', stacktrace: ['at db.js:1'], exception: { host: 'db.internal' } } },
      [],
      { message: 'Product not found', path: ['product'], extensions: { code: 'NOT_FOUND', serviceName: 'products' } },
    ],
    ['no code: DOWNSTREAM_SERVICE_ERROR', { message: 'Boom' }, [], { message: 'Boom', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'products' } }],
    [
      'a code that is not a string is no code',
      { message: 'Boom', extensions: { code: { internal: 'x' } } },
      [],
      { message: 'Boom', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'products' } },
    ],
    ['no message: one naming the subgraph', { path: ['product'] }, [], { message: 'Error while fetching subquery from service "products"', path: ['product'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'products' } }],
    [
      'allowed extensions kept, but never a subgraph’s serviceName or http',
      { message: 'Slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 3, serviceName: 'spoofed', http: { status: 500 }, other: 1 } },
      ['retryAfter', 'serviceName', 'http'],
      { message: 'Slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 3, serviceName: 'products' } },
    ],
    [
      'locations (in the subgraph’s query, not the client’s) dropped',
      { message: 'Boom', locations: [{ line: 1, column: 3 }], path: ['product', 'name'] },
      [],
      { message: 'Boom', path: ['product', 'name'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'products' } },
    ],
  ])('%s', async (_name, raw, allowed, expected) => {
    const outcome = await run('{ product(upc: "1") { name } }', { products: { data: { product: null }, errors: [raw] } }, {}, allowed);
    expect(outcome.errors).toEqual([expected]);
    expect(outcome.data).toEqual({ product: null });
  });

  it('a subgraph answering only errors (data null): its fields are null, the other fetches still run', async () => {
    const outcome = await run('{ top { name inStock } }', {
      products: products({ upc: '1', name: 'Table' }),
      inventory: { data: null, errors: [{ message: 'Inventory down', extensions: { code: 'UNAVAILABLE' } }] },
    });
    expect(outcome.data).toEqual({ top: [null] });
    expect(outcome.errors).toEqual([{ message: 'Inventory down', extensions: { code: 'UNAVAILABLE', serviceName: 'inventory' } }]);
  });

  it('a fetch that fails with something else than a GraphQL error (a bug): a code and the request id for the client, the rest in the log', async () => {
    const outcome = await run('{ top { name stock } }', { products: products({ upc: '1', name: 'Table' }), inventory: new TypeError('x is undefined') });
    expect(outcome.data).toEqual({ top: [{ name: 'Table', stock: null }] });
    expect(outcome.errors).toEqual([{ message: 'Fetch from "inventory" failed.', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'inventory', requestId: 'req-1' } }]);
    expect(outcome.logged).toEqual([{ requestId: 'req-1', subgraph: 'inventory', error: expect.stringContaining('TypeError: x is undefined') }]);
  });
});
