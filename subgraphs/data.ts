/**
 * The sample subgraphs' data: deterministic, in memory, generated from fixed rules so that tests
 * can predict every answer. Each subgraph reads only the part it owns (as separate services would).
 */

export type Role = 'ADMIN' | 'CUSTOMER' | 'GUEST';

export interface UserRecord {
  id: string;
  name: string;
  username: string;
  birthday: number;
  role: Role;
  email: string;
  address: { city: string; country: string };
}

export interface ProductRecord {
  upc: string;
  sku: string;
  name: string;
  price: number;
  weight: number;
  manufacturer: { id: string; country: string };
}

export interface ReviewRecord {
  id: string;
  body: string;
  stars: number;
  authorId: string;
  productUpc: string;
}

const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara'];
const LAST_NAMES = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov'];
const CITIES: Array<[string, string]> = [
  ['London', 'GB'],
  ['Manchester', 'GB'],
  ['New York', 'US'],
  ['Amsterdam', 'NL'],
  ['Boston', 'US'],
];
const ROLES: Role[] = ['ADMIN', 'CUSTOMER', 'CUSTOMER', 'GUEST', 'CUSTOMER'];

export const USERS: readonly UserRecord[] = FIRST_NAMES.map((first, i) => ({
  id: String(i + 1),
  name: `${first} ${LAST_NAMES[i]}`,
  username: `@${first.toLowerCase()}`,
  birthday: 1815 + i * 23,
  role: ROLES[i],
  email: `${first.toLowerCase()}@example.com`,
  address: { city: CITIES[i][0], country: CITIES[i][1] },
}));

const PRODUCT_NAMES = ['Table', 'Couch', 'Chair', 'Lamp', 'Desk', 'Shelf', 'Rug', 'Bed', 'Stool', 'Mirror'];
export const MANUFACTURERS = [
  { id: 'm1', country: 'SE', name: 'Nordform' },
  { id: 'm1', country: 'DE', name: 'Nordform GmbH' },
  { id: 'm2', country: 'IT', name: 'Casa Bella' },
];

/** Sixty products, so that tests can ask for 1 or 50 of them. */
export const PRODUCTS: readonly ProductRecord[] = Array.from({ length: 60 }, (_, i) => {
  const n = i + 1;
  return {
    upc: String(n),
    sku: `SKU-${String(n).padStart(3, '0')}`,
    name: `${PRODUCT_NAMES[i % PRODUCT_NAMES.length]} ${Math.floor(i / PRODUCT_NAMES.length) + 1}`,
    price: 100 + ((n * 37) % 900),
    weight: 1 + ((n * 13) % 40),
    manufacturer: { id: MANUFACTURERS[i % 3].id, country: MANUFACTURERS[i % 3].country },
  };
});

const BODIES = [
  'Love it!',
  'Too expensive.',
  'Could be better.',
  'Prefer something else.',
  'Sturdy and well made, would buy again.',
];

/** Two reviews on each of the first ten products; the others have none. */
export const REVIEWS: readonly ReviewRecord[] = Array.from({ length: 20 }, (_, i) => ({
  id: String(i + 1),
  body: BODIES[i % BODIES.length],
  stars: 1 + ((i * 3) % 5),
  authorId: String((i % USERS.length) + 1),
  productUpc: String(Math.floor(i / 2) + 1),
}));

/** Stock per product: every fourth product is out of stock. */
export function inStock(upc: string): boolean {
  return Number(upc) % 4 !== 0;
}
