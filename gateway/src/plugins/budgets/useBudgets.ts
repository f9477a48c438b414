import { isIPv4, isIPv6 } from 'node:net';
import { OperationTypeNode } from 'graphql';
import type { GatewayConfig } from '../../config';
import type { Clock, Logger } from '../../deps';
import { GatewayErrorCode, gatewayError } from '../../errors/gatewayError';
import { claimAt, type Identity } from '../auth/identity';
import { costLimitError } from '../cost/costLimitError';
import { MUTATION_BASE_COST } from '../cost/estimateCost';
import type { GatewayPlugin, GatewayRequest, RejectFn } from '../types';
import type { BucketPolicy, BudgetStore } from './budgetStore';

type BudgetsConfig = GatewayConfig['budgets'];

/** The bucket a request draws from. */
export interface BudgetAssignment {
  key: string;
  tier: string;
  policy: BucketPolicy;
}

interface BudgetState {
  assignment: BudgetAssignment;
  /** Points taken before execution (0 when refused). */
  taken: number;
  /** The least the operation may end up costing: a mutation's base cost is never given back. */
  floor: number;
  available: number;
  /** A subscription pays as it goes: the estimate at subscribe, then each event; nothing is settled at its end. */
  subscription: boolean;
}

/** Which tier and bucket a caller gets: the first `assign` rule that matches, else `defaultTier`. */
export function assignBudget(config: BudgetsConfig, identity: Identity, request: GatewayRequest): BudgetAssignment {
  const rule = config.assign.find(
    (r) =>
      (r.clientId === undefined || r.clientId === identity.clientId) &&
      (r.via === undefined || r.via === identity.via) &&
      (r.claim === undefined || claimAt(identity.claims, r.claim.path) === r.claim.equals),
  );
  const tier = rule?.tier ?? config.defaultTier;
  const t = config.tiers[tier];
  const key = identity.via === 'anonymous' ? (config.anonymousKey === 'ip' ? `ip:${addressBucket(request.remoteAddress)}` : 'anonymous') : `client:${identity.clientId ?? ''}`;
  return { key, tier, policy: { capacity: t.capacity, refillPerSecond: t.refillPerSecond } };
}

/**
 * Whose bucket an address draws from. An IPv4 address is its own; an IPv6 address shares its /64
 * (one subscriber's allocation, which a caller can hop around in at will: per address, it would have
 * 2^64 buckets). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address.
 */
export function addressBucket(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('%')[0].split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':')).flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * The bucket behind `GET /admin/budgets/:id`: a client id (its tier from the `assign` rules that
 * name it, else the default tier), or `ip:<address>` (an IPv6 address names its /64) / `anonymous`
 * for anonymous callers.
 */
export function budgetForAdmin(config: BudgetsConfig, id: string): BudgetAssignment {
  const anonymous = id.startsWith('ip:') || id === 'anonymous';
  const rule = anonymous ? config.assign.find((r) => r.via === 'anonymous' && !r.clientId && !r.claim) : config.assign.find((r) => r.clientId === id);
  const tier = rule?.tier ?? config.defaultTier;
  const t = config.tiers[tier];
  const key = id.startsWith('ip:') ? `ip:${addressBucket(id.slice(3))}` : anonymous ? id : `client:${id}`;
  return { key, tier, policy: { capacity: t.capacity, refillPerSecond: t.refillPerSecond } };
}

type BudgetDeps = { store: BudgetStore; clock: Clock; logger: Logger; enforceCost: boolean; onStoreFailure?: (mode: 'open' | 'closed') => void };

/**
 * Per-client query budgets: before execution the operation's estimated cost is taken from the
 * caller's bucket (429 BUDGET_EXHAUSTED with Retry-After when it cannot pay, and no subgraph is
 * called); after it, the bucket is settled to the actual cost (see onResult). Every response carries the
 * budget state in `extensions.cost.throttleStatus` and the IETF RateLimit-Policy / RateLimit
 * headers. Runs after the cost plugin, whose estimate it spends. A subscription takes its estimate
 * (one event's worth) when it starts, then each event's actual cost before the event is sent; an
 * event the bucket cannot pay ends the subscription with BUDGET_EXHAUSTED. Nothing is given back.
 */

export function useBudgets(config: BudgetsConfig, deps: BudgetDeps): GatewayPlugin {
  const states = new WeakMap<object, BudgetState>();
  const policyHeader = (a: BudgetAssignment) => `"${a.tier}";q=${a.policy.capacity};w=${Math.ceil(a.policy.capacity / a.policy.refillPerSecond)}`;
  const rateHeader = (a: BudgetAssignment, available: number) =>
    `"${a.tier}";r=${Math.max(0, Math.floor(available))};t=${Math.ceil((a.policy.capacity - available) / a.policy.refillPerSecond)}`;

  return {
    name: 'budgets',
    async onPlanned({ request, context, reject, operationKind }) {
      const estimated = context.cost?.estimated;
      if (estimated === undefined || !context.identity) return;
      const assignment = assignBudget(config, context.identity, request);
      const tierMax = config.tiers[assignment.tier].maxCost;
      if (deps.enforceCost && tierMax !== undefined && estimated > tierMax) {
        reject(costLimitError(estimated, tierMax));
        return;
      }
      let result;
      try {
        result = await deps.store.take(assignment.key, estimated, assignment.policy, deps.clock.epochMs());
      } catch (err) {
        storeUnavailable(config, deps, err, context.requestId, reject);
        return;
      }
      if (!result.allowed) {
        const fits = estimated <= assignment.policy.capacity;
        const retryAfter = Math.max(1, Math.ceil((estimated - result.available) / assignment.policy.refillPerSecond));
        const headers: Record<string, string> = { 'ratelimit-policy': policyHeader(assignment), ratelimit: rateHeader(assignment, result.available) };
        if (fits) headers['retry-after'] = String(retryAfter);
        // Not executed: nothing to refund, but the response still reports the budget state.
        states.set(context, { assignment, taken: 0, floor: 0, available: result.available, subscription: false });
        reject(
          gatewayError(GatewayErrorCode.BUDGET_EXHAUSTED, fits ? 'Query budget exhausted; retry later.' : 'The operation costs more than the whole budget of this client.', {
            extensions: { cost: { requestedQueryCost: estimated, throttleStatus: throttleStatus(assignment, result.available) } },
            status: 429,
            headers,
          }),
        );
        return;
      }
      states.set(context, {
        assignment,
        taken: estimated,
        floor: operationKind === OperationTypeNode.MUTATION ? MUTATION_BASE_COST : 0,
        available: result.available,
        subscription: operationKind === OperationTypeNode.SUBSCRIPTION,
      });
    },
    async onSubscriptionEvent({ context, reject }) {
      const [state, event] = [states.get(context), context.cost?.event ?? 0];
      if (state && event > 0) await chargeEvent(config, deps, state, event, context.requestId, reject);
    },
    async onResult({ context, result, setResult, setHeader }) {
      const state = states.get(context);
      if (!state || state.subscription) return;
      const actual = context.cost?.actual;
      let available = state.available;
      // The bucket ends up paying the actual cost: what the estimate took too much is given back
      // (never below a mutation's base cost), and what it took too little (lists longer than
      // assumed) is charged, even into debt.
      const difference = actual === undefined || state.taken === 0 ? 0 : Math.max(actual, state.floor) - state.taken;
      if (difference !== 0) {
        const { key, policy } = state.assignment;
        try {
          available = difference < 0 ? await deps.store.refund(key, -difference, policy, deps.clock.epochMs()) : await deps.store.charge(key, difference, policy, deps.clock.epochMs());
        } catch (err) {
          deps.logger.error('budget settlement failed', { reason: String((err as Error)?.message ?? err), requestId: context.requestId });
        }
      }
      setHeader('ratelimit-policy', policyHeader(state.assignment));
      setHeader('ratelimit', rateHeader(state.assignment, available));
      const cost = (result.extensions?.cost as Record<string, unknown> | undefined) ?? {};
      setResult({ ...result, extensions: { ...result.extensions, cost: { ...cost, throttleStatus: throttleStatus(state.assignment, available) } } });
    },
  };
}

/** The budget store failed: logged and counted; with `failMode: closed` the operation (or the subscription) is refused. */
function storeUnavailable(config: BudgetsConfig, deps: BudgetDeps, err: unknown, requestId: string, reject: RejectFn): void {
  deps.logger.error('budget store unavailable', { failMode: config.failMode, reason: String((err as Error)?.message ?? err), requestId });
  deps.onStoreFailure?.(config.failMode);
  if (config.failMode === 'closed') reject(gatewayError(GatewayErrorCode.BUDGET_STORE_UNAVAILABLE, 'Query budgets are unavailable; try again later.', { status: 503 }));
}

/** A subscription's event: taken from the bucket before it is sent; one the bucket cannot pay ends the subscription. */
async function chargeEvent(config: BudgetsConfig, deps: BudgetDeps, state: BudgetState, event: number, requestId: string, reject: RejectFn): Promise<void> {
  const { key, policy } = state.assignment;
  let taken;
  try {
    taken = await deps.store.take(key, event, policy, deps.clock.epochMs());
  } catch (err) {
    storeUnavailable(config, deps, err, requestId, reject);
    return;
  }
  state.available = taken.available;
  if (taken.allowed) return;
  const retryAfter = Math.max(1, Math.ceil((event - taken.available) / policy.refillPerSecond));
  reject(
    gatewayError(GatewayErrorCode.BUDGET_EXHAUSTED, 'Query budget exhausted: the subscription ends; subscribe again later.', {
      extensions: { cost: { eventCost: event, throttleStatus: throttleStatus(state.assignment, taken.available) }, retryAfter },
    }),
  );
}

function throttleStatus(a: BudgetAssignment, available: number) {
  return { maximumAvailable: a.policy.capacity, currentlyAvailable: Math.max(0, Math.floor(available)), restoreRate: a.policy.refillPerSecond };
}
