/**
 * After execution a bucket is settled to the operation's actual cost: what the estimate took too
 * much is given back, what it took too little is charged (into debt, down to -capacity), and a
 * mutation's base cost is never given back.
 */
import { OperationTypeNode } from 'graphql';
import { resolveConfig } from '../../../config';
import { silentLogger, type Clock } from '../../../deps';
import type { GatewayContext, GatewayPlugin, GatewayRequest } from '../../types';
import { MemoryBudgetStore } from '../budgetStore';
import { useBudgets } from '../useBudgets';
import '../../cost/useCost';
import '../../auth/identity';
import { FakeClock } from '../../../../../test/helpers/fakeClock';

const CAPACITY = 1000;
const config = resolveConfig({
  supergraph: 'x',
  cost: { mode: 'enforce' },
  budgets: { enabled: true, tiers: { default: { capacity: CAPACITY, refillPerSecond: 1 } } },
}).budgets;
const clock: Clock = new FakeClock(1_000_000);
const request: GatewayRequest = { method: 'POST', headers: {}, query: '{ x }', operationName: undefined, variables: undefined, extensions: undefined, remoteAddress: '10.0.0.1' };

/** Runs one operation through the plugin; returns what the bucket holds afterwards. */
async function run(plugin: GatewayPlugin, store: MemoryBudgetStore, kind: OperationTypeNode, estimated: number, actual: number): Promise<number> {
  const context: GatewayContext = { requestId: 'r', startedAt: 0, identity: { clientId: 'c1', scopes: [], claims: {}, via: 'jwt' }, cost: { estimated } };
  let rejected = false;
  await plugin.onPlanned!({ request, context, reject: () => (rejected = true), operationKind: kind } as never);
  expect(rejected).toBe(false);
  context.cost!.actual = actual;
  await plugin.onResult!({ request, context, status: 200, result: { data: {} }, setResult: () => {}, setHeader: () => {} } as never);
  return store.peek('client:c1', { capacity: CAPACITY, refillPerSecond: 1 }, clock.epochMs());
}

it.each([
  ['a query that cost less than estimated gets the rest back', OperationTypeNode.QUERY, 300, 40, CAPACITY - 40],
  ['a query that cost more than estimated pays the difference', OperationTypeNode.QUERY, 100, 700, CAPACITY - 700],
  ['a query that cost far more than the bucket holds leaves it in debt, at most -capacity', OperationTypeNode.QUERY, 100, 50_000, -CAPACITY],
  ['a mutation keeps its base cost when nothing was returned', OperationTypeNode.MUTATION, 30, 0, CAPACITY - 10],
  ['a mutation pays its actual cost above the base', OperationTypeNode.MUTATION, 30, 25, CAPACITY - 25],
])('%s', async (_name, kind, estimated, actual, expected) => {
  const store = new MemoryBudgetStore();
  const plugin = useBudgets(config, { store, clock, logger: silentLogger, enforceCost: true });
  expect(await run(plugin, store, kind, estimated, actual)).toBe(expected);
});

it('a client in debt is refused until the refill pays it back, and its headers never show a negative count', async () => {
  const store = new MemoryBudgetStore();
  const plugin = useBudgets(config, { store, clock, logger: silentLogger, enforceCost: true });
  await run(plugin, store, OperationTypeNode.QUERY, 10, 1500);
  const context: GatewayContext = { requestId: 'r2', startedAt: 0, identity: { clientId: 'c1', scopes: [], claims: {}, via: 'jwt' }, cost: { estimated: 1 } };
  const errors: unknown[] = [];
  await plugin.onPlanned!({ request, context, reject: (e: unknown) => errors.push(e), operationKind: OperationTypeNode.QUERY } as never);
  expect(errors).toHaveLength(1);
  const headers: Record<string, string> = {};
  await plugin.onResult!({ request, context, status: 429, result: {}, setResult: () => {}, setHeader: (k: string, v: string) => (headers[k] = v) } as never);
  expect(headers.ratelimit).toBe('"default";r=0;t=1500');
});
