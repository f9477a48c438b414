/**
 * Authorization's filtering of an operation (filterOperation, through the plugin that calls it):
 * given the supergraph's @authenticated / @requiresScopes / @policy and a caller, what is left for
 * the planner, what the response is shaped to, and the errors the client gets. No subgraph, no
 * Gateway: the documents are compared as GraphQL text with named fragments written inline, so a case
 * reads as "this query, for this caller, is planned as that one".
 */
import {
  Kind,
  OperationTypeNode,
  getOperationAST,
  parse,
  print,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type SelectionSetNode,
} from 'graphql';
import { composeSupergraph } from '../../../composition/composeSupergraph';
import { applyOperationShape, compileOperationShape } from '../../../execution/responseShape';
import { resolveConfig } from '../../../config';
import type { Logger } from '../../../deps';
import { formatError, statusOf } from '../../../errors/gatewayError';
import { collectFields } from '../../../graphql/collectFields';
import { fragmentsOf } from '../../../graphql/fragmentsOf';
import { loadSupergraph } from '../../../planning/loadSupergraph';
import { ANONYMOUS, type Identity } from '../../auth/identity';
import type { OperationReplacement } from '../../types';
import { authorizationMetadata } from '../authorizationMetadata';
import { filterOperation } from '../filterOperation';
import { checkRequirement, useAuthorization } from '../useAuthorization';

const SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])

  type Query {
    account(id: ID!): Account
    accounts: [Account]
    secrets: [Secret!]
    things: [Thing!]
    search: [Result]
    gadgets: [Gadget!]
  }

  type Account @key(fields: "id") {
    id: ID!
    owner: String
    "OR: either scope will do."
    balance: Int @requiresScopes(scopes: [["read:balance"], ["admin"]])
    "AND: both scopes; non-null."
    pin: String! @requiresScopes(scopes: [["read:pin", "admin"]])
    email: String @authenticated
    audit: String @policy(policies: [["auditor"]])
    history(limit: Int): [String] @requiresScopes(scopes: [["read:history"]])
    "Named like an Object.prototype member, and protected."
    constructor: String @authenticated
    toString: String
  }

  type Secret @authenticated { id: ID! value: String }

  interface Thing { id: ID! name: String }
  type PublicThing implements Thing { id: ID! name: String }
  type PrivateThing implements Thing @requiresScopes(scopes: [["private"]]) { id: ID! name: String hidden: String }
  union Result = PublicThing | PrivateThing

  "serial is protected on Phone only."
  interface Gadget { id: ID! serial: String }
  type Phone implements Gadget { id: ID! serial: String @authenticated }
  type Watch implements Gadget { id: ID! serial: String }
`;

const composed = composeSupergraph([{ name: 'vault', url: 'http://vault.test/graphql', sdl: SDL }]);
if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
const supergraph = loadSupergraph(composed.supergraphSdl);
const metadata = authorizationMetadata(supergraph.supergraphSchema);

/** Who calls: anonymous unless `scopes` are given or `authenticated`; `policies` the policy module grants. */
interface Caller {
  authenticated?: boolean;
  scopes?: string[];
  policies?: string[];
}

function identityOf(caller: Caller): Identity {
  if (!caller.authenticated && !caller.scopes) return ANONYMOUS;
  return { clientId: 'u1', scopes: caller.scopes ?? [], claims: {}, via: 'jwt' };
}

interface Outcome {
  /** The operation the planner gets (fragments inline); the client's when nothing was removed. */
  planned: string;
  /** The operation the response is shaped to (fragments inline). */
  response: string;
  errors: GraphQLFormattedError[];
  /** In reject mode: the errors the request was refused with. */
  rejected?: readonly GraphQLError[];
}

/** Runs the authorization plugin's onValidated for this query and caller. */
async function authorize(query: string, caller: Caller = {}, mode: 'filter' | 'reject' = 'filter', loaded = supergraph): Promise<Outcome> {
  const document = parse(query);
  expect(validate(loaded.schema, document)).toEqual([]);
  const operation = getOperationAST(document)!;
  let replacement: OperationReplacement | undefined;
  let rejected: readonly GraphQLError[] | undefined;
  const config = resolveConfig({ supergraph: 'inline', authorization: { mode } }).authorization;
  const plugin = useAuthorization(config, { logger: silent, evaluatePolicy: (policy) => caller.policies?.includes(policy) === true });
  await plugin.onValidated!({
    request: { method: 'POST', headers: {}, query, operationName: undefined, variables: undefined, extensions: undefined },
    context: { requestId: 'req-1', startedAt: 0, identity: identityOf(caller) },
    document,
    operation,
    operationKind: OperationTypeNode.QUERY,
    variables: {},
    supergraph: loaded,
    reject: (errors) => void (rejected = Array.isArray(errors) ? errors : [errors]),
    replaceOperation: (r) => void (replacement = r),
  });
  return {
    planned: inlined(replacement?.document ?? document),
    response: inlined(replacement?.responseDocument ?? document),
    errors: (replacement?.errors ?? []).map(formatError),
    rejected,
  };
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The document's operation, printed with every fragment spread written as an inline fragment. */
function inlined(document: DocumentNode): string {
  const fragments = fragmentsOf(document);
  const operation = getOperationAST(document)!;
  const expand = (set: SelectionSetNode): SelectionSetNode => ({
    ...set,
    selections: set.selections.map((sel) => {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const def = fragments.get(sel.name.value)!;
        return { kind: Kind.INLINE_FRAGMENT, typeCondition: def.typeCondition, directives: sel.directives, selectionSet: expand(def.selectionSet) };
      }
      return sel.selectionSet ? { ...sel, selectionSet: expand(sel.selectionSet) } : sel;
    }),
  });
  return print({ ...operation, selectionSet: expand(operation.selectionSet) });
}

/** The query as print writes it. */
const gql = (text: string) => print(getOperationAST(parse(text))!);

const unauthorized = (path: string[], missing: Record<string, unknown>): GraphQLFormattedError => ({
  message: 'Unauthorized field or type',
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', missing },
});

describe('a field is removed when its own requirement does not hold', () => {
  it.each<[string, string, Caller, string, GraphQLFormattedError[]]>([
    ['@requiresScopes, OR: neither scope', '{ account(id: "a1") { owner balance } }', {}, '{ account(id: "a1") { owner } }', [unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })]],
    ['@requiresScopes, OR: one scope of two admits', '{ account(id: "a1") { owner balance } }', { scopes: ['admin'] }, '{ account(id: "a1") { owner balance } }', []],
    ['@requiresScopes, OR: the other admits too', '{ account(id: "a1") { owner balance } }', { scopes: ['read:balance'] }, '{ account(id: "a1") { owner balance } }', []],
    ['@requiresScopes, AND: one scope of two is not enough', '{ account(id: "a1") { owner pin } }', { scopes: ['read:pin'] }, '{ account(id: "a1") { owner } }', [unauthorized(['account', 'pin'], { requiresScopes: [['read:pin', 'admin']] })]],
    ['@requiresScopes, AND: both admit', '{ account(id: "a1") { owner pin } }', { scopes: ['read:pin', 'admin'] }, '{ account(id: "a1") { owner pin } }', []],
    ['@authenticated: anonymous', '{ account(id: "a1") { owner email } }', {}, '{ account(id: "a1") { owner } }', [unauthorized(['account', 'email'], { authenticated: true })]],
    ['@authenticated: any authenticated caller', '{ account(id: "a1") { owner email } }', { authenticated: true }, '{ account(id: "a1") { owner email } }', []],
    ['@policy: not granted', '{ account(id: "a1") { audit } }', { authenticated: true, policies: ['other'] }, '{ account(id: "a1") { __typename } }', [unauthorized(['account', 'audit'], { policies: [['auditor']] })]],
    ['@policy: granted', '{ account(id: "a1") { audit } }', { policies: ['auditor'] }, '{ account(id: "a1") { audit } }', []],
    [
      'several fields, each reported with what it lacks',
      '{ account(id: "a1") { balance owner email audit } }',
      { scopes: ['unrelated'] },
      '{ account(id: "a1") { owner email } }',
      [unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] }), unauthorized(['account', 'audit'], { policies: [['auditor']] })],
    ],
    ['an alias: reported at the alias', '{ a: account(id: "a1") { money: balance owner } }', {}, '{ a: account(id: "a1") { owner } }', [unauthorized(['a', 'money'], { requiresScopes: [['read:balance'], ['admin']] })]],
    ['list items: "@" in the path', '{ accounts { owner balance } }', {}, '{ accounts { owner } }', [unauthorized(['accounts', '@', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })]],
    [
      'the same place reached twice is reported once',
      '{ account(id: "a1") { balance ... on Account { balance } ...A } } fragment A on Account { balance owner }',
      {},
      '{ account(id: "a1") { ... on Account { owner } } }',
      [unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })],
    ],
  ])('%s', async (_name, query, caller, planned, errors) => {
    const outcome = await authorize(query, caller);
    expect(outcome.planned).toBe(gql(planned));
    expect(outcome.errors).toEqual(errors);
  });
});

describe('a field is removed when the type it returns is protected', () => {
  it.each<[string, string, Caller, string, GraphQLFormattedError[]]>([
    ['a protected object type', '{ secrets { id value } accounts { owner } }', {}, '{ accounts { owner } }', [unauthorized(['secrets'], { authenticated: true })]],
    ['a protected object type, authenticated', '{ secrets { id value } }', { authenticated: true }, '{ secrets { id value } }', []],
    ['an interface with a protected implementation, selected as the interface', '{ things { id name } }', {}, '{ __typename }', [unauthorized(['things'], { requiresScopes: [['private']] })]],
    [
      'an interface reached through type-specific fragments: only the protected type’s fragment goes',
      '{ things { ... on PublicThing { name } ... on PrivateThing { hidden } } }',
      {},
      '{ things { ... on PublicThing { name } } }',
      [unauthorized(['things'], { requiresScopes: [['private']] })],
    ],
    ['a union, the same way', '{ search { ... on PublicThing { name } ... on PrivateThing { name hidden } } }', {}, '{ search { ... on PublicThing { name } } }', [unauthorized(['search'], { requiresScopes: [['private']] })]],
    ['a union, with the scope', '{ search { ... on PrivateThing { hidden } } }', { scopes: ['private'] }, '{ search { ... on PrivateThing { hidden } } }', []],
  ])('%s', async (_name, query, caller, planned, errors) => {
    const outcome = await authorize(query, caller);
    expect(outcome.planned).toBe(gql(planned));
    expect(outcome.errors).toEqual(errors);
  });
});

describe('interface fields and fragments', () => {
  it.each<[string, string, string, GraphQLFormattedError[]]>([
    ['a field protected on one implementation, selected through the interface', '{ gadgets { id serial } }', '{ gadgets { id } }', [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })]],
    ['selected on the implementation that does not protect it', '{ gadgets { ... on Watch { serial } } }', '{ gadgets { ... on Watch { serial } } }', []],
    ['selected on the implementation that protects it: the fragment left empty goes', '{ gadgets { id ... on Phone { serial } } }', '{ gadgets { id } }', [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })]],
    ['a named fragment on the interface', '{ gadgets { ...G } } fragment G on Gadget { id serial }', '{ gadgets { ... on Gadget { id } } }', [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })]],
    ['a fragment on the interface spread inside a fragment on the safe type: still that type', '{ gadgets { ... on Watch { ...G } } } fragment G on Gadget { serial }', '{ gadgets { ... on Watch { ... on Gadget { serial } } } }', []],
    [
      'one fragment filtered per place it is spread',
      '{ gadgets { ...G } w: gadgets { ... on Watch { ...G } } } fragment G on Gadget { serial }',
      '{ gadgets { __typename } w: gadgets { ... on Watch { ... on Gadget { serial } } } }',
      [unauthorized(['gadgets', '@', 'serial'], { authenticated: true })],
    ],
  ])('%s', async (_name, query, planned, errors) => {
    const outcome = await authorize(query);
    expect(outcome.planned).toBe(gql(planned));
    expect(outcome.errors).toEqual(errors);
  });
});

it('an interface field is protected by what its implementations require, even where the supergraph does not copy it onto the interface', async () => {
  // Composition copies Phone.serial's @authenticated onto Gadget.serial; a supergraph from elsewhere may not.
  const sdl = composed.supergraphSdl.replace(/(interface Gadget[^}]*serial: String) @authenticated/, '$1');
  expect(sdl).not.toBe(composed.supergraphSdl);
  const outcome = await authorize('{ gadgets { id serial } }', {}, 'filter', loadSupergraph(sdl));
  expect(outcome.planned).toBe(gql('{ gadgets { id } }'));
  expect(outcome.errors).toEqual([unauthorized(['gadgets', '@', 'serial'], { authenticated: true })]);
});

describe('what is left when a selection set loses everything', () => {
  it.each<[string, string, string, string]>([
    ['an object keeps __typename, so it still resolves; the response marks the removed field', '{ account(id: "a1") { balance } }', '{ account(id: "a1") { __typename } }', '{ account(id: "a1") { balance @junction__unauthorized } }'],
    ['the root keeps __typename', '{ secrets { id } }', '{ __typename }', '{ secrets @junction__unauthorized { id } }'],
    ['a fragment left empty is dropped from the plan', '{ account(id: "a1") { owner ... on Account { balance } } }', '{ account(id: "a1") { owner } }', '{ account(id: "a1") { owner ... on Account { balance @junction__unauthorized } } }'],
    ['a fragment on a protected type is dropped from both', '{ search { ... on PrivateThing { hidden } } }', '{ search { __typename } }', '{ search { __typename } }'],
  ])('%s', async (_name, query, planned, response) => {
    const outcome = await authorize(query);
    expect([outcome.planned, outcome.response]).toEqual([gql(planned), gql(response)]);
  });

  it('a protected non-null field is kept, marked, in the response document: shaping answers it null, which nulls its parent', async () => {
    const outcome = await authorize('{ account(id: "a1") { owner pin } }');
    expect(outcome.response).toBe(gql('{ account(id: "a1") { owner pin @junction__unauthorized } }'));
  });
});

it('a variable only used in a removed field stays declared, and the plan still runs without it', async () => {
  const query = 'query($n: Int) { account(id: "a1") { owner history(limit: $n) } }';
  const outcome = await authorize(query);
  expect(outcome.planned).toBe(gql('query($n: Int) { account(id: "a1") { owner } }'));
  const plan = await supergraph.plan({ document: parse(outcome.planned), operationName: undefined });
  expect(plan.node).toMatchObject({ kind: 'Fetch', serviceName: 'vault', variableUsages: [], operation: '{account(id:"a1"){owner}}' });
});

describe('names that are Object.prototype members are plain names', () => {
  it.each<[string, string, string, GraphQLFormattedError[]]>([
    ['a protected field named constructor', '{ account(id: "a1") { constructor toString } }', '{ account(id: "a1") { toString } }', [unauthorized(['account', 'constructor'], { authenticated: true })]],
    ['an alias __proto__ on a protected field', '{ account(id: "a1") { __proto__: balance owner } }', '{ account(id: "a1") { owner } }', [unauthorized(['account', '__proto__'], { requiresScopes: [['read:balance'], ['admin']] })]],
    [
      'fragments named constructor and __proto__',
      '{ account(id: "a1") { ...constructor ...__proto__ } } fragment constructor on Account { constructor owner } fragment __proto__ on Account { balance toString }',
      '{ account(id: "a1") { ... on Account { owner } ... on Account { toString } } }',
      [unauthorized(['account', 'constructor'], { authenticated: true }), unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] })],
    ],
    ['a fragment named toString, untouched', '{ account(id: "a1") { ...toString } } fragment toString on Account { owner }', '{ account(id: "a1") { ... on Account { owner } } }', []],
  ])('%s', async (_name, query, planned, errors) => {
    const outcome = await authorize(query);
    expect(outcome.planned).toBe(gql(planned));
    expect(outcome.errors).toEqual(errors);
  });
});

it('reject mode refuses the whole operation (403) with the same errors, and plans nothing', async () => {
  const outcome = await authorize('{ account(id: "a1") { owner balance email } }', {}, 'reject');
  expect(outcome.rejected?.map(formatError)).toEqual([
    unauthorized(['account', 'balance'], { requiresScopes: [['read:balance'], ['admin']] }),
    unauthorized(['account', 'email'], { authenticated: true }),
  ]);
  expect(outcome.rejected?.map(statusOf)).toEqual([403, 403]);
  expect(outcome.planned).toBe(gql('{ account(id: "a1") { owner balance email } }'));
});

it('nothing to remove: the client’s own document, unchanged', () => {
  const document = parse('{ account(id: "a1") { owner balance } }');
  const result = filterOperation(supergraph.schema, metadata, document, getOperationAST(document)!, () => undefined);
  expect(result).toEqual({ document, responseDocument: document, removals: [] });
  expect(result.document).toBe(document);
});

describe('the work is linear in the document, however far its fragments expand', () => {
  /** `n` fragments, each spreading the next twice; the last selects a protected field: 2^n copies of it, expanded. */
  function doublingChain(n: number, spread = (next: string) => `...${next} ...${next}`): string {
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Account { ${spread(`F${i + 1}`)} }`);
    return `{ account(id: "a1") { ...F0 } } ${fragments.join(' ')} fragment F${n} on Account { owner balance }`;
  }

  /**
   * Walks the operation as graphql-js's collectFields expands it (a fragment spread again in one
   * field's selections adds nothing): how many selections it visits, and the fields' names. Stops
   * counting past `budget`.
   */
  function expanded(document: DocumentNode, budget = 1_000): { size: number; fields: Set<string> } {
    const fragments: ReadonlyMap<string, FragmentDefinitionNode> = fragmentsOf(document);
    const fields = new Set<string>();
    let size = 0;
    const walk = (set: SelectionSetNode): void => {
      collectFields(set, undefined, fragments, {
        field(field) {
          if (++size > budget) return true;
          fields.add(field.name.value);
          if (field.selectionSet) walk(field.selectionSet);
        },
        fragment: () => (++size > budget ? false : undefined),
      });
    };
    walk(getOperationAST(document)!.selectionSet);
    return { size, fields };
  }

  it.each([
    ['30 fragments, each spreading the next twice', 30, (next: string) => `...${next} ...${next}`, 'plans'],
    ['30, three times', 30, (next: string) => `...${next} ...${next} ...${next}`, 'plans'],
    // The planner counts the selections under inline fragments every time: past 10 million, it refuses.
    ['30, the second spread inside an inline fragment', 30, (next: string) => `...${next} ... on Account { ...${next} }`, 'refuses'],
    ['8, the second spread inside an inline fragment', 8, (next: string) => `...${next} ... on Account { ...${next} }`, 'plans'],
  ])('%s', async (_name, n, spread, planner) => {
    const document = parse(doublingChain(n, spread));
    expect(validate(supergraph.schema, document)).toEqual([]);
    let checks = 0;
    const result = filterOperation(supergraph.schema, metadata, document, getOperationAST(document)!, (req) => {
      checks++;
      return checkRequirement(req, ANONYMOUS, new Set());
    });
    expect(result.removals).toEqual([{ path: ['account', 'balance'], missing: { requiresScopes: [['read:balance'], ['admin']] } }]);
    // One check per field of each place it is reached at, not per expanded copy.
    expect(checks).toBeLessThan(10);
    // What the planner and the response shaping walk next is no larger than the client's document,
    // and it is what the client asked for, less the protected field (marked in the response document).
    const original = expanded(document);
    expect(original).toEqual({ size: expect.any(Number), fields: new Set(['account', 'owner', 'balance']) });
    expect(original.size).toBeLessThan(200);
    const planned = expanded(result.document);
    const shaped = expanded(result.responseDocument);
    expect(planned.size).toBeLessThanOrEqual(original.size);
    expect(shaped.size).toBeLessThanOrEqual(original.size);
    expect([planned.fields, shaped.fields]).toEqual([new Set(['account', 'owner']), new Set(['account', 'owner', 'balance'])]);
    expect(print(result.responseDocument)).toMatch(/balance @junction__unauthorized/);
    // The planner takes it as it takes the client's, and the response is shaped to it.
    const planOf = (doc: DocumentNode) =>
      supergraph.plan({ document: doc, operationName: undefined }).then((plan) => (plan.node as { operation: string }).operation, (e: Error) => e.message);
    const refused = 'Exceeded maximum recursive selections in this operation';
    expect([await planOf(document), await planOf(result.document)]).toEqual(
      planner === 'plans' ? ['{account(id:"a1"){owner balance}}', '{account(id:"a1"){owner}}'] : [refused, refused],
    );
    const shape = compileOperationShape(supergraph.schema, getOperationAST(result.responseDocument)!, fragmentsOf(result.responseDocument));
    expect(applyOperationShape(shape, { account: { owner: 'Ada', balance: 100 } }, { schema: supergraph.schema, variables: {}, introspect: () => null }).data).toEqual({
      account: { owner: 'Ada', balance: null },
    });
  });

  it('a copy never takes the name of a fragment of the document', () => {
    const document = parse('{ account(id: "a1") { ...F } } fragment F on Account { owner balance } fragment F__filtered0 on Account { id }');
    const result = filterOperation(supergraph.schema, metadata, document, getOperationAST(document)!, (req) => checkRequirement(req, ANONYMOUS, new Set()));
    // Valid but for the fragments the filtering left unused: no two fragments share a name.
    expect(validate(supergraph.schema, result.document).filter((e) => !/is never used/.test(e.message))).toEqual([]);
    expect(inlined(result.document)).toBe(gql('{ account(id: "a1") { ... on Account { owner } } }'));
  });
});
