import { fromHivePlan } from '../hivePlan';
import type { FetchNode, Plan, RequiresField, RequiresSelection } from '../plan';
import * as recorded from './fixtures/hivePlans';

/** A representation field read and sent under one name, as every field of Hive's `requires` but the aliased ones. */
const field = (name: string, selections?: RequiresSelection[]): RequiresField => ({ kind: 'Field', name, from: name, ...(selections && { selections }) });
const entity = (type: string, ...names: string[]): RequiresSelection[] => [{ kind: 'InlineFragment', typeCondition: type, selections: names.map((n) => field(n)) }];
const entitiesQuery = (type: string, selection: string) =>
  `query($representations:[_Any!]!){_entities(representations: $representations){...on ${type}{${selection}}}}`;
const entityFetch = (serviceName: string, type: string, selection: string, requires: RequiresSelection[]): FetchNode => ({
  kind: 'Fetch',
  serviceName,
  operationKind: 'query',
  variableUsages: [],
  operation: entitiesQuery(type, selection),
  requires,
});

const interfaceObjectFetch: FetchNode = {
  ...entityFetch('b', 'Node', 'rating', entity('Node', '__typename', 'id')),
  inputRewrites: [{ kind: 'ValueSetter', path: [{ typeCondition: ['Node'] }, '__typename'], setValueTo: 'Node' }],
};

describe('plans Hive recorded', () => {
  it.each<[string, unknown, Plan]>([
    [
      'one fetch: the absent variableUsages become []',
      recorded.singleFetch,
      { kind: 'Plan', node: { kind: 'Fetch', serviceName: 'accounts', operationKind: 'query', variableUsages: [], operation: '{me{id username}}' } },
    ],
    [
      'a mutation',
      recorded.mutation,
      {
        kind: 'Plan',
        node: { kind: 'Fetch', serviceName: 'accounts', operationKind: 'mutation', variableUsages: [], operation: 'mutation{login(username: "ada"){id name}}' },
      },
    ],
    [
      'type conditions inside and at the end of paths',
      recorded.typeConditionPaths,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            {
              kind: 'Fetch',
              serviceName: 'products',
              operationKind: 'query',
              variableUsages: ['t'],
              operation:
                'query($t:String!){search(term: $t){__typename ...on Product{__typename name upc manufacturer{__typename name id country}} ...on GiftCard{name balance}}}',
            },
            {
              kind: 'Parallel',
              nodes: [
                {
                  kind: 'Flatten',
                  path: ['search', '@', { typeCondition: ['Product'] }, 'manufacturer'],
                  node: entityFetch('reviews', 'Manufacturer', 'averageStars', entity('Manufacturer', '__typename', 'id', 'country')),
                },
                {
                  kind: 'Flatten',
                  path: ['search', '@', { typeCondition: ['Product'] }],
                  node: entityFetch('inventory', 'Product', 'inStock', entity('Product', '__typename', 'upc')),
                },
              ],
            },
          ],
        },
      },
    ],
    [
      'conditions: a null ifClause is left out',
      recorded.conditions,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            {
              kind: 'Fetch',
              serviceName: 'products',
              operationKind: 'query',
              variableUsages: ['upc'],
              operation: 'query($upc:String!){product(upc: $upc){__typename name upc}}',
            },
            {
              kind: 'Parallel',
              nodes: [
                {
                  kind: 'Condition',
                  condition: 'noRev',
                  elseClause: { kind: 'Flatten', path: ['product'], node: entityFetch('reviews', 'Product', 'reviews{body}', entity('Product', '__typename', 'upc')) },
                },
                {
                  kind: 'Condition',
                  condition: 'withStock',
                  ifClause: { kind: 'Flatten', path: ['product'], node: entityFetch('inventory', 'Product', 'inStock', entity('Product', '__typename', 'upc')) },
                },
              ],
            },
          ],
        },
      },
    ],
    [
      'a BatchFetch: each alias its variable and its paths from the root',
      recorded.batchFetch,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            {
              kind: 'Fetch',
              serviceName: 'products',
              operationKind: 'query',
              variableUsages: [],
              operation: '{a: product(upc: "1"){...a} b: product(upc: "2"){...a}}\n\nfragment a on Product {__typename upc}\n',
            },
            {
              kind: 'BatchFetch',
              serviceName: 'inventory',
              operationKind: 'query',
              variableUsages: [],
              operation:
                'query($__batch_reps_0:[_Any!]!, $__batch_reps_1:[_Any!]!){_e0: _entities(representations: $__batch_reps_0){...on Product{inStock delivery(zip: "2"){...a}}} _e1: _entities(representations: $__batch_reps_1){...on Product{inStock delivery(zip: "1"){...a}}}}\n\nfragment a on DeliveryEstimate {estimatedDays}\n',
              entities: [
                { alias: '_e0', representationsVariable: '__batch_reps_0', paths: [['b']], requires: entity('Product', '__typename', 'upc') },
                { alias: '_e1', representationsVariable: '__batch_reps_1', paths: [['a']], requires: entity('Product', '__typename', 'upc') },
              ],
            },
          ],
        },
      },
    ],
    [
      'requires-with-argument-conflict: price read from _internal_qp_alias_0 and sent as price',
      recorded.requiresWithArgumentConflict,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            {
              kind: 'Fetch',
              serviceName: 'b',
              operationKind: 'query',
              variableUsages: [],
              operation: '{products{__typename upc name price(currency: "USD") weight _internal_qp_alias_0: price(currency: "EUR") category{averagePrice(currency: "USD")}}}',
            },
            {
              kind: 'BatchFetch',
              serviceName: 'a',
              operationKind: 'query',
              variableUsages: [],
              operation:
                'query($__batch_reps_0:[_Any!]!, $__batch_reps_1:[_Any!]!){_e0: _entities(representations: $__batch_reps_0){...on Product{isExpensiveCategory shippingEstimateEUR}} _e1: _entities(representations: $__batch_reps_1){...on Product{shippingEstimate}}}',
              entities: [
                {
                  alias: '_e0',
                  representationsVariable: '__batch_reps_0',
                  paths: [['products', '@']],
                  requires: [
                    {
                      kind: 'InlineFragment',
                      typeCondition: 'Product',
                      selections: [
                        field('__typename'),
                        field('category', [field('averagePrice')]),
                        field('upc'),
                        { kind: 'Field', name: 'price', from: '_internal_qp_alias_0' },
                        field('weight'),
                      ],
                    },
                  ],
                },
                {
                  alias: '_e1',
                  representationsVariable: '__batch_reps_1',
                  paths: [['products', '@']],
                  requires: entity('Product', '__typename', 'price', 'weight', 'upc'),
                },
              ],
            },
          ],
        },
      },
    ],
    [
      'requires-with-argument: a path through _internal_qp_alias_0, and an aliased field with a subselection',
      recorded.requiresWithArgument,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            { kind: 'Fetch', serviceName: 'c', operationKind: 'query', variableUsages: [], operation: '{feed{__typename id}}' },
            {
              kind: 'Flatten',
              path: ['feed', '@'],
              node: entityFetch('d', 'Post', '_internal_qp_alias_0: comments(limit: 3){__typename id} comments(limit: 1){id}', entity('Post', '__typename', 'id')),
            },
            {
              kind: 'Flatten',
              path: ['feed', '@', '_internal_qp_alias_0', '@'],
              node: entityFetch('c', 'Comment', 'authorId', entity('Comment', '__typename', 'id')),
            },
            {
              kind: 'Flatten',
              path: ['feed', '@'],
              node: entityFetch('d', 'Post', 'author{id}', [
                {
                  kind: 'InlineFragment',
                  typeCondition: 'Post',
                  selections: [field('__typename'), { kind: 'Field', name: 'comments', from: '_internal_qp_alias_0', selections: [field('authorId')] }, field('id')],
                },
              ]),
            },
          ],
        },
      },
    ],
    [
      'an @interfaceObject: the ValueSetter input rewrite',
      recorded.interfaceObject,
      {
        kind: 'Plan',
        node: {
          kind: 'Sequence',
          nodes: [
            { kind: 'Fetch', serviceName: 'a', operationKind: 'query', variableUsages: [], operation: '{node(id: "1"){__typename id ...on Book{title}}}' },
            { kind: 'Flatten', path: ['node'], node: interfaceObjectFetch },
          ],
        },
      },
    ],
    [
      'a subscription: its one follow-up becomes rest',
      recorded.subscription,
      {
        kind: 'Plan',
        node: {
          kind: 'Subscription',
          primary: { kind: 'Fetch', serviceName: 'a', operationKind: 'subscription', variableUsages: [], operation: 'subscription{tick{__typename id}}' },
          rest: { kind: 'Flatten', path: ['tick'], node: interfaceObjectFetch },
        },
      },
    ],
    [
      'a subscription alone: no rest',
      recorded.subscriptionAlone,
      {
        kind: 'Plan',
        node: { kind: 'Subscription', primary: { kind: 'Fetch', serviceName: 'a', operationKind: 'subscription', variableUsages: [], operation: 'subscription{tick{id}}' } },
      },
    ],
    [
      'a subscription with two follow-ups: rest is their Sequence',
      recorded.subscriptionChain,
      {
        kind: 'Plan',
        node: {
          kind: 'Subscription',
          primary: { kind: 'Fetch', serviceName: 'a', operationKind: 'subscription', variableUsages: [], operation: 'subscription{tick{__typename id}}' },
          rest: {
            kind: 'Sequence',
            nodes: [
              { kind: 'Flatten', path: ['tick'], node: entityFetch('c', 'U', 'score', entity('U', '__typename', 'id')) },
              { kind: 'Flatten', path: ['tick'], node: entityFetch('b', 'U', 'rating', entity('U', '__typename', 'score', 'id')) },
            ],
          },
        },
      },
    ],
  ])('%s', (_name, hive, expected) => {
    const plan = fromHivePlan(hive);
    expect(plan).toEqual(expected);
    // Plain data with nothing left undefined: the plan crosses threads by structured clone and is cached.
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
  });
});

// Shapes the package declares (or the Rust types can serialize) that no recorded plan shows.
describe('shapes not seen from the planner', () => {
  const fetch = (extra: object) => ({ kind: 'QueryPlan', node: { kind: 'Fetch', serviceName: 's', operation: '{a}', ...extra } });
  const expectedFetch = (extra: object): Plan => ({ kind: 'Plan', node: { kind: 'Fetch', serviceName: 's', operation: '{a}', operationKind: 'query', variableUsages: [], ...extra } });

  it.each<[string, unknown, Plan]>([
    ['an empty plan', { kind: 'QueryPlan' }, { kind: 'Plan' }],
    ['a null root', { kind: 'QueryPlan', node: null }, { kind: 'Plan' }],
    ['an operationName is kept', fetch({ operationName: 'Op' }), expectedFetch({ operationName: 'Op' })],
    ['customScalarPaths and unknown fields are dropped', fetch({ customScalarPaths: { children: { a: { terminal: true } } }, later: 1 }), expectedFetch({})],
    ['empty requires and rewrites are dropped', fetch({ requires: [], inputRewrites: [], outputRewrites: [] }), expectedFetch({})],
    [
      'a flat ValueSetter and a KeyRenamer',
      fetch({
        outputRewrites: [
          { kind: 'ValueSetter', path: [{ Key: 'a' }, { TypenameEquals: ['A', 'B'] }, { Key: '__typename' }], setValueTo: 'A' },
          { KeyRenamer: { path: [{ TypenameEquals: ['T'] }, { Key: '_internal_qp_alias_1' }], renameKeyTo: 'x' } },
        ],
      }),
      expectedFetch({
        outputRewrites: [
          { kind: 'ValueSetter', path: ['a', { typeCondition: ['A', 'B'] }, '__typename'], setValueTo: 'A' },
          { kind: 'KeyRenamer', path: [{ typeCondition: ['T'] }, '_internal_qp_alias_1'], renameKeyTo: 'x' },
        ],
      }),
    ],
    [
      'conditions in requires: on a fragment kept, on a field moved to a fragment of its own',
      fetch({
        requires: [
          { kind: 'InlineFragment', typeCondition: 'T', skipIf: 's', includeIf: 'i', selections: [{ kind: 'Field', name: 'id' }] },
          { kind: 'Field', name: 'x', alias: 'y', includeIf: 'i' },
        ],
      }),
      expectedFetch({
        requires: [
          { kind: 'InlineFragment', typeCondition: 'T', skipIf: 's', includeIf: 'i', selections: [field('id')] },
          { kind: 'InlineFragment', includeIf: 'i', selections: [{ kind: 'Field', name: 'y', from: 'x' }] },
        ],
      }),
    ],
    [
      'a Condition with a null elseClause',
      { kind: 'QueryPlan', node: { kind: 'Condition', condition: 'v', ifClause: fetch({}).node, elseClause: null } },
      { kind: 'Plan', node: { kind: 'Condition', condition: 'v', ifClause: expectedFetch({}).node as FetchNode } },
    ],
    [
      'a Defer, with the nulls Rust writes for an absent primary',
      {
        kind: 'QueryPlan',
        node: {
          kind: 'Defer',
          primary: { subselection: null, node: fetch({}).node },
          deferred: [
            { depends: [{ id: '0' }, { id: '1', deferLabel: 'L' }], label: 'L2', queryPath: ['a'], subselection: '{b}', node: fetch({ requires: [{ kind: 'Field', name: 'id' }] }).node },
            { depends: [], queryPath: [] },
          ],
        },
      },
      {
        kind: 'Plan',
        node: {
          kind: 'Defer',
          primary: { node: expectedFetch({}).node as FetchNode },
          deferred: [
            { depends: [{ id: '0' }, { id: '1', deferLabel: 'L' }], label: 'L2', queryPath: ['a'], subselection: '{b}', node: expectedFetch({ requires: [field('id')] }).node as FetchNode },
            { depends: [], queryPath: [] },
          ],
        },
      },
    ],
  ])('%s', (_name, hive, expected) => {
    const plan = fromHivePlan(hive);
    expect(plan).toEqual(expected);
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
  });
});

describe('plans it refuses', () => {
  const fetch = (extra: object) => ({ kind: 'Fetch', serviceName: 's', operation: '{a}', ...extra });
  const subscription = { kind: 'Subscription', primary: { serviceName: 's', operationKind: 'subscription', operation: 'subscription{a}' } };
  const plan = (node: unknown) => ({ kind: 'QueryPlan', node });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'plan', /expected a QueryPlan, got "plan"/],
    ['null', null, /expected a QueryPlan, got null/],
    ['another kind of object', { kind: 'Plan' }, /expected a QueryPlan, got \{"kind":"Plan"\}/],
    ['an unknown node kind', plan({ kind: 'Retry', node: fetch({}) }), /unknown node kind "Retry"/],
    ['a node without a kind', plan({ kind: 'Sequence', nodes: [{ serviceName: 's' }] }), /unknown node kind undefined/],
    ['a null node in a Sequence', plan({ kind: 'Sequence', nodes: [fetch({}), null] }), /expected a plan node, got null/],
    ['an unknown path segment', plan({ kind: 'Flatten', path: [{ Index: 0 }], node: fetch({}) }), /unknown path segment \{"Index":0\}/],
    ['a path segment of plain text', plan({ kind: 'Flatten', path: ['a'], node: fetch({}) }), /unknown path segment "a"/],
    ['an unknown rewrite', plan(fetch({ inputRewrites: [{ ValueDropper: { path: [] } }] })), /unknown rewrite \{"ValueDropper"/],
    ['an unknown rewrite path step', plan(fetch({ outputRewrites: [{ KeyRenamer: { path: ['... on T'], renameKeyTo: 'x' } }] })), /unknown rewrite path step "... on T"/],
    ['a fragment spread in requires', plan(fetch({ requires: [{ kind: 'FragmentSpread', value: 'F' }] })), /fragment spread \(\.\.\.F\) in the requires/],
    ['a rewrite that is not an object', plan(fetch({ inputRewrites: ['x'] })), /unknown rewrite "x"/],
    ['a null requires selection', plan(fetch({ requires: [null] })), /unknown requires selection null/],
    ['an unknown requires selection', plan(fetch({ requires: [{ kind: 'Directive', name: 'x' }] })), /unknown requires selection kind "Directive"/],
    ['a Subscription after the start of the root Sequence', plan({ kind: 'Sequence', nodes: [fetch({}), subscription] }), /Subscription node elsewhere/],
    ['a Subscription in a Parallel', plan({ kind: 'Parallel', nodes: [subscription] }), /Subscription node elsewhere/],
    ['a Subscription under a Condition', plan({ kind: 'Condition', condition: 'v', ifClause: subscription }), /Subscription node elsewhere/],
    ['a Subscription among its own follow-ups', plan({ kind: 'Sequence', nodes: [subscription, subscription] }), /Subscription node elsewhere/],
  ])('%s', (_name, hive, message) => {
    expect(() => fromHivePlan(hive)).toThrow(message);
  });

  it('says in every message that the plan came from Hive', () => {
    expect(() => fromHivePlan({ kind: 'QueryPlan', node: { kind: 'Retry' } })).toThrow(/^Hive query plan: /);
  });
});
