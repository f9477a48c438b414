import { createHash } from 'node:crypto';
import { DEFAULT_MANIFEST_LIMITS, ManifestError, parseManifest } from '../manifest';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const TOP = 'query TopProducts { topProducts { name } }';
const ME = 'query Me { me { id } }';
const REVIEW = 'mutation Review($body: String!) { submitReview(upc: "1", body: $body) { id } }';

/** The same three operations as each tool writes them. */
const MANIFESTS: Array<[string, string]> = [
  [
    'apollo-persisted-query-manifest',
    JSON.stringify(
      {
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: sha(TOP), body: TOP, name: 'TopProducts', type: 'query' },
          { id: sha(ME), body: ME, name: 'Me', type: 'query' },
          { id: sha(REVIEW), body: REVIEW, name: 'Review', type: 'mutation' },
        ],
      },
      null,
      2,
    ),
  ],
  // Written out: JSON.stringify would put the integer-like id "12" first.
  ['Relay persisted_queries.json', `{\n  "1f0a": ${JSON.stringify(TOP)},\n  "12": ${JSON.stringify(ME)},\n  "c3d4": ${JSON.stringify(REVIEW)}\n}`],
  ['GraphQL Code Generator persisted documents', JSON.stringify({ [sha(TOP)]: TOP, [sha(ME)]: ME, [sha(REVIEW)]: REVIEW }, null, 2)],
];

it.each(MANIFESTS)('reads %s', (format, text) => {
  const manifest = parseManifest(text);
  expect(manifest.format).toBe(format === 'apollo-persisted-query-manifest' ? format : 'id-to-text');
  expect(manifest.documents.map((d) => d.body)).toEqual([TOP, ME, REVIEW]);
  expect(manifest.documents.map((d) => d.sha256)).toEqual([sha(TOP), sha(ME), sha(REVIEW)]);
  if (format === 'Relay persisted_queries.json') expect(manifest.documents.map((d) => d.id)).toEqual(['1f0a', '12', 'c3d4']);
});

it('keeps the name and type Apollo’s format gives', () => {
  expect(parseManifest(MANIFESTS[0][1]).documents[2]).toEqual({ id: sha(REVIEW), body: REVIEW, sha256: sha(REVIEW), name: 'Review', type: 'mutation' });
});

const apollo = (operations: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations, ...extra }, null, 2);

/** Refused whole, with the line and the reason. */
it.each<[string, string, number, RegExp]>([
  ['not JSON: a trailing comma', '{\n  "a": "{ me { id } }",\n}', 3, /not JSON/],
  ['not JSON: cut short', '{\n  "a": "{ me { id } }",\n  "b": ', 3, /not JSON: Unexpected end/],
  ['an array', '[]', 1, /a manifest is a JSON object/],
  ['an id twice (JSON.parse would keep the last)', '{\n  "a": "{ me { id } }",\n  "a": "{ __typename }"\n}', 3, /appears twice/],
  ['a document that is not GraphQL', '{\n  "a": "{ me { id } }",\n  "b": "{ me { "\n}', 3, /the document of "b" is not GraphQL: Syntax Error/],
  ['a document with no operation', '{\n  "a": "fragment F on User { id }"\n}', 2, /has no operation/],
  ['a document that is not a string', '{\n  "a": 42\n}', 2, /must be a string of GraphQL/],
  ['an empty id', '{\n  "": "{ me { id } }"\n}', 2, /non-empty/],
  ['an id with a space', '{\n  "a b": "{ me { id } }"\n}', 2, /printable ASCII/],
  ['an id too long', `{\n  "${'x'.repeat(257)}": "{ me { id } }"\n}`, 2, /longer than 256/],
  ['an unknown format', '{ "format": "persisted-queries-v9", "operations": [] }', 1, /unknown format "persisted-queries-v9"/],
  ['an unknown version', apollo([], { version: 2 }), 1, /unknown version 2/],
  ['operations not an array', JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: {} }), 1, /must be an array/],
  ['an operation that is not an object', apollo([{ id: 'a', body: ME }, 'x']), 9, /an operation is an object/],
  ['an operation without a body', apollo([{ id: 'a', body: ME }, { id: 'b' }]), 9, /the document of "b" must be a string/],
  ['an operation whose id is a number', apollo([{ id: 7, body: ME }]), 5, /an id must be a non-empty string/],
  ['a type that lies', apollo([{ id: 'a', body: ME, type: 'mutation' }]), 5, /says it is a mutation but its operation is a query/],
  ['an unknown type', apollo([{ id: 'a', body: ME, type: 'query ' }]), 5, /must be query, mutation or subscription/],
  ['a sha256 id that is not the hash of its document', `{\n  "sha256:${sha('{ __typename }')}": "{ me { id } }"\n}`, 2, /is not "sha256:" and the SHA-256 of its document/],
  ['a sha256 id in upper case', `{\n  "sha256:${sha(ME).toUpperCase()}": ${JSON.stringify(ME)}\n}`, 2, /is not "sha256:" and the SHA-256/],
  ['one id twice in operations', apollo([{ id: 'a', body: ME }, { id: 'a', body: TOP }]), 9, /the id "a" appears twice/],
])('refuses %s', (_name, text, line, reason) => {
  let error: unknown;
  try {
    parseManifest(text);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ManifestError);
  expect({ line: (error as ManifestError).line, reason: (error as ManifestError).reason }).toEqual({ line, reason: expect.stringMatching(reason) });
});

it('takes a sha256 id that is the hash of its document', () => {
  expect(parseManifest(`{ "sha256:${sha(ME)}": ${JSON.stringify(ME)} }`).documents[0]).toMatchObject({ id: `sha256:${sha(ME)}`, sha256: sha(ME) });
});

it('names like __proto__ and constructor are ids like any other', () => {
  const manifest = parseManifest('{ "__proto__": "{ me { id } }", "constructor": "{ __typename }", "toString": "{ me { id } }" }');
  expect(manifest.documents.map((d) => d.id)).toEqual(['__proto__', 'constructor', 'toString']);
  expect(manifest.documents[1].body).toBe('{ __typename }');
});

it('refuses more documents than the limit, and a document over the token limit', () => {
  const many = JSON.stringify(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`id${i}`, '{ me { id } }'])));
  expect(() => parseManifest(many, { ...DEFAULT_MANIFEST_LIMITS, maxDocuments: 10 })).toThrow('more than 10 documents');
  const huge = JSON.stringify({ big: `{ ${'me { id } '.repeat(5000)} }` });
  expect(() => parseManifest(huge)).toThrow('line 1: the document of "big" has more than the allowed 15000 tokens');
});

it('reads a manifest of 10,000 documents', () => {
  const text = JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [sha(`{ a${i}: me { id } }`), `{ a${i}: me { id } }`])));
  expect(parseManifest(text).documents).toHaveLength(10_000);
});
