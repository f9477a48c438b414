/**
 * Apollo's planner enters a subgraph by a resolvable key where the type has one there (the federation
 * gateway audit's keys-mashup): without the fix it sends subgraph b representations of the first key
 * not external there, `compositeId { one two }`, which b declares `resolvable: false`.
 */
import { parse } from 'graphql';
import { composeSupergraph } from '../../composition/composeSupergraph';
import { fetchesOf } from '../plan';
import { preferResolvableKeys } from '../apolloKeyPreference';
import { loadSupergraph } from '../loadSupergraph';

const A = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type A
    @key(fields: "id", resolvable: true)
    @key(fields: "pId", resolvable: false)
    @key(fields: "compositeId { one two }", resolvable: false)
    @key(fields: "id compositeId { two three }", resolvable: false) {
    id: ID!
    pId: ID!
    compositeId: CompositeID!
    name: String!
  }
  type CompositeID { one: ID! two: ID! three: ID! }
`;
const B = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@requires", "@external"])
  type Query { b: B }
  type B @key(fields: "id") { id: ID! a: [A!]! }
  type A
    @key(fields: "compositeId { one two }", resolvable: false)
    @key(fields: "id compositeId { two three }", resolvable: true)
    @key(fields: "pId", resolvable: false)
    @key(fields: "id", resolvable: false) {
    id: ID!
    pId: ID!
    compositeId: CompositeID!
    name: String! @external
    nameInB: String! @requires(fields: "name")
  }
  type CompositeID { one: ID! two: ID! three: ID! }
`;

it('enters subgraph b by its resolvable key, `id compositeId { two three }`', async () => {
  expect(preferResolvableKeys()).toBe(true);
  const composed = composeSupergraph([
    { name: 'a', url: 'http://a.test/graphql', sdl: A },
    { name: 'b', url: 'http://b.test/graphql', sdl: B },
  ]);
  if (!composed.ok) throw new Error(JSON.stringify(composed.errors));
  const supergraph = loadSupergraph(composed.supergraphSdl, { planner: 'apollo' });
  const plan = await supergraph.plan({ document: parse('{ b { id a { id name nameInB } } }'), operationName: undefined });
  const intoB = fetchesOf(plan.node).filter((f) => f.kind === 'Fetch' && f.serviceName === 'b' && f.requires);
  expect(intoB).toHaveLength(1);
  expect(JSON.stringify(intoB[0].kind === 'Fetch' && intoB[0].requires)).toMatch(/"name":"compositeId".*"name":"two".*"name":"three"/);
  expect(JSON.stringify(intoB[0].kind === 'Fetch' && intoB[0].requires)).not.toMatch(/"name":"one"/);
});
