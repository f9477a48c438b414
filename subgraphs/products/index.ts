import { parse } from 'graphql';
import { MANUFACTURERS, PRODUCTS, type ProductRecord } from '../data';
import type { SubgraphDefinition } from '../subgraph';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@listSize"])

  type Query {
    topProducts(first: Int = 5): [Product] @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
    product(upc: String!): Product
    "Everything for sale: products and gift cards."
    items: [Item!]! @listSize(assumedSize: 6)
    search(term: String!): [SearchResult!]! @listSize(assumedSize: 10)
  }

  interface Item {
    upc: String!
    name: String
    price: Int
  }

  type Product implements Item @key(fields: "upc") @key(fields: "sku") {
    upc: String!
    sku: String!
    name: String @shareable
    price: Int
    weight: Int
    manufacturer: Manufacturer
  }

  type GiftCard implements Item {
    upc: String!
    name: String
    price: Int
    balance: Int!
  }

  union SearchResult = Product | GiftCard

  "Identified by a compound key: one brand registers a company per country."
  type Manufacturer @key(fields: "id country") {
    id: ID!
    country: String!
    name: String
  }
`);

const GIFT_CARDS = [
  { __typename: 'GiftCard', upc: 'g1', name: 'Gift card 25', price: 25, balance: 25 },
  { __typename: 'GiftCard', upc: 'g2', name: 'Gift card 100', price: 100, balance: 100 },
];
const byUpc = new Map(PRODUCTS.map((p) => [p.upc, p]));
const bySku = new Map(PRODUCTS.map((p) => [p.sku, p]));
const asProduct = (p: ProductRecord) => ({ __typename: 'Product', ...p });

export const resolvers = {
  Query: {
    topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, Math.max(0, first)),
    product: (_: unknown, { upc }: { upc: string }) => byUpc.get(upc) ?? null,
    items: () => [...PRODUCTS.slice(0, 3).map(asProduct), ...GIFT_CARDS, asProduct(PRODUCTS[3])],
    search: (_: unknown, { term }: { term: string }) => {
      const t = term.toLowerCase();
      return [...PRODUCTS.map(asProduct), ...GIFT_CARDS].filter((x) => x.name.toLowerCase().includes(t)).slice(0, 10);
    },
  },
  Item: { __resolveType: (x: { __typename: string }) => x.__typename },
  SearchResult: { __resolveType: (x: { __typename: string }) => x.__typename },
  Product: {
    __resolveReference: (ref: { upc?: string; sku?: string }) =>
      (ref.upc !== undefined ? byUpc.get(ref.upc) : bySku.get(ref.sku ?? '')) ?? null,
  },
  Manufacturer: {
    __resolveReference: (ref: { id: string; country: string }) =>
      MANUFACTURERS.find((m) => m.id === ref.id && m.country === ref.country) ?? null,
    name: (m: { id: string; country: string }) =>
      MANUFACTURERS.find((x) => x.id === m.id && x.country === m.country)?.name ?? null,
  },
};

export const products: SubgraphDefinition = { name: 'products', typeDefs, resolvers };
