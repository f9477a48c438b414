/**
 * The fragment map: a Map keyed by client-chosen names, and each caller's choice between two
 * fragments of one name kept (such a document is refused by UniqueFragmentNamesRule, but the rules
 * that run with or before it see it).
 */
import { buildSchema, parse, validate, type FieldNode, type ValidationRule } from 'graphql';
import { OverlappingFieldsCanMergeRule } from '../../pipeline/overlappingFieldsRule';
import { documentLimitErrors } from '../../plugins/limits/documentLimits';
import { fragmentsOf } from '../fragmentsOf';

/** The map as [name, first field of the fragment] pairs, in the map's order. */
const entries = (query: string, duplicates?: 'first' | 'last') =>
  [...fragmentsOf(parse(query, { noLocation: true }), duplicates)].map(([name, def]) => [name, (def.selectionSet.selections[0] as FieldNode).name.value]);

describe('fragmentsOf', () => {
  it.each([
    ['no fragments', '{ a }', []],
    ['operations are not fragments', 'query Q { a } mutation M { b } fragment F on Q { c }', [['F', 'c']]],
    [
      'names from Object.prototype find their own fragment',
      'fragment constructor on Q { a } fragment __proto__ on Q { b } fragment toString on Q { c }',
      [['constructor', 'a'], ['__proto__', 'b'], ['toString', 'c']],
    ],
  ])('%s', (_, query, expected) => {
    expect(entries(query)).toEqual(expected);
  });

  it('a name it does not hold finds nothing, not a prototype member', () => {
    const map = fragmentsOf(parse('fragment F on Q { a }'));
    expect(['constructor', '__proto__', 'toString', 'hasOwnProperty'].map((name) => map.get(name))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each([
    ['last (the default, as graphql-js getFragment)', undefined, [['F', 'second'], ['G', 'g']]],
    ['last', 'last' as const, [['F', 'second'], ['G', 'g']]],
    ['first', 'first' as const, [['F', 'first'], ['G', 'g']]],
  ])('two fragments with one name: %s wins', (_, duplicates, expected) => {
    expect(entries('fragment F on Q { first } fragment G on Q { g } fragment F on Q { second }', duplicates)).toEqual(expected);
  });
});

describe('each caller keeps its choice between duplicate fragments', () => {
  const schema = buildSchema('type Q { a: Q b: Q leaf: Int } schema { query: Q }');
  const run = (query: string, rule: ValidationRule) => validate(schema, parse(query), [rule]).map((e) => e.extensions.code ?? e.message);

  it('the operation limits count the last one', () => {
    const limits = { maxDepth: 3, maxAliases: 0, maxRootFields: 0, maxSelections: 0, maxIntrospectionFields: 0, maxDirectives: 0, introspection: true };
    const codes = (query: string) => documentLimitErrors(parse(query), limits).map((e) => e.extensions.code);
    expect(codes('{ ...F } fragment F on Q { leaf } fragment F on Q { a { a { a { leaf } } } }')).toEqual(['DEPTH_LIMIT_EXCEEDED']);
    expect(codes('{ ...F } fragment F on Q { a { a { a { leaf } } } } fragment F on Q { leaf }')).toEqual([]);
  });

  it('field merging checks the first one', () => {
    const conflict = 'Fields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.';
    expect(run('{ x: a { leaf } ...F } fragment F on Q { x: b { leaf } } fragment F on Q { y: b { leaf } }', OverlappingFieldsCanMergeRule)).toEqual([conflict]);
    expect(run('{ x: a { leaf } ...F } fragment F on Q { y: b { leaf } } fragment F on Q { x: b { leaf } }', OverlappingFieldsCanMergeRule)).toEqual([]);
  });
});
