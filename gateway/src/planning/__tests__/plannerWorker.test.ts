/**
 * The planning thread: a supergraph loaded there gives this thread the same schemas, plans and
 * errors as one loaded here, and the thread dying or dropping a supergraph costs a reload, not a
 * failed request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supergraph, buildSchema as buildFederationSchema, printSchema as printFederationSchema } from '@apollo/federation-internals';
import { GraphQLError, parse, print, printSchema, type GraphQLSchema } from 'graphql';
import { composeSupergraph } from '../../composition/composeSupergraph';
import { loadSupergraph, schemaFromPrinted, type LoadedSupergraph } from '../loadSupergraph';
import { UnplannableOperationError } from '../planOperation';
import { PlannerWorker, PlanningThreadError } from '../plannerWorker';

const sampleSdl = readFileSync(join(__dirname, '../../../../supergraph.graphql'), 'utf8');

const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${imports}])\n`;
// Applied directives the gateway's thread reads from schemas: @cost and @listSize (cost), and the
// authorization directives on the supergraph schema.
const composed = composeSupergraph([
  {
    name: 'one',
    url: 'http://one/graphql',
    sdl:
      link('"@key", "@cost", "@listSize", "@authenticated", "@requiresScopes"') +
      `interface Node @key(fields: "id") { id: ID! }
       type Query { node: Node items(first: Int): [Item] @listSize(slicingArguments: ["first"]) secret: String @authenticated }
       type Item @key(fields: "id") { id: ID! price: Int @cost(weight: 7) memo: String @requiresScopes(scopes: [["memo:read"]]) }`,
  },
  {
    name: 'two',
    url: 'http://two/graphql',
    sdl: link('"@key", "@interfaceObject"') + 'type Node @key(fields: "id", resolvable: false) @interfaceObject { id: ID! extra: String } type Item @key(fields: "id") { id: ID! stock: Int } type Query { two: Int }',
  },
]);
if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
const directivesSdl = composed.supergraphSdl;

let worker: PlannerWorker;
beforeEach(() => {
  worker = new PlannerWorker();
});
afterEach(async () => {
  await worker.close();
});

/** A schema as text, with every applied directive of every type and field (printSchema drops them). */
function fullText(schema: GraphQLSchema): string {
  const nodes = Object.values(schema.getTypeMap()).flatMap((type) => {
    const fields = 'getFields' in type ? Object.values(type.getFields()) : [];
    return [type.astNode, ...(type.extensionASTNodes ?? []), ...fields.map((f) => f.astNode)];
  });
  return [printSchema(schema), schema.astNode ? print(schema.astNode) : 'no schema node', ...nodes.map((n) => (n ? print(n) : 'no node'))].join('\n');
}

describe('gives this thread the schemas a load here gives', () => {
  it.each([
    ['the sample supergraph', sampleSdl],
    ['a supergraph with cost and authorization directives', directivesSdl],
  ])('%s', async (_name, sdl) => {
    const here = loadSupergraph(sdl);
    const there = await worker.load(sdl);
    expect(there.hash).toBe(here.hash);
    expect(fullText(there.schema)).toBe(fullText(here.schema));
    expect(fullText(there.supergraphSchema)).toBe(fullText(here.supergraphSchema));
    expect([...there.subgraphUrls]).toEqual([...here.subgraphUrls]);
    for (const name of here.subgraphUrls.keys()) expect(fullText(there.subgraphSchema(name)!)).toBe(fullText(here.subgraphSchema(name)!));
    expect(there.subgraphSchema('constructor')).toBeUndefined();
  });

  it('a schema whose types are only extended gets them defined, without an astNode, as toGraphQLJSSchema does', () => {
    const schema = buildFederationSchema('extend type Query { a: Int } extend schema @foo directive @foo on SCHEMA', { validate: false });
    const expected = schema.toGraphQLJSSchema();
    const rebuilt = schemaFromPrinted(printFederationSchema(schema));
    expect(fullText(rebuilt)).toBe(fullText(expected));
    expect(rebuilt.getType('Query')?.astNode).toBeUndefined();
    expect(rebuilt.getType('Query')?.extensionASTNodes).toHaveLength(1);
    expect(rebuilt.astNode).toBeUndefined();
  });
});

describe('plans as this thread plans', () => {
  const operations: Array<[string, string, string | undefined]> = [
    ['a root field', '{ two }', undefined],
    ['an entity across subgraphs', '{ items(first: 2) { id price stock } }', undefined],
    ['a named operation among several', 'query A { two } query B { items { stock } }', 'B'],
    ['through fragments', 'query { ...Q } fragment Q on Query { items { ...I } } fragment I on Item { stock }', undefined],
  ];
  it.each(operations)('%s', async (_name, query, operationName) => {
    const here = loadSupergraph(directivesSdl);
    const there = await worker.load(directivesSdl);
    const expected = await here.plan({ document: parse(query), operationName });
    expect(await there.plan({ document: parse(query), text: query, operationName })).toEqual(expected);
    // Without the text, the document is printed and sent.
    expect(await there.plan({ document: parse(query), operationName })).toEqual(expected);
  });

  it('rejects with the same errors', async () => {
    const there = await worker.load(directivesSdl);
    await expect(there.plan({ document: parse('{ node { extra } }'), operationName: undefined })).rejects.toThrow(UnplannableOperationError);
    await expect(there.plan({ document: parse('{ node { extra } }'), operationName: undefined })).rejects.toMatchObject({ field: 'node' });
    await expect(there.plan({ document: parse('query A { two }'), operationName: 'B' })).rejects.toThrow(GraphQLError);
  });

  it('refuses an SDL that is not a supergraph, with the loader message', async () => {
    const message = (() => {
      try {
        Supergraph.build('type Query { a: Int }');
      } catch (err) {
        return (err as Error).message;
      }
    })();
    await expect(worker.load('type Query { a: Int }')).rejects.toThrow(message!);
    await expect(worker.load('type Query {')).rejects.toThrow(/Syntax Error/);
  });
});

describe('survives what happens to the thread', () => {
  const plan = (loaded: LoadedSupergraph) => loaded.plan({ document: parse('{ two }'), text: '{ two }', operationName: undefined });

  it('loads a supergraph again after the thread was replaced', async () => {
    const loaded = await worker.load(directivesSdl);
    const expected = await plan(loaded);
    await worker.close();
    // A new thread knows nothing: the plan loads the supergraph there first.
    expect(await plan(loaded)).toEqual(expected);
  });

  it('keeps the two newest supergraphs and loads an older one again when asked', async () => {
    const first = await worker.load(directivesSdl);
    await worker.load(sampleSdl);
    await worker.load(sampleSdl.replace('type Query', '"""another"""\ntype Query'));
    expect((await plan(first)).node).toMatchObject({ kind: 'Fetch', serviceName: 'two' });
  });

  it('fails what waits on a thread that is stopped, with a PlanningThreadError', async () => {
    const failed = expect(worker.load(sampleSdl)).rejects.toThrow(PlanningThreadError);
    await worker.close();
    await failed;
  });

  it('plans many operations at once, each answered', async () => {
    const loaded = await worker.load(directivesSdl);
    const queries = Array.from({ length: 50 }, (_, i) => `query Q${i} { items(first: ${i}) { id stock } }`);
    const plans = await Promise.all(queries.map((q) => loaded.plan({ document: parse(q), text: q, operationName: undefined })));
    expect(plans.map((p) => (p.node as { kind: string }).kind)).toEqual(queries.map(() => 'Sequence'));
  });
});
