/**
 * The operation limits count through fragments, each spread every time it is used, in time linear
 * in the document: the documents below expand to 2^40 selections and more, and a walk of the
 * expansion would never end (the test would time out).
 */
import { parse } from 'graphql';
import { documentLimitErrors, type DocumentLimits } from '../documentLimits';
import { selectionStatsOf } from '../selectionStats';
import { Kind, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

const LIMITS: DocumentLimits = { maxDepth: 15, maxAliases: 200, maxRootFields: 100, maxSelections: 1000, maxIntrospectionFields: 3, maxDirectives: 50, introspection: true };

const codes = (query: string, limits: Partial<DocumentLimits> = {}) => documentLimitErrors(parse(query, { noLocation: true }), { ...LIMITS, ...limits }).map((e) => e.extensions.code);

function stats(query: string) {
  const doc = parse(query, { noLocation: true });
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return selectionStatsOf(fragments)(doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!);
}

/** `n` fragments, each spreading the next `times` times: the last one's selections count times^n. */
function chain(n: number, on: string, last: string, times = 2, root = '{...F0}'): string {
  const spreads = (i: number) => Array.from({ length: times }, () => `...F${i + 1}`).join(' ');
  return `query ${root} ` + Array.from({ length: n }, (_, i) => `fragment F${i} on ${on} { ${spreads(i)} }`).join(' ') + ` fragment F${n} on ${on} { ${last} }`;
}

/** `{ reviews { product { reviews { … { id } } } } }`, `levels` fields deep. */
function deep(levels: number): string {
  const fields = Array.from({ length: levels - 1 }, (_, i) => (i % 2 === 0 ? 'reviews' : 'product'));
  return '{ ' + fields.map((f) => f + ' { ').join('') + 'id' + ' }'.repeat(levels - 1) + ' }';
}

describe('counts through fragments, each use counted', () => {
  it.each([
    ['plain fields', '{ topProducts { name price } me { id } }', { depth: 2, aliases: 0, rootFields: 2, selections: 5, introspectionFields: 0 }],
    ['aliases', '{ a: topProducts { n: name } b: topProducts { name } }', { depth: 2, aliases: 3, rootFields: 2, selections: 4, introspectionFields: 0 }],
    ['a fragment spread twice counts twice', '{ topProducts { ...P ...P } } fragment P on Product { name reviews { body } }', { depth: 3, aliases: 0, rootFields: 1, selections: 7, introspectionFields: 0 }],
    ['root fields through inline fragments and spreads', '{ ... on Query { me { id } ...R } } fragment R on Query { a: me { id } topProducts { name } }', { depth: 2, aliases: 1, rootFields: 3, selections: 6, introspectionFields: 0 }],
    ['introspection fields', '{ __schema { types { name } } t: __type(name: "User") { name } __typename }', { depth: 3, aliases: 1, rootFields: 3, selections: 6, introspectionFields: 2 }],
    ['a doubling chain of 40', chain(40, 'Query', '__typename'), { depth: 1, aliases: 0, rootFields: 2 ** 40, selections: 2 ** 40, introspectionFields: 0 }],
  ])('%s', (_name, query, expected) => {
    expect(stats(query)).toEqual(expected);
  });

  it('saturates at Infinity instead of wrapping: 3000 fragments each spread twice', () => {
    const s = stats(chain(3000, 'Query', 'a: __typename'));
    expect(s.aliases).toBe(Infinity);
    expect(s.selections).toBe(Infinity);
  });

  it('a chain of 20 000 fragments does not overflow the stack', () => {
    expect(stats(chain(20_000, 'Query', '__typename', 1)).selections).toBe(1);
  });

  it('stops at a fragment cycle (NoFragmentCyclesRule refuses it)', () => {
    expect(stats('{ ...A } fragment A on Query { me { id } ...B } fragment B on Query { ...A }').selections).toBe(2);
  });
});

describe('refuses what expands past a limit, before anything walks the expansion', () => {
  it.each([
    ['a doubling chain of __typename (root fields and selections)', chain(40, 'Query', '__typename'), ['ROOT_FIELD_LIMIT_EXCEEDED', 'SELECTION_LIMIT_EXCEEDED']],
    ['alias fan-out through fragments', chain(12, 'Query', 'a: __typename'), ['ALIAS_LIMIT_EXCEEDED', 'ROOT_FIELD_LIMIT_EXCEEDED', 'SELECTION_LIMIT_EXCEEDED']],
    ['a doubling chain inside a field', chain(40, 'Product', 'name reviews { body }', 2, '{ topProducts { ...F0 } }'), ['SELECTION_LIMIT_EXCEEDED']],
    ['a chain of three per fragment', chain(30, 'Product', 'name', 3, '{ topProducts { ...F0 } }'), ['SELECTION_LIMIT_EXCEEDED']],
    ['depth at the limit', deep(15), []],
    ['depth past it', deep(16), ['DEPTH_LIMIT_EXCEEDED']],
    ['depth through fragments', '{ reviews { ...R } } fragment R on Review { product { reviews { ...P } } } fragment P on Review ' + deep(14).replace(/^\{ reviews/, '{ product'), ['DEPTH_LIMIT_EXCEEDED']],
    ['introspection fields through fragments', '{ ...I ...I } fragment I on Query { a: __schema { queryType { name } } b: __schema { queryType { name } } }', ['INTROSPECTION_LIMIT_EXCEEDED']],
    ['one introspection query, as GraphiQL sends', '{ __schema { queryType { name } types { name fields { name } } } }', []],
    ['a wide but honest query', '{ topProducts { ...P } } fragment P on Product { upc name price weight reviews { body author { name username } } }', []],
  ])('%s', (_name, query, expected) => {
    expect(codes(query)).toEqual(expected);
  });

  it.each([
    ['maxDepth', { maxDepth: 0 }, deep(40)],
    ['maxSelections', { maxSelections: 0 }, chain(40, 'Product', 'name', 2, '{ topProducts { ...F0 } }')],
    ['maxIntrospectionFields', { maxIntrospectionFields: 0 }, '{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } } d: __schema { queryType { name } } }'],
  ])('0 turns %s off', (_name, limits, query) => {
    expect(codes(query, limits)).toEqual([]);
  });
});

describe('directives and introspection, anywhere in the document', () => {
  const directives = (n: number) => Array.from({ length: n }, () => '@skip(if: false)').join(' ');
  it.each([
    ['50 directives', `{ me ${directives(50)} { id } }`, {}, []],
    ['51 directives: one error for the document', `{ me ${directives(30)} { id ${directives(21)} } }`, {}, ['DIRECTIVE_LIMIT_EXCEEDED']],
    ['on variables, operations, spreads, inline fragments and fragments', `query Q($a: Int ${directives(10)}) ${directives(10)} { ...F ${directives(10)} ... ${directives(10)} { me { id } } } fragment F on Query ${directives(11)} { me { id } }`, {}, ['DIRECTIVE_LIMIT_EXCEEDED']],
    ['in an unused fragment', `{ me { id } } fragment F on Query { me ${directives(51)} { id } }`, {}, ['DIRECTIVE_LIMIT_EXCEEDED']],
    ['in a type definition (which validation refuses anyway)', `{ me { id } } type T @a ${'@a '.repeat(50)} { f: Int }`, {}, ['DIRECTIVE_LIMIT_EXCEEDED']],
    ['0 turns the directive limit off', `{ me ${directives(500)} { id } }`, { maxDirectives: 0 }, []],
    ['introspection off: each __schema and __type, not __typename', '{ __typename __schema { queryType { name } } t: __type(name: "User") { name } }', { introspection: false }, ['INTROSPECTION_DISABLED', 'INTROSPECTION_DISABLED']],
    ['introspection off: in a fragment too', '{ ...F } fragment F on Query { __schema { queryType { name } } }', { introspection: false }, ['INTROSPECTION_DISABLED']],
    ['introspection on', '{ __schema { queryType { name } } }', {}, []],
  ])('%s', (_name, query, limits, expected) => {
    expect(codes(query, limits)).toEqual(expected);
  });

  it('says where an introspection field is', () => {
    const [error] = documentLimitErrors(parse('{\n  me { id }\n  __schema { queryType { name } }\n}'), { ...LIMITS, introspection: false });
    expect(error.locations).toEqual([{ line: 3, column: 3 }]);
  });

  it('reports the operation limits before what is inside the operation', () => {
    expect(codes(`{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } } d: __schema { queryType { name } } }`, { introspection: false })).toEqual([
      'INTROSPECTION_LIMIT_EXCEEDED',
      'INTROSPECTION_DISABLED',
      'INTROSPECTION_DISABLED',
      'INTROSPECTION_DISABLED',
      'INTROSPECTION_DISABLED',
    ]);
  });

  it('reports at most 100 errors, however many fields break a rule', () => {
    const query = `{ ${Array.from({ length: 5000 }, (_, k) => `s${k}: __type(name: "User") { name }`).join(' ')} }`;
    const errors = codes(query, { introspection: false, maxAliases: 0, maxRootFields: 0, maxSelections: 0, maxIntrospectionFields: 0 });
    expect(errors).toHaveLength(100);
  });
});
