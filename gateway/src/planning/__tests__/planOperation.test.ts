import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { composeSupergraph } from '../../composition/composeSupergraph';
import { loadSupergraph } from '../loadSupergraph';
import { planOperation, UnplannableOperationError } from '../planOperation';

const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports}])\n`;

// `Node.extra` lives only in subgraph "two", on an @interfaceObject whose key is not resolvable there,
// so nothing can take a Node from "one" to "two".
const outcome = composeSupergraph([
  { name: 'one', url: 'http://one/graphql', sdl: link('"@key"') + 'interface Node @key(fields: "id") { id: ID! } type Query { node: Node }' },
  {
    name: 'two',
    url: 'http://two/graphql',
    sdl: link('"@key", "@interfaceObject"') + 'type Node @key(fields: "id", resolvable: false) @interfaceObject { id: ID! extra: String } type Query { two: Int }',
  },
]);
if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
const loaded = loadSupergraph(outcome.supergraphSdl);

it('plans a root fetch', () => {
  expect(planOperation(loaded, parse('{ two }'), undefined).node).toMatchObject({ kind: 'Fetch', serviceName: 'two' });
});

it('refuses an operation no subgraph can serve, instead of an empty plan', () => {
  expect(() => planOperation(loaded, parse('{ node { extra } }'), undefined)).toThrow(UnplannableOperationError);
  expect(() => planOperation(loaded, parse('query Q { ...F } fragment F on Query { node { extra } }'), 'Q')).toThrow(/"node"/);
});

it('accepts empty plans that need no subgraph', () => {
  expect(planOperation(loaded, parse('{ __typename __schema { queryType { name } } }'), undefined).node).toBeUndefined();
  expect(planOperation(loaded, parse('{ two @skip(if: true) __typename }'), undefined).node).toBeUndefined();
});

/**
 * Plans of the sample supergraph, as data: the plan is what execution, cost and tracing read, so a
 * change of planner (or of its options) shows here as a diff to review, not as a different answer
 * somewhere downstream.
 */
describe('plans of the sample supergraph', () => {
  const sample = loadSupergraph(readFileSync(join(__dirname, '../../../../supergraph.graphql'), 'utf8'));
  it.each([
    ['one subgraph', '{ topProducts(first: 2) { upc name } }', undefined],
    ['an entity joined across subgraphs', '{ topProducts { name inStock reviews { body author { name } } } }', undefined],
    ['a field that @requires others', '{ product(upc: "1") { shippingEstimate } }', undefined],
    ['fragments, written inline in the fetches', 'query Q { topProducts { ...P } } fragment P on Product { upc ...R } fragment R on Product { reviews { stars } }', 'Q'],
    ['one operation of several, with variables', 'query A { me { id } } query B($upc: String!) { product(upc: $upc) { name averageStars } }', 'B'],
    ['a mutation', 'mutation { submitReview(input: { upc: "1", body: "ok", stars: 5 }) { id product { name } } }', undefined],
  ])('%s', (_name, query, operationName) => {
    expect(planOperation(sample, parse(query), operationName)).toMatchSnapshot();
  });
});
