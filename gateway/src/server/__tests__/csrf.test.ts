import { couldBeSimpleRequest, csrfRefusal } from '../csrf';

// What a browser sends without a preflight is judged as the fetch spec's CORS-safelisted
// content-type check judges it: parsed as a MIME type, by its essence.
it.each<[string | undefined, boolean]>([
  [undefined, true],
  ['text/plain', true],
  ['text/plain;charset=UTF-8', true],
  ['TEXT/PLAIN', true],
  ['  text/plain  ; x="a;b"', true],
  ['application/x-www-form-urlencoded', true],
  ['multipart/form-data; boundary=----x', true],
  ['application/json', false],
  ['application/graphql-response+json', false],
  ['text/html', false],
  ['application/json, text/plain', false],
  // Not a MIME type a browser can parse, so not one it sends without a preflight.
  ['text', false],
  ['', false],
  ['text/plain(x)', false],
  ['text /plain', false],
])('content-type %j could be a simple request: %s', (contentType, simple) => {
  expect(couldBeSimpleRequest(contentType)).toBe(simple);
});

it('names a header made to be sent as "true" in its message, and lists them all', () => {
  const refusal = csrfRefusal({}, ['x-apollo-operation-name', 'apollo-require-preflight']);
  expect(refusal?.message).toContain('"apollo-require-preflight: true"');
  expect(refusal?.extensions).toEqual({ code: 'CSRF_PREVENTED', requiredHeaders: ['x-apollo-operation-name', 'apollo-require-preflight'] });
  expect(csrfRefusal({}, ['x-mine'])?.message).toContain('"x-mine: true"');
});

it('finds only the request\'s own headers, non-empty strings', () => {
  const inherited = Object.create({ 'x-mine': 'yes' }) as Record<string, string>;
  expect(csrfRefusal(inherited, ['x-mine'])).toBeDefined();
  expect(csrfRefusal({ constructor: 'x' }, ['constructor'])).toBeUndefined();
  expect(csrfRefusal({}, ['constructor'])).toBeDefined();
  expect(csrfRefusal({ 'x-mine': ['', 'y'] }, ['x-mine'])).toBeUndefined();
  expect(csrfRefusal({ 'x-mine': [''] }, ['x-mine'])).toBeDefined();
});
