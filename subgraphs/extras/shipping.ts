import { parse } from 'graphql';
import type { SubgraphDefinition } from '../subgraph';

/**
 * An extra subgraph that is not part of the sample: registering it at runtime extends `Product` and
 * `User` with new fields. Three versions, for update tests: `v2` adds a field (a safe change),
 * `breaking` removes one.
 */
export type ShippingVersion = 'v1' | 'v2' | 'breaking';

export function shippingSubgraph(version: ShippingVersion = 'v1'): SubgraphDefinition {
  const productFields = [
    version !== 'breaking' ? '"Grams of CO2 to ship this product." carbonFootprint: Int' : '',
    version === 'v2' ? 'recyclable: Boolean' : '',
  ].join('\n');
  const typeDefs = parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    type Product @key(fields: "upc") {
      upc: String!
      ${productFields}
      shippingClass: String
    }

    type User @key(fields: "id") {
      id: ID!
      loyaltyPoints: Int
    }

    type Query {
      shippingZones: [String!]!
    }
  `);
  return {
    name: 'shipping',
    typeDefs,
    resolvers: {
      Query: { shippingZones: () => ['EU', 'US', 'APAC'] },
      Product: {
        __resolveReference: (ref: { upc: string }) => ref,
        carbonFootprint: (p: { upc: string }) => 100 + Number(p.upc) * 7,
        recyclable: (p: { upc: string }) => Number(p.upc) % 2 === 0,
        shippingClass: (p: { upc: string }) => (Number(p.upc) % 3 === 0 ? 'bulky' : 'standard'),
      },
      User: {
        __resolveReference: (ref: { id: string }) => ref,
        loyaltyPoints: (u: { id: string }) => Number(u.id) * 250,
      },
    },
  };
}

/** Clashes with the sample: `Product.price` is an Int there and a String here. */
export const conflictingSubgraph: SubgraphDefinition = {
  name: 'pricing',
  typeDefs: parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
    type Product @key(fields: "upc") {
      upc: String!
      price: String @shareable
    }
  `),
  resolvers: { Product: { __resolveReference: (ref: { upc: string }) => ref, price: () => 'free' } },
};
