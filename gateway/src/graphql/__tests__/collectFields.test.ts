/**
 * collectFields walks one selection set's fields through its fragments, as graphql-js's
 * collectFields: in the document's order, each named fragment once per set, in time linear in the
 * document whatever the fragments spread, and without recursion however deep they nest.
 */
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { collectFields, type CollectFieldsVisitor } from '../collectFields';
import { fragmentsOf } from '../fragmentsOf';

/** The fields collected from the operation, each as `scope.name`, the scope being the type conditions passed. */
function collect(query: string, visitor: Partial<CollectFieldsVisitor<string>> = {}): string[] {
  const document = parse(query, { noLocation: true });
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const out: string[] = [];
  collectFields(operation.selectionSet, 'Q', fragmentsOf(document), {
    field: visitor.field ?? ((field, scope) => void out.push(`${scope}.${field.alias?.value ?? field.name.value}`)),
    fragment: visitor.fragment ?? ((typeCondition, scope) => (typeCondition ? `${scope}>${typeCondition.name.value}` : scope)),
  });
  return out;
}

/** `n` fragments, each spreading the next `times` times. */
const chain = (n: number, times: number) =>
  '{ ...F0 } ' + Array.from({ length: n }, (_, i) => `fragment F${i} on Q { f${i} ${`...F${i + 1} `.repeat(times)}}`).join(' ') + ` fragment F${n} on Q { last }`;

describe('collectFields', () => {
  it.each([
    ['fields in order', '{ a b c }', ['Q.a', 'Q.b', 'Q.c']],
    ['aliases and repeats are the caller’s', '{ a x: a a }', ['Q.a', 'Q.x', 'Q.a']],
    ['not into a field’s own selections', '{ a { b } c }', ['Q.a', 'Q.c']],
    ['inline fragments in place, with or without condition', '{ a ... on T { b } ... { c } d }', ['Q.a', 'Q>T.b', 'Q.c', 'Q.d']],
    ['spreads in place', '{ a ...F d } fragment F on T { b ... on U { c } }', ['Q.a', 'Q>T.b', 'Q>T>U.c', 'Q.d']],
    ['a fragment spread again adds nothing', '{ ...F a ...F ... { ...F } } fragment F on T { b }', ['Q>T.b', 'Q.a']],
    ['a spread of an unknown fragment is passed over', '{ ...Nope a }', ['Q.a']],
    ['fragments named after Object.prototype members', '{ ...constructor ...__proto__ ...toString } fragment constructor on A { a } fragment __proto__ on B { b } fragment toString on C { c }', ['Q>A.a', 'Q>B.b', 'Q>C.c']],
    ['of two fragments with one name, the map decides (last here)', '{ ...F } fragment F on T { first } fragment F on T { second }', ['Q>T.second']],
  ])('%s', (_, query, expected) => {
    expect(collect(query)).toEqual(expected);
  });

  it('a fragment left out is asked again at its next spread', () => {
    const asked: string[] = [];
    const out = collect('{ ...F @skip(if: true) ...F } fragment F on T { b }', {
      fragment: (typeCondition, scope, selection) => {
        asked.push(typeCondition!.name.value);
        return selection.directives?.length ? false : scope;
      },
    });
    expect(asked).toEqual(['T', 'T']);
    expect(out).toEqual(['Q.b']);
  });

  it('stops when a field says so', () => {
    const seen: string[] = [];
    collect('{ a ... { b c } d }', { field: (field) => (seen.push(field.name.value), field.name.value === 'b') });
    expect(seen).toEqual(['a', 'b']);
  });

  it('is linear in the document: 40 fragments each spreading the next twice', () => {
    const expected = [...Array.from({ length: 40 }, (_, i) => `Q.f${i}`), 'Q.last'];
    expect(collect(chain(40, 2), { fragment: (_t, scope) => scope })).toEqual(expected);
  });

  it('does not recurse: 20,000 fragments nested in one another', () => {
    expect(collect(chain(20_000, 1), { fragment: (_t, scope) => scope })).toHaveLength(20_001);
  });
});
