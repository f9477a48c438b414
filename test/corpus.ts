/**
 * The differential corpus: operations run through Junction and through @apollo/gateway over the same
 * subgraphs. Each names the features it covers; together they cover every feature issue #2 lists.
 */
export interface CorpusOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export const BENCHMARK_QUERY = /* GraphQL */ `
  fragment User on User { id username name }
  fragment Review on Review { id body }
  fragment Product on Product { inStock name price shippingEstimate upc weight }
  query TestQuery {
    users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
    topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
  }
`;

export const CORPUS: CorpusOperation[] = [
  { name: 'README query: four subgraphs, @requires, @provides', query: '{ topProducts { name price inStock shippingEstimate reviews { body author { username } } } }' },
  { name: "The Guild's gateways-benchmark query", query: BENCHMARK_QUERY, operationName: 'TestQuery' },
  { name: 'root field of one subgraph', query: '{ me { id name username } }' },
  { name: 'argument default value (topProducts first = 5)', query: '{ topProducts { upc } }' },
  { name: 'literal argument', query: '{ topProducts(first: 2) { upc name } }' },
  { name: 'variable argument', query: 'query Top($n: Int) { topProducts(first: $n) { upc name } }', variables: { n: 3 } },
  { name: 'variable with default, not provided', query: 'query Top($n: Int = 4) { topProducts(first: $n) { upc } }' },
  { name: 'variable explicitly null', query: 'query Top($n: Int) { topProducts(first: $n) { upc } }', variables: { n: null } },
  { name: 'enum argument and enum output', query: '{ users(role: CUSTOMER) { id role } }' },
  { name: 'enum variable', query: 'query R($role: Role) { users(role: $role) { username role } }', variables: { role: 'ADMIN' } },
  { name: 'entity join products -> reviews -> accounts (batched)', query: '{ topProducts(first: 10) { upc reviews { id author { id name } } } }' },
  { name: 'deep chain topProducts -> reviews -> author -> reviews', query: '{ topProducts(first: 3) { name reviews { author { name reviews { body product { upc name } } } } } }' },
  { name: '@provides: author.username answered by reviews', query: '{ topProducts(first: 2) { reviews { author { username } } } }' },
  { name: '@provides plus a non-provided field', query: '{ topProducts(first: 2) { reviews { author { username birthday } } } }' },
  { name: '@requires with both inputs fetched elsewhere', query: '{ topProducts(first: 6) { shippingEstimate } }' },
  { name: '@requires inputs also selected by the client', query: '{ topProducts(first: 3) { price weight shippingEstimate inStock } }' },
  { name: '@shareable field from the subgraph already queried', query: '{ reviews(minStars: 4) { id product { name } } }' },
  { name: 'second @key (sku) and field owned by products', query: '{ product(upc: "7") { upc sku name manufacturer { id country name } } }' },
  { name: 'compound @key entity joined across subgraphs', query: '{ topProducts(first: 6) { manufacturer { id country name averageStars } } }' },
  { name: 'interface with type-specific fragments', query: '{ items { upc name price ... on Product { weight inStock } ... on GiftCard { balance } } }' },
  { name: 'interface __typename and entity fields through the interface', query: '{ items { __typename ... on Product { reviews { stars } averageStars } } }' },
  { name: 'union with fragments', query: '{ search(term: "gift") { __typename ... on GiftCard { name balance } ... on Product { upc } } }' },
  { name: 'union matching products joined to inventory', query: '{ search(term: "table") { ... on Product { upc name inStock shippingEstimate } } }' },
  { name: 'named fragments, nested', query: 'query { topProducts(first: 2) { ...P } } fragment P on Product { upc reviews { ...R } } fragment R on Review { stars author { ...U } } fragment U on User { username name }' },
  { name: 'inline fragment without type condition', query: '{ me { ... { id name } } }' },
  { name: 'aliases, including the same field twice with different args', query: '{ first: topProducts(first: 1) { id: upc title: name } two: topProducts(first: 2) { upc cost: price } }' },
  { name: 'alias on an entity field with arguments', query: '{ topProducts(first: 2) { short: reviews { b: body(truncate: 4) } full: reviews { body } } }' },
  { name: '__typename at root, on entities and nested', query: '{ __typename topProducts(first: 1) { __typename reviews { __typename author { __typename } } } }' },
  { name: 'aliased __typename', query: '{ me { kind: __typename id } }' },
  { name: '@include with literal true / false', query: '{ me { id name @include(if: true) username @include(if: false) } }' },
  { name: '@skip with a variable', query: 'query S($s: Boolean!) { topProducts(first: 2) { upc inStock @skip(if: $s) } }', variables: { s: true } },
  { name: '@include on a field from another subgraph, true', query: 'query I($i: Boolean!) { topProducts(first: 2) { upc reviews @include(if: $i) { body } } }', variables: { i: true } },
  { name: '@include on a field from another subgraph, false (Condition node)', query: 'query I($i: Boolean!) { topProducts(first: 2) { upc reviews @include(if: $i) { body } } }', variables: { i: false } },
  { name: '@skip on a fragment spread', query: 'query F($s: Boolean = false) { me { id ...N @skip(if: $s) } } fragment N on User { name reviews { id } }' },
  { name: 'nullable field error (riskScore of user 3) keeps the rest', query: '{ users { id riskScore } }' },
  { name: 'nullable field error inside an entity fetch', query: '{ topProducts(first: 3) { reviews { author { id riskScore } } } }' },
  { name: 'non-null field error nulls the entity (warehouseCode of product 7)', query: '{ topProducts(first: 8) { upc warehouseCode } }' },
  { name: 'non-null error bubbling through nested lists', query: '{ users { id reviews { product { upc warehouseCode } } } }' },
  { name: 'entity not found returns null', query: '{ user(id: "999") { id name } product(upc: "none") { upc } }' },
  { name: 'field arguments forwarded into entity fetches with variables', query: 'query D($zip: String!) { topProducts(first: 2) { upc delivery(zip: $zip) { estimatedDays express } } }', variables: { zip: '10115' } },
  { name: 'variables used at several levels', query: 'query V($n: Int!, $t: Int) { topProducts(first: $n) { reviews { body(truncate: $t) } } }', variables: { n: 2, t: 5 } },
  { name: 'several operations, operationName picks one', query: 'query A { me { id } } query B { topProducts(first: 1) { upc } }', operationName: 'B' },
  { name: 'mutation on one subgraph', query: 'mutation { login(username: "@grace") { id name } }' },
  { name: 'mutation result joined with other subgraphs', query: 'mutation Submit($input: ReviewInput!) { submitReview(input: $input) { id stars body product { upc name inStock } author { id name } } }', variables: { input: { upc: '2', authorId: '4', body: 'Differential!', stars: 5 } } },
  { name: 'two mutations in order', query: 'mutation { a: login(username: "@ada") { id } b: submitReview(input: { upc: "1", authorId: "1", body: "x", stars: 3 }) { id } }' },
  { name: 'introspection __type', query: '{ __type(name: "Product") { name kind fields { name } } }' },
  { name: 'introspection __schema types', query: '{ __schema { queryType { name } mutationType { name } } }' },
  { name: 'introspection mixed with data', query: '{ me { id } __type(name: "Role") { enumValues { name } } }' },
  { name: 'the same entity at several paths', query: '{ me { reviews { product { upc name } } } topProducts(first: 1) { upc name reviews { product { upc name price } } } }' },
  { name: 'large batch: 50 products with reviews and authors', query: '{ topProducts(first: 50) { upc name inStock reviews { stars author { username name } } } }' },
  { name: 'numberOfReviews: non-null Int from reviews', query: '{ users { id numberOfReviews } }' },
  { name: 'shareable value type (Address)', query: '{ users { address { city country } } }' },
  { name: 'repeated selections merged by fragments', query: '{ me { id ... on User { id name } ... on User { reviews { id } } reviews { stars } } }' },
];

CORPUS.push(
  { name: '@requiresScopes field (User.email), scope granted', query: '{ users { id email } }' },
  { name: '@policy field (Product.supplierCost), policy granted', query: '{ topProducts(first: 3) { upc supplierCost } }' },
);
