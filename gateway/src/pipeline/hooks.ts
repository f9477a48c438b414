import type { GraphQLError } from 'graphql';
import { headersOf, statusOf } from '../errors/gatewayError';
import type { BeforeSubgraphRequest } from '../execution/subgraphClient';
import type { ExecutionResultBody, GatewayContext, GatewayPlugin, GatewayRequest, Phase, PhaseEnd, RejectFn, SubgraphRequestEnd } from '../plugins/types';
import { RequestError } from './requestError';
import type { GatewayResponse } from './result';

/** The hooks that may refuse the request, in the order a request meets them. */
type RejectingHook = 'onRequest' | 'onParsed' | 'onValidated' | 'onPlanned' | 'onConnection' | 'onSubscriptionEvent';
type EventOf<K extends RejectingHook> = Parameters<NonNullable<GatewayPlugin[K]>>[0];

/**
 * Runs the plugins' hooks, in the order the plugins are listed: one runner for every hook, so each
 * behaves the same (a rejection stops the request after the hook that made it; a hook that wants to
 * see something end returns a callback).
 */
export class HookRunner {
  private readonly phaseHooks: NonNullable<GatewayPlugin['onPhase']>[];
  private readonly subgraphHooks: NonNullable<GatewayPlugin['onSubgraphRequest']>[];

  constructor(private readonly plugins: readonly GatewayPlugin[]) {
    this.phaseHooks = plugins.flatMap((p) => (p.onPhase ? [p.onPhase.bind(p)] : []));
    this.subgraphHooks = plugins.flatMap((p) => (p.onSubgraphRequest ? [p.onSubgraphRequest.bind(p)] : []));
  }

  /** Runs `hook` of every plugin; throws a RequestError as soon as one rejects the request. */
  async run<K extends RejectingHook>(hook: K, event: Omit<EventOf<K>, 'reject'>): Promise<void> {
    let rejection: readonly GraphQLError[] | undefined;
    const reject: RejectFn = (error) => {
      rejection ??= Array.isArray(error) ? error : [error as GraphQLError];
    };
    for (const plugin of this.plugins) {
      const run = plugin[hook] as ((event: EventOf<K>) => void | Promise<void>) | undefined;
      if (!run) continue;
      await run.call(plugin, { ...event, reject } as EventOf<K>);
      if (rejection && rejection.length > 0) throw new RequestError(rejection, statusOf(rejection[0]) ?? 400, headersOf(rejection[0]));
    }
  }

  /**
   * Runs the onRequest hooks; returns the request as they left it: with the query text the last
   * `setQuery` gave, if any. Each hook gets the request as the hooks before it left it (`run` makes
   * each hook's event when it is its turn).
   */
  async onRequest(request: GatewayRequest, context: GatewayContext): Promise<GatewayRequest> {
    const event = {
      request,
      context,
      setQuery(query: string) {
        if (typeof query !== 'string') throw new TypeError(`setQuery expects a string, got ${typeof query}`);
        event.request = { ...event.request, query };
      },
    };
    await this.run('onRequest', event);
    return event.request;
  }

  /**
   * The onSubscriptionEvent hooks for one event of one client: the payload to send, as they left it.
   * Throws a RequestError when one ends the subscription.
   */
  async subscriptionEvent(request: GatewayRequest, context: GatewayContext, result: ExecutionResultBody): Promise<ExecutionResultBody> {
    const event = {
      request,
      context,
      result,
      setResult(replacement: ExecutionResultBody) {
        event.result = replacement;
      },
    };
    await this.run('onSubscriptionEvent', event);
    return event.result;
  }

  /** Tells the onPhase hooks that a phase starts; returns what to call when it ends. */
  startPhase(phase: Phase, request: GatewayRequest, context: GatewayContext): PhaseEnd | undefined {
    if (this.phaseHooks.length === 0) return undefined;
    return joined(this.phaseHooks.map((hook) => hook({ phase, request, context })));
  }

  /** Runs `run` as a phase that onPhase hooks see start and end, with its error if it fails. */
  phase<T>(phase: Phase, request: GatewayRequest, context: GatewayContext, run: (outcome: { cached?: boolean }) => T): T {
    const end = this.startPhase(phase, request, context);
    const outcome: { cached?: boolean } = {};
    if (!end) return run(outcome);
    let result: T;
    try {
      result = run(outcome);
    } catch (error) {
      end({ error });
      throw error;
    }
    if (!(result instanceof Promise)) {
      end(outcome);
      return result;
    }
    return result.then(
      (value) => {
        end(outcome);
        return value;
      },
      (error: unknown) => {
        end({ error });
        throw error;
      },
    ) as T;
  }

  /** The onSubgraphRequest hooks, for the subgraph requests of one client request. */
  beforeSubgraphRequest(request: GatewayRequest, context: GatewayContext): BeforeSubgraphRequest | undefined {
    if (this.subgraphHooks.length === 0) return undefined;
    return ({ subgraph, url, headers, subscription }) =>
      joined<SubgraphRequestEnd>(this.subgraphHooks.map((hook) => hook({ subgraph, url, headers, request, context, ...(subscription ? { subscription } : {}) })));
  }

  /**
   * The onResult hooks, each seeing the response the ones before it left. A hook that throws turns the
   * response into `onError`'s; the hooks after it still run.
   */
  async onResult(request: GatewayRequest, context: GatewayContext, response: GatewayResponse, onError: (err: unknown) => GatewayResponse): Promise<GatewayResponse> {
    let current = response;
    for (const p of this.plugins) {
      if (!p.onResult) continue;
      try {
        await p.onResult({
          request,
          context,
          status: current.status,
          result: current.body,
          setResult: (body, status) => {
            current = { ...current, body, status: status ?? current.status };
          },
          setHeader: (name, value) => {
            current = { ...current, headers: { ...current.headers, [name.toLowerCase()]: value } };
          },
        });
      } catch (err) {
        current = onError(err);
      }
    }
    return current;
  }
}

/** One callback calling every one a hook returned, or undefined if none did. */
function joined<E extends (outcome: never) => void>(ends: ReadonlyArray<E | void | undefined>): E | undefined {
  const present = ends.filter((end): end is E => typeof end === 'function');
  if (present.length === 0) return undefined;
  return ((outcome: Parameters<E>[0]) => {
    for (const end of present) (end as (o: Parameters<E>[0]) => void)(outcome);
  }) as E;
}
