/**
 * Field selection merging, held to graphql-js's OverlappingFieldsCanBeMergedRule as the oracle: the
 * same documents refused, with the same words where there is one conflict; and, unlike graphql-js,
 * in time linear in the document when many fragments are spread into one selection set.
 */
import { GraphQLError, Kind, OverlappingFieldsCanBeMergedRule, buildSchema, parse, print, validate, visit, type ASTNode, type DocumentNode } from 'graphql';
import { OverlappingFieldsCanMergeRule, overlappingFieldsCanMergeRule } from '../overlappingFieldsRule';

const schema = buildSchema(`
  interface Pet { name: String nickname: String id: ID friend: Pet }
  type Dog implements Pet {
    name: String nickname: String id: ID! friend: Pet barkVolume: Int tags: [String] owner: Human
    doesKnowCommand(dogCommand: DogCommand): Boolean isHouseTrained(atOtherHomes: Boolean): Boolean
  }
  type Cat implements Pet { name: String nickname: String id: ID friend: Pet meowVolume: Int tags: [String!] owner: Human }
  union CatOrDog = Cat | Dog
  enum DogCommand { SIT HEEL DOWN }
  input Filter { a: Int b: [String] }
  type Human { name: String pets: [Pet] relatives(first: Int, filter: Filter): [Human] }
  type Query { dog: Dog cat: Cat pet: Pet catOrDog: CatOrDog human(id: ID): Human pets: [Pet] }
`);

const ours = (doc: DocumentNode) => validate(schema, doc, [OverlappingFieldsCanMergeRule]);
const graphqlJs = (doc: DocumentNode) => validate(schema, doc, [OverlappingFieldsCanBeMergedRule]);

describe('refuses what graphql-js refuses, in its words', () => {
  it.each([
    ['same field twice', '{ dog { name name } }', true],
    ['same alias, same field', '{ dog { n: name n: name } }', true],
    ['same alias, different fields', '{ dog { n: name n: nickname } }', false],
    ['alias over another field name', '{ dog { name: nickname name } }', false],
    ['same arguments', '{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: SIT) } }', true],
    ['different argument values', '{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: HEEL) } }', false],
    ['argument against none', '{ dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand } }', false],
    ['different variables', 'query($a: Boolean, $b: Boolean) { dog { isHouseTrained(atOtherHomes: $a) isHouseTrained(atOtherHomes: $b) } }', false],
    ['object fields in another order', '{ human { relatives(filter: { a: 1, b: ["x"] }) { name } relatives(filter: { b: ["x"], a: 1 }) { name } } }', true],
    ['block string against quoted string', '{ human(id: "1") { name } human(id: """1""") { name } }', false],
    ['different fields on exclusive object types', '{ pet { ... on Dog { x: barkVolume } ... on Cat { x: meowVolume } } }', true],
    ['different leaf types on exclusive object types', '{ pet { ... on Dog { x: barkVolume } ... on Cat { x: name } } }', false],
    ['nullable against non-null', '{ pet { ... on Dog { id } ... on Cat { id } } }', false],
    ['list of nullable against list of non-null', '{ pet { ... on Dog { tags } ... on Cat { tags } } }', false],
    ['different fields through an interface', '{ pet { ... on Pet { x: name } ... on Dog { x: nickname } } }', false],
    ['conflict in subfields', '{ dog { friend { name } } dog { friend { name: nickname } } }', false],
    ['conflict in subfields through fragments', '{ dog { ...A ...B } } fragment A on Dog { owner { n: name } } fragment B on Dog { owner { n: pets { name } } }', false],
    ['conflict within one fragment', '{ dog { ...A } } fragment A on Dog { x: name x: barkVolume }', false],
    ['conflict between a field and a fragment', '{ dog { x: name ...A } } fragment A on Dog { x: nickname }', false],
    ['subfields under exclusive parents may differ', '{ catOrDog { ... on Dog { owner { x: name } } ... on Cat { owner { x: pets { name } } } } }', false],
    ['__typename aliased over a field', '{ dog { __typename: name __typename } }', false],
    ['nested fields merged from two paths', '{ dog { owner { name } } dog { owner { name } } }', true],
  ])('%s', (_name, query, valid) => {
    const document = parse(query);
    const expected = graphqlJs(document);
    expect(expected.length === 0).toBe(valid);
    expect(ours(document).map(describeError)).toEqual(expected.map(describeError));
  });
});

function describeError(error: GraphQLError) {
  return { message: error.message, locations: error.locations };
}

/**
 * Random documents over the schema, from a seeded generator, with few response names so that fields
 * collide often, and fragments, inline fragments, arguments and aliases mixed in: whether a document
 * is refused must agree with graphql-js on every one.
 */
describe('agrees with graphql-js on random documents', () => {
  it('refuses the same ones of 3,000', () => {
    const random = seeded(20261126);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const document = withoutUnusedFragments(parse(randomDocument(random)));
      const expected = graphqlJs(document).length > 0;
      if (expected) refused++;
      if ((ours(document).length > 0) !== expected) throw new Error(`disagrees on ${print(document)}: graphql-js ${expected ? 'refuses' : 'accepts'}`);
    }
    // The generator must produce both kinds in number, or the agreement says little.
    expect(refused).toBeGreaterThan(600);
    expect(refused).toBeLessThan(2400);
  });
});

describe('costs linear time where graphql-js compares pairs', () => {
  const fanOut = (n: number, body: string) =>
    `{ dog { ${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')} } } ` + Array.from({ length: n }, (_, i) => `fragment F${i} on Dog { ${body} }`).join(' ');

  it('accepts 3,000 one-field fragments spread into one set, which graphql-js gives up on', () => {
    const document = parse(fanOut(3000, 'name'));
    expect(graphqlJs(document).map((e) => e.message)).toEqual(['Validation aborted.']);
    expect(ours(document)).toEqual([]);
  });

  it('finds the one conflict among 3,000 fragments, and reports it once', () => {
    const query = fanOut(3000, 'name owner { name }').replace('{ dog { ', '{ dog { ...Last ') + ' fragment Last on Dog { owner { name: pets { name } } }';
    expect(ours(parse(query)).map((e) => e.message)).toEqual([
      'Fields "owner" conflict because subfields "name" conflict because "pets" and "name" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
    ]);
  });

  it('checks a chain of fragments that expands to 2^40 fields without walking the expansion', () => {
    const chain =
      '{ dog { ...F0 } } ' + Array.from({ length: 40 }, (_, i) => `fragment F${i} on Dog { owner { pets { ...P${i} } } friend { ...P${i} } } fragment P${i} on Pet { ... on Dog { ...F${i + 1} } }`).join(' ') + ' fragment F40 on Dog { name }';
    expect(ours(parse(chain))).toEqual([]);
  });

  it('follows fragments nested 5,000 levels deep (limits off) without overflowing the stack', () => {
    const nested =
      '{ human { ...H0 } } ' +
      Array.from({ length: 5000 }, (_, i) => `fragment H${i} on Human { relatives { ...H${i + 1} } }`).join(' ') +
      ' fragment H5000 on Human { x: name x: pets { name } }';
    expect(ours(parse(nested)).map((e) => e.message)).toEqual([
      'Fields "x" conflict because "name" and "pets" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
    ]);
  });

  it('gives up with an error, not a hang, when the work would pass its bound', () => {
    const names = (n: number) => parse(`{ dog { ${'name '.repeat(n)} } }`);
    expect(validate(schema, names(1000), [overlappingFieldsCanMergeRule(10_000)])).toEqual([]);
    expect(validate(schema, names(5000), [overlappingFieldsCanMergeRule(10_000)]).map((e) => e.message)).toEqual([
      'Validation aborted: the operation has too many overlapping fields to check.',
    ]);
  });
});

/** The document without the fragments no operation reaches (graphql-js checks those too; we leave them to NoUnusedFragmentsRule). */
function withoutUnusedFragments(document: DocumentNode): DocumentNode {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const reached = new Set<string>();
  const reach = (node: ASTNode) =>
    visit(node, {
      FragmentSpread: (spread) => {
        if (reached.has(spread.name.value) || !fragments.has(spread.name.value)) return;
        reached.add(spread.name.value);
        reach(fragments.get(spread.name.value)!);
      },
    });
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION) reach(d);
  return { ...document, definitions: document.definitions.filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION || reached.has(d.name.value)) };
}

/** A small seeded generator (mulberry32): the same documents on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Fields per type: name, arguments to choose from, and the type its selection is on (if composite). */
const FIELDS: Record<string, Array<{ name: string; args?: string[]; of?: string }>> = {
  Query: [
    { name: 'dog', of: 'Dog' },
    { name: 'cat', of: 'Cat' },
    { name: 'pet', of: 'Pet' },
    { name: 'catOrDog', of: 'CatOrDog' },
    { name: 'human', of: 'Human', args: ['', '(id: "1")', '(id: """1""")', '(id: $id)'] },
    { name: 'pets', of: 'Pet' },
  ],
  Pet: [{ name: 'name' }, { name: 'nickname' }, { name: 'id' }, { name: 'friend', of: 'Pet' }, { name: '__typename' }],
  Dog: [
    { name: 'name' },
    { name: 'nickname' },
    { name: 'id' },
    { name: 'friend', of: 'Pet' },
    { name: 'barkVolume' },
    { name: 'tags' },
    { name: 'owner', of: 'Human' },
    { name: 'doesKnowCommand', args: ['', '(dogCommand: SIT)', '(dogCommand: HEEL)'] },
    { name: '__typename' },
  ],
  Cat: [
    { name: 'name' },
    { name: 'nickname' },
    { name: 'id' },
    { name: 'friend', of: 'Pet' },
    { name: 'meowVolume' },
    { name: 'tags' },
    { name: 'owner', of: 'Human' },
  ],
  CatOrDog: [{ name: '__typename' }],
  Human: [
    { name: 'name' },
    { name: 'pets', of: 'Pet' },
    { name: 'relatives', of: 'Human', args: ['', '(first: 1)', '(first: 2)', '(filter: { a: 1, b: ["x"] })', '(filter: { b: ["x"], a: 1 })'] },
  ],
};
/** Type conditions that may apply inside a selection on each type. */
const CONDITIONS: Record<string, string[]> = { Query: ['Query'], Pet: ['Pet', 'Dog', 'Cat'], Dog: ['Dog', 'Pet'], Cat: ['Cat', 'Pet'], CatOrDog: ['Dog', 'Cat', 'Pet', 'CatOrDog'], Human: ['Human'] };
const ALIASES = ['', '', '', '', '', '', '', 'x: ', 'y: ', 'name: '];

function randomDocument(random: Random): string {
  const fragments: Array<{ name: string; on: string }> = [];
  const definitions: string[] = [];
  // Fragments spread only fragments defined after them: no cycles.
  const fragmentCount = Math.floor(random() * 4);
  for (let i = fragmentCount - 1; i >= 0; i--) {
    const on = pick(random, ['Dog', 'Cat', 'Pet', 'Human', 'CatOrDog']);
    definitions.push(`fragment G${i} on ${on} ${randomSelection(random, on, 3, fragments)}`);
    fragments.push({ name: `G${i}`, on });
  }
  return `query($id: ID) ${randomSelection(random, 'Query', 4, fragments)} ${definitions.join(' ')}`;
}

function randomSelection(random: Random, type: string, depth: number, fragments: Array<{ name: string; on: string }>): string {
  const parts: string[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const roll = random();
    const spreadable = fragments.filter((f) => CONDITIONS[type].includes(f.on));
    if (roll < 0.15 && spreadable.length > 0) {
      parts.push(`...${pick(random, spreadable).name}`);
    } else if (roll < 0.3 && depth > 0) {
      const on = pick(random, CONDITIONS[type]);
      parts.push(`... on ${on} ${randomSelection(random, on, depth - 1, fragments)}`);
    } else {
      const field = pick(random, FIELDS[type]);
      const args = field.args ? pick(random, field.args) : '';
      const sub = field.of ? (depth > 0 ? randomSelection(random, field.of, depth - 1, fragments) : '{ __typename }') : '';
      parts.push(`${pick(random, ALIASES)}${field.name}${args} ${sub}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}
