import { GraphQLError, parse } from 'graphql';
import { inStock } from '../data';
import type { SubgraphDefinition } from '../subgraph';

export const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@external", "@requires", "@policy", "@cost"])

  type Product @key(fields: "upc") {
    upc: String!
    weight: Int @external
    price: Int @external
    inStock: Boolean
    "Free shipping above 1000; otherwise half the weight."
    shippingEstimate: Int @requires(fields: "price weight") @cost(weight: 2)
    "Non-null, and fails for every seventh product: the error nulls the whole product."
    warehouseCode: String!
    delivery(zip: String!): DeliveryEstimate
    "What the shop paid: only for callers that the internal policy admits."
    supplierCost: Int @policy(policies: [["internal"]])
  }

  type DeliveryEstimate {
    estimatedDays: Int!
    express: Boolean!
  }
`);

interface ProductRef {
  upc: string;
  price?: number | null;
  weight?: number | null;
}

export const resolvers = {
  Product: {
    __resolveReference: (ref: ProductRef) => ref,
    inStock: (p: ProductRef) => inStock(p.upc),
    shippingEstimate: (p: ProductRef) => {
      if (p.price == null || p.weight == null) return null;
      return p.price > 1000 ? 0 : Math.round(p.weight * 0.5);
    },
    warehouseCode: (p: ProductRef) => {
      if (Number(p.upc) % 7 === 0) {
        throw new GraphQLError(`No warehouse holds product ${p.upc}`, { extensions: { code: 'NOT_IN_WAREHOUSE' } });
      }
      return `WH-${(Number(p.upc) % 3) + 1}`;
    },
    supplierCost: (p: ProductRef) => 40 + Number(p.upc) * 3,
    delivery: (p: ProductRef, { zip }: { zip: string }) => ({
      estimatedDays: 1 + ((Number(p.upc) + zip.length) % 5),
      express: zip.startsWith('1'),
    }),
  },
};

export const inventory: SubgraphDefinition = { name: 'inventory', typeDefs, resolvers };
