import { GraphQLError, parse } from 'graphql';
import { inStock, PRODUCTS } from '../data';
import type { PubSub, SubgraphContext, SubgraphDefinition } from '../subgraph';

export const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@external", "@requires", "@policy", "@cost"])

  type Mutation {
    "Marks a product in or out of stock and announces it on stockChanged: every call, even one that changes nothing."
    setStock(upc: String!, inStock: Boolean!): Product
  }

  type Subscription {
    "Every setStock from now on; with upc, only that product's."
    stockChanged(upc: ID): Product
  }

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

/** The pub/sub topic setStock publishes each product on. */
const STOCK_CHANGED = 'stockChanged';

/**
 * Stock that setStock changed, per server: keyed on the server's pub/sub, so that each subgraph a
 * test starts begins from the sample data (every fourth product out of stock).
 */
const stockSet = new WeakMap<PubSub, Map<string, boolean>>();

function stockOf(upc: string, context: Partial<SubgraphContext> = {}): boolean {
  return (context.pubsub && stockSet.get(context.pubsub)?.get(upc)) ?? inStock(upc);
}

export const resolvers = {
  Mutation: {
    setStock: (_: unknown, args: { upc: string; inStock: boolean }, { pubsub }: SubgraphContext) => {
      if (!PRODUCTS.some((p) => p.upc === args.upc)) {
        throw new GraphQLError(`No product has upc ${args.upc}`, { extensions: { code: 'PRODUCT_NOT_FOUND' } });
      }
      const stock = stockSet.get(pubsub) ?? new Map<string, boolean>();
      stockSet.set(pubsub, stock.set(args.upc, args.inStock));
      const product: ProductRef = { upc: args.upc };
      pubsub.publish(STOCK_CHANGED, product);
      return product;
    },
  },
  Subscription: {
    stockChanged: {
      subscribe: (_: unknown, { upc }: { upc?: string | null }, { pubsub }: SubgraphContext) =>
        pubsub.subscribe<ProductRef>(STOCK_CHANGED, (product) => upc == null || product.upc === upc),
      resolve: (product: ProductRef) => product,
    },
  },
  Product: {
    __resolveReference: (ref: ProductRef) => ref,
    inStock: (p: ProductRef, _: unknown, context?: SubgraphContext) => stockOf(p.upc, context),
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
