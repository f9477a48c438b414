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
