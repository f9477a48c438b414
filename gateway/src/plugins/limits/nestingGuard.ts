/**
 * The deepest bracket nesting (`{`, `[`, `(`) in a GraphQL document, outside strings and comments,
 * found by one scan of the text. graphql-js parses recursively and overflows the stack near a few
 * thousand levels, so hostile nesting is refused on this number before parsing.
 */
export function maxNesting(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 35 /* # */) {
      while (i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    } else if (c === 34 /* " */) {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? text.length : end + 2;
      } else {
        for (i++; i < text.length; i++) {
          const d = text.charCodeAt(i);
          if (d === 92 /* \ */) i++;
          else if (d === 34 || d === 10 || d === 13) break;
        }
      }
    } else if (c === 123 || c === 91 || c === 40) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 125 || c === 93 || c === 41) {
      depth--;
    }
  }
  return max;
}
