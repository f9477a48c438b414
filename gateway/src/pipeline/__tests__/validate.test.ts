/**
 * validateDocument skips the rules about variables for a document whose text has no `$` (it can
 * have no variable to define, use or misuse), and only then: with a `$` anywhere, each of those
 * rules still reports, large document (two passes) or not.
 */
import { buildSchema, parse } from 'graphql';
import { resolveConfig } from '../../config';
import { RequestError } from '../requestError';
import { validateDocument } from '../validate';

const schema = buildSchema('type Query { product(upc: String!): Product, products(first: Int): [Product] } type Product { upc: String! name: String }');
const limits = resolveConfig({ supergraph: 'x' }).limits;

async function codesOf(text: string, large: boolean): Promise<string[]> {
  try {
    await validateDocument(schema, parse(text), limits, large, text);
    return [];
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    return err.errors.map((e) => e.message);
  }
}

describe.each([false, true])('large: %s', (large) => {
  it.each([
    ['an undefined variable', 'query { product(upc: $upc) { name } }', /Variable "\$upc" is not defined/],
    ['an unused variable', 'query ($upc: String!) { products { name } }', /Variable "\$upc" is never used/],
    ['a variable in a position it does not fit', 'query ($n: Int) { product(upc: $n) { name } }', /Variable "\$n" of type "Int" used in position expecting type "String!"/],
    ['a variable defined twice', 'query ($n: Int, $n: Int) { products(first: $n) { name } }', /There can be only one variable named "\$n"/],
  ])('%s is reported', async (_case, text, message) => {
    expect((await codesOf(text, large)).some((m) => message.test(m))).toBe(true);
  });

  it('a document without variables still meets every other rule', async () => {
    expect(await codesOf('query { product(upc: "1") { nope } }', large)).toEqual(['Cannot query field "nope" on type "Product". Did you mean "name"?']);
    expect(await codesOf('query { product(upc: "1") { name } }', large)).toEqual([]);
  });
});
