import { GraphQLError, parse } from 'graphql';
import { USERS, type UserRecord } from '../data';
import type { SubgraphDefinition } from '../subgraph';

export const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@listSize"])

  type Query {
    "The signed-in user: the one the gateway names in x-user-id; null when it names nobody we know."
    me: User @authenticated
    user(id: ID!): User
    users(role: Role): [User] @listSize(assumedSize: 5)
  }

  type Mutation {
    "Looks a user up by username; no state changes, so replaying it is safe."
    login(username: String!): User
  }

  type User @key(fields: "id") {
    id: ID!
    name: String
    "Shareable because reviews @provides it with each review author."
    username: String @shareable
    birthday: Int
    role: Role!
    "Needs the read:email scope."
    email: String @requiresScopes(scopes: [["read:email"]])
    address: Address
    "Fails for user 3: a nullable field whose error leaves the rest of the user intact."
    riskScore: Float
  }

  enum Role {
    ADMIN
    CUSTOMER
    GUEST
  }

  type Address @shareable {
    city: String!
    country: String!
  }
`);

const byId = new Map(USERS.map((u) => [u.id, u]));

export const resolvers = {
  Query: {
    // The gateway forwards the token's subject as x-user-id (see junction.sample.yaml). No header, or
    // an id we do not know, is nobody: never stand in another user for a caller we cannot name.
    me: (_: unknown, __: unknown, ctx: { headers?: Record<string, string | string[] | undefined> }) => {
      const id = ctx.headers?.['x-user-id'];
      return (typeof id === 'string' && byId.get(id)) || null;
    },
    user: (_: unknown, { id }: { id: string }) => byId.get(id) ?? null,
    users: (_: unknown, { role }: { role?: string }) => (role ? USERS.filter((u) => u.role === role) : USERS),
  },
  Mutation: {
    login: (_: unknown, { username }: { username: string }) => USERS.find((u) => u.username === username) ?? null,
  },
  User: {
    __resolveReference: (ref: { id: string }) => byId.get(ref.id) ?? null,
    riskScore: (user: UserRecord) => {
      if (user.id === '3') {
        throw new GraphQLError('Risk score unavailable', { extensions: { code: 'RISK_SERVICE_DOWN' } });
      }
      return Number((Number(user.id) * 0.17).toFixed(2));
    },
  },
};

export const accounts: SubgraphDefinition = { name: 'accounts', typeDefs, resolvers };
