/**
 * `@skip`/`@include` (https://spec.graphql.org/October2021/#sec--skip), as cost estimation and
 * response shaping apply them. Only `true` is true: coercion refuses other values before these run,
 * and a value that slips through must not keep a selection `@include` asked to drop.
 */
import { parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { conditionsHold, inclusionConditions, isIncluded } from '../isIncluded';

const directivesOf = (field: string) => ((parse(`{ ${field} }`).definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode).directives;

describe('isIncluded', () => {
  it.each([
    ['a', {}, true],
    ['a @deprecated', {}, true],
    ['a @skip(if: true)', {}, false],
    ['a @skip(if: false)', {}, true],
    ['a @include(if: true)', {}, true],
    ['a @include(if: false)', {}, false],
    ['a @include(if: $v)', { v: true }, true],
    ['a @include(if: $v)', { v: false }, false],
    ['a @include(if: $undefinedVar)', {}, false],
    ['a @skip(if: $undefinedVar)', {}, true],
    ['a @include(if: $v)', { v: 'true' }, false],
    ['a @include(if: $v)', { v: 1 }, false],
    ['a @include(if: $v)', { v: null }, false],
    ['a @skip(if: $v)', { v: 'true' }, true],
    ['a @skip(if: $v)', { v: 1 }, true],
    ['a @include(if: $constructor)', {}, false],
    ['a @include(if: $__proto__)', {}, false],
    ['a @include(if: $toString)', {}, false],
    ['a @skip(if: $v) @include(if: $w)', { v: false, w: true }, true],
    ['a @skip(if: $v) @include(if: $w)', { v: true, w: true }, false],
    ['a @skip(if: false) @include(if: $w)', { w: false }, false],
    // Invalid documents, refused by validation: the directive decides nothing.
    ['a @skip', {}, true],
    ['a @include', {}, true],
    ['a @include(if: "no")', {}, true],
    ['a @include(unless: false)', {}, true],
  ])('%s with %j: %s', (field, variables, expected) => {
    expect(isIncluded(directivesOf(field), variables)).toBe(expected);
  });

  it('reads only the variables object itself, not what it inherits', () => {
    const inherited = Object.create({ v: true }) as Record<string, unknown>;
    expect(isIncluded(directivesOf('a @include(if: $v)'), inherited)).toBe(false);
    expect(isIncluded(directivesOf('a @include(if: $v)'), Object.assign(Object.create(null), { v: true }))).toBe(true);
  });
});

describe('inclusionConditions: decided before the variables are known where it can be', () => {
  it.each([
    ['a', true],
    ['a @include(if: true)', true],
    ['a @skip(if: true)', false],
    ['a @include(if: false) @skip(if: $v)', false],
    ['a @skip(if: $v)', [{ include: false, variable: 'v' }]],
    ['a @include(if: $v) @skip(if: $w)', [{ include: true, variable: 'v' }, { include: false, variable: 'w' }]],
  ])('%s', (field, expected) => {
    expect(inclusionConditions(directivesOf(field))).toEqual(expected);
  });

  it('conditionsHold needs every condition', () => {
    const conditions = [{ include: true, variable: 'v' }, { include: false, variable: 'w' }];
    expect(conditionsHold(conditions, { v: true, w: false })).toBe(true);
    expect(conditionsHold(conditions, { v: true, w: true })).toBe(false);
    expect(conditionsHold(conditions, { w: false })).toBe(false);
    expect(conditionsHold([], {})).toBe(true);
  });
});
