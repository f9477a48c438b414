import { composeSupergraph } from '../composeSupergraph';
import { formatCompositionErrors } from '../formatCompositionErrors';

const header = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n';

it('composes valid subgraphs', () => {
  const outcome = composeSupergraph([
    { name: 'a', url: 'http://a/graphql', sdl: header + 'type Query { a: T } type T @key(fields: "id") { id: ID! x: Int }' },
    { name: 'b', url: 'http://b/graphql', sdl: header + 'type T @key(fields: "id") { id: ID! y: Int }' },
  ]);
  expect(outcome.ok).toBe(true);
  if (outcome.ok) expect(outcome.supergraphSdl).toContain('@join__graph(name: "b", url: "http://b/graphql")');
});

it('reports every error with its code and the subgraphs involved', () => {
  const outcome = composeSupergraph([
    { name: 'a', url: 'http://a/graphql', sdl: header + 'type Query { a: T } type T @key(fields: "id") { id: ID! f: String }' },
    { name: 'b', url: 'http://b/graphql', sdl: header + 'type Query { b: T } type T @key(fields: "id") { id: ID! f: Int }' },
  ]);
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.errors.map((e) => [e.code, e.subgraphs])).toEqual(
    expect.arrayContaining([
      ['FIELD_TYPE_MISMATCH', ['a', 'b']],
      ['INVALID_FIELD_SHARING', ['a', 'b']],
    ]),
  );
  const text = formatCompositionErrors(outcome.errors);
  expect(text).toContain('[FIELD_TYPE_MISMATCH] (subgraphs: a, b) Type of field "T.f" is incompatible');
});

it('reports SDL that does not parse, naming the subgraph', () => {
  const outcome = composeSupergraph([{ name: 'a', url: 'http://a/graphql', sdl: 'type Query {' }]);
  expect(outcome).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'INVALID_GRAPHQL', subgraphs: ['a'] })] });
});

it('reports a schema too deep to compose instead of throwing', () => {
  // `type H0 { h: [H1] } ... `: @apollo/composition recurses along the chain and overflows the stack.
  const chain = Array.from({ length: 8_000 }, (_, i) => `type H${i} { h: [H${i + 1}] }`).join('\n');
  const outcome = composeSupergraph([{ name: 'deep', url: 'http://deep/graphql', sdl: `${header}type Query { h: H0 }\n${chain}\ntype H8000 { x: Int }` }]);
  expect(outcome).toEqual({ ok: false, errors: [expect.objectContaining({ code: 'COMPOSITION_TOO_COMPLEX' })] });
});
