import { Kind, type DirectiveNode } from 'graphql';

/**
 * One `@skip(if:)` or `@include(if:)` whose argument is a variable: the selection stays when the
 * variable's value is `include`.
 */
export interface InclusionCondition {
  readonly include: boolean;
  readonly variable: string;
}

/**
 * What `@skip`/`@include` make of a selection before variables are known: `true` (always there),
 * `false` (a literal takes it out), or the variable conditions that decide it per request.
 * A directive without `if`, or with a literal that is not a Boolean, decides nothing: validation
 * refuses such documents (ProvidedRequiredArgumentsRule, ValuesOfCorrectTypeRule).
 * https://spec.graphql.org/October2021/#sec--skip
 */
export function inclusionConditions(directives: readonly DirectiveNode[] | undefined): readonly InclusionCondition[] | boolean {
  if (!directives || directives.length === 0) return true;
  const conditions: InclusionCondition[] = [];
  for (const d of directives) {
    const include = d.name.value === 'include';
    if (!include && d.name.value !== 'skip') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    if (arg.value.kind === Kind.BOOLEAN) {
      if (arg.value.value !== include) return false;
    } else if (arg.value.kind === Kind.VARIABLE) {
      conditions.push({ include, variable: arg.value.name.value });
    }
  }
  return conditions.length > 0 ? conditions : true;
}

/**
 * Whether every condition holds. Only the value `true` counts as true: a variable that is missing
 * or not a Boolean (coercion refuses both before this runs) counts as false, so
 * `@include(if: $missing)` takes the selection out and `@skip(if: $missing)` keeps it.
 */
export function conditionsHold(conditions: readonly InclusionCondition[], variables: Readonly<Record<string, unknown>>): boolean {
  for (const c of conditions) {
    const value = Object.prototype.hasOwnProperty.call(variables, c.variable) && variables[c.variable] === true;
    if (value !== c.include) return false;
  }
  return true;
}

/** Whether `@skip`/`@include` keep a selection, given the request's variables. */
export function isIncluded(directives: readonly DirectiveNode[] | undefined, variables: Readonly<Record<string, unknown>>): boolean {
  const conditions = inclusionConditions(directives);
  return typeof conditions === 'boolean' ? conditions : conditionsHold(conditions, variables);
}
