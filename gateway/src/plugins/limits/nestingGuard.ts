/**
 * The deepest bracket nesting (`{`, `[`, `(`) in a GraphQL document, outside strings and comments,
 * found by one scan of the text. graphql-js parses recursively and overflows the stack near a few
 * thousand levels, so hostile nesting is refused on this number before parsing.
 *
 * Every request's document goes through here, and a hostile one is mostly a huge string or comment:
 * the scan jumps between the characters that matter with regular expressions (native scanning)
 * instead of looking at each character in turn, which made a 900 KB string cost milliseconds.
 */
export function maxNesting(text: string, stopAbove: number): number {
  const significant = /[#"{}[\]()]/g;
  let depth = 0;
  let max = 0;
  for (let match = significant.exec(text); match !== null; match = significant.exec(text)) {
    const i = match.index;
    const c = text.charCodeAt(i);
    if (c === 35 /* # */) {
      significant.lastIndex = skipTo(/[\n\r]/g, text, i + 1);
    } else if (c === 34 /* " */) {
      significant.lastIndex = text.startsWith('"""', i) ? blockStringEnd(text, i + 3) : stringEnd(text, i + 1);
    } else if (c === 123 || c === 91 || c === 40) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else {
      depth--;
    }
  }
  return max;
}

/** Where the scan resumes after `pattern`'s next match from `from` (the end of the text if none). */
function skipTo(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  return match === null ? text.length : match.index + match[0].length;
}

/** Just past the quote that closes a string starting at `from`, or its line's end (where the lexer stops it). */
function stringEnd(text: string, from: number): number {
  const special = /[\\"\n\r]/g;
  special.lastIndex = from;
  for (let match = special.exec(text); match !== null; match = special.exec(text)) {
    if (match[0] !== '\\') return match.index + 1;
    special.lastIndex = match.index + 2;
  }
  return text.length;
}

/** Just past the `"""` that closes a block string starting at `from` (`\"""` inside it does not). */
function blockStringEnd(text: string, from: number): number {
  for (let i = text.indexOf('"""', from); i >= 0; i = text.indexOf('"""', i + 3)) {
    if (text.charCodeAt(i - 1) !== 92 /* \ */) return i + 3;
  }
  return text.length;
}
