import { maxNesting } from '../nestingGuard';

/** The definition, one character at a time: what the scan must agree with. */
function referenceNesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (text.startsWith('"""', i)) {
      for (i += 3; i < text.length && !text.startsWith('"""', i); i++) if (text.startsWith('\\"""', i)) i += 3;
      i += 2;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n' && text[i] !== '\r'; i++) if (text[i] === '\\') i++;
    } else if ('{[('.includes(c)) {
      max = Math.max(max, ++depth);
    } else if ('}])'.includes(c)) {
      depth--;
    }
  }
  return max;
}

describe('maxNesting', () => {
  it.each([
    ['no brackets', 'query', 0],
    ['a selection set', '{ me { id } }', 2],
    ['arguments and lists', 'query($a: [[Int]]) { f(x: [{ y: 1 }]) }', 4],
    ['brackets in a string do not count', '{ f(x: "{{{{[[[(((") }', 2],
    ['an escaped quote does not end a string', '{ f(x: "\\"{{{{") }', 2],
    ['an escaped backslash before the closing quote', '{ f(x: "\\\\") { a { b } } }', 3],
    ['a string ends at its line', '{ f(x: "open\n{ { {', 5],
    ['brackets in a comment do not count', '{ # {{{{{{\n a }', 1],
    ['a comment ends at \\r', '{ # {{{{{{\r{ a } }', 2],
    ['brackets in a block string do not count', '{ f(x: """ {{{{ " "" """) }', 2],
    ['an escaped triple quote does not end a block string', '{ f(x: """ \\""" {{{{ """) { a } }', 2],
    ['an unclosed block string runs to the end', '{ f(x: """ {{{{ ', 2],
    ['an unclosed string runs to the end', '{ "{{{{', 1],
  ])('%s', (_, text, expected) => {
    expect(maxNesting(text, 1000)).toBe(expected);
    expect(referenceNesting(text)).toBe(expected);
  });

  it('stops as soon as the nesting passes the limit', () => {
    expect(maxNesting(`${'{'.repeat(10)}"${'x'.repeat(1000)}`, 5)).toBe(6);
  });

  it('agrees with the definition on 5,000 seeded random documents', () => {
    let seed = 20261126;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pieces = ['{', '}', '[', ']', '(', ')', '"', '"""', '\\', '\\"""', '#', '\n', '\r', 'a', ' ', 'x: ', '""'];
    for (let n = 0; n < 5000; n++) {
      const text = Array.from({ length: Math.floor(random() * 60) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect([text, maxNesting(text, 1000)]).toEqual([text, referenceNesting(text)]);
    }
  });

  it('a 900 KB string in an argument adds no nesting', () => {
    const text = `{ user(identifier: "${'x'.repeat(900_000)}") { id } }`;
    expect(maxNesting(text, 500)).toBe(2);
  });
});
