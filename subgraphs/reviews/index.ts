import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { PRODUCTS, REVIEWS, USERS, type ReviewRecord } from '../data';
import type { SubgraphContext, SubgraphDefinition } from '../subgraph';

export const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@external", "@provides", "@listSize"])

  type Query {
    review(id: ID!): Review
    "Reviews with at least minStars stars, newest first."
    reviews(minStars: Int = 1): [Review!]! @listSize(assumedSize: 20)
  }

  type Mutation {
    "Idempotent: the same input always yields the same review id."
    submitReview(input: ReviewInput!): Review
  }

  type Subscription {
    "Every review submitted from now on (each submitReview, resubmissions too); with upc, only that product's."
    reviewAdded(upc: ID): Review
  }

  input ReviewInput {
    upc: String!
    authorId: ID!
    body: String!
    stars: Int!
  }

  type Review @key(fields: "id") {
    id: ID!
    body(truncate: Int): String
    stars: Int!
    author: User @provides(fields: "username")
    product: Product
  }

  type User @key(fields: "id") {
    id: ID!
    username: String @external
    reviews: [Review] @listSize(assumedSize: 10)
    numberOfReviews: Int!
  }

  type Product @key(fields: "upc") {
    upc: String!
    name: String @shareable
    reviews: [Review] @listSize(assumedSize: 5)
    averageStars: Float
  }

  type Manufacturer @key(fields: "id country") {
    id: ID!
    country: String!
    averageStars: Float
  }
`);

const submitted = new Map<string, ReviewRecord>();
/** The pub/sub topic submitReview publishes each review on. */
const REVIEW_ADDED = 'reviewAdded';
const reviewById = (id: string) => REVIEWS.find((r) => r.id === id) ?? submitted.get(id) ?? null;
const average = (reviews: readonly ReviewRecord[]) =>
  reviews.length === 0 ? null : Number((reviews.reduce((s, r) => s + r.stars, 0) / reviews.length).toFixed(2));

export const resolvers = {
  Query: {
    review: (_: unknown, { id }: { id: string }) => reviewById(id),
    reviews: (_: unknown, { minStars }: { minStars: number }) =>
      REVIEWS.filter((r) => r.stars >= minStars).reverse(),
  },
  Mutation: {
    submitReview: (
      _: unknown,
      { input }: { input: Omit<ReviewRecord, 'id' | 'authorId' | 'productUpc'> & { upc: string; authorId: string } },
      { pubsub }: SubgraphContext,
    ) => {
      const id = 'r-' + createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 8);
      const review: ReviewRecord = { id, body: input.body, stars: input.stars, authorId: input.authorId, productUpc: input.upc };
      submitted.set(id, review);
      pubsub.publish(REVIEW_ADDED, review);
      return review;
    },
  },
  Subscription: {
    reviewAdded: {
      subscribe: (_: unknown, { upc }: { upc?: string | null }, { pubsub }: SubgraphContext) =>
        pubsub.subscribe<ReviewRecord>(REVIEW_ADDED, (review) => upc == null || review.productUpc === upc),
      resolve: (review: ReviewRecord) => review,
    },
  },
  Review: {
    __resolveReference: (ref: { id: string }) => reviewById(ref.id),
    body: (r: ReviewRecord, { truncate }: { truncate?: number | null }) =>
      truncate != null && truncate >= 0 ? r.body.slice(0, truncate) : r.body,
    // @provides: this subgraph answers author.username itself, saving a trip to accounts.
    author: (r: ReviewRecord) => ({ id: r.authorId, username: USERS.find((u) => u.id === r.authorId)?.username }),
    product: (r: ReviewRecord) => ({ upc: r.productUpc }),
  },
  User: {
    reviews: (u: { id: string }) => REVIEWS.filter((r) => r.authorId === u.id),
    numberOfReviews: (u: { id: string }) => REVIEWS.filter((r) => r.authorId === u.id).length,
  },
  Product: {
    name: (p: { upc: string }) => PRODUCTS.find((x) => x.upc === p.upc)?.name ?? null,
    reviews: (p: { upc: string }) => REVIEWS.filter((r) => r.productUpc === p.upc),
    averageStars: (p: { upc: string }) => average(REVIEWS.filter((r) => r.productUpc === p.upc)),
  },
  Manufacturer: {
    averageStars: (m: { id: string; country: string }) => {
      const upcs = new Set(
        PRODUCTS.filter((p) => p.manufacturer.id === m.id && p.manufacturer.country === m.country).map((p) => p.upc),
      );
      return average(REVIEWS.filter((r) => upcs.has(r.productUpc)));
    },
  },
};

export const reviews: SubgraphDefinition = { name: 'reviews', typeDefs, resolvers };
