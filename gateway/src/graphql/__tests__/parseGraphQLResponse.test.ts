/** What counts as a GraphQL response (https://spec.graphql.org/October2021/#sec-Response-Format). */
import { parseGraphQLResponse } from '../parseGraphQLResponse';

describe('parseGraphQLResponse', () => {
  it.each([
    ['data', '{"data":{"a":1}}', { data: { a: 1 } }],
    ['null data', '{"data":null}', { data: null }],
    ['errors', '{"errors":[{"message":"no"}]}', { errors: [{ message: 'no' }] }],
    ['both, and more', '{"data":{},"errors":[],"extensions":{}}', { data: {}, errors: [], extensions: {} }],
    // Members are passed on as sent: each caller judges them.
    ['errors not a list', '{"errors":"no"}', { errors: 'no' }],
    ['data not an object', '{"data":[1]}', { data: [1] }],
  ])('a response: %s', (_, text, expected) => {
    expect(parseGraphQLResponse(text)).toEqual(expected);
  });

  it.each([
    ['not JSON', '<html>Bad gateway</html>'],
    ['empty', ''],
    ['cut short', '{"data":{"a":'],
    ['null', 'null'],
    ['a string', '"data"'],
    ['a number', '1'],
    ['an array', '[{"data":{}}]'],
    ['an object without data or errors', '{"message":"oops"}'],
    ['data only under __proto__', '{"__proto__":{"data":{}}}'],
  ])('not a response: %s', (_, text) => {
    expect(parseGraphQLResponse(text)).toBeUndefined();
  });

  it('a __proto__ member stays a member and changes no prototype', () => {
    const body = parseGraphQLResponse('{"data":{},"__proto__":{"polluted":true}}');
    expect(body).toBeDefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
