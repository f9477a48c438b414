/**
 * Subscriptions: a client's subscription is one upstream subscription at the subgraph that owns the
 * root field (its plan's `primary` fetch), shared by every client whose primary fetch is the same
 * (same subgraph, operation, variables and forwarded headers): the last one to leave closes it. Each
 * event then runs, for each client, the rest of that client's plan (entity fetches, which in-flight
 * deduplication shares between clients as it does for queries), is shaped to the client's operation
 * and goes through the plugins' onSubscriptionEvent hooks before it is queued for the client.
 */
import type { GraphQLError } from 'graphql';
import type { Logger } from '../deps';
import { GatewayErrorCode, formatError, gatewayError } from '../errors/gatewayError';
import { executeSubscriptionEvent, fetchVariables } from '../execution/executePlan';
import { headerKey, type SubgraphResponse } from '../execution/subgraphClient';
import type { SubscriptionNode } from '../planning/plan';
import type { ExecutionResultBody, GatewayContext, GatewayRequest } from '../plugins/types';
import type { LoadedSupergraph } from '../planning/loadSupergraph';
import { planExecution, shapeResult, type ExecuteOptions, type PreparedOperation } from './execute';
import type { PrepareRequest } from './prepare';
import type { HookRunner } from './hooks';
import { RequestError, errorResponse } from './requestError';
import { PayloadQueue } from './payloadQueue';
import type { GatewayStream } from './result';

export type SubscriptionProtocol = 'ws' | 'sse';

/** Events longer than this (characters of JSON) are made for one client per turn of the event loop. */
const LARGE_EVENT = 64 * 1024;

/** Where an upstream subscription's events go. After `error` or `complete`, nothing more comes. */
export interface UpstreamSink {
  next(response: SubgraphResponse): void;
  error(error: GraphQLError): void;
  complete(): void;
}

/** What opens subscriptions at subgraphs (execution/subgraphSubscriptions.ts); returns what stops one. */
export interface Upstream {
  subscribe(
    target: { subgraph: string; url: string; protocol: SubscriptionProtocol },
    request: { query: string; operationName?: string; variables?: Record<string, unknown>; headers: Record<string, string> },
    sink: UpstreamSink,
  ): () => void;
  /** Connections to subgraphs open now (for metrics). */
  connections?(): number;
}

/** What a client may have waiting (events being made, or made and not yet taken) before it is dropped as too slow. */
export interface QueueLimits {
  maxQueuedEvents: number;
  /** Counted in characters of the events' JSON as the subgraph sent them. */
  maxQueuedBytes: number;
}

export interface SubscriptionSettings extends QueueLimits {
  /** How to subscribe at a subgraph, by name: protocol, and a URL instead of the supergraph's. */
  subgraphs: ReadonlyMap<string, { protocol: SubscriptionProtocol; url?: string }>;
}

export interface SubscribeOptions extends ExecuteOptions {
  request: GatewayRequest;
  context: GatewayContext;
  hooks: HookRunner;
  /** What the plan was made from: made again when the supergraph changes, to see whether it did. */
  planRequest: PrepareRequest;
}

/** After a supergraph change, for one subscription: go on with the new supergraph's plan, or end with an error. */
export type Revision = { error: GraphQLError } | { loaded: LoadedSupergraph; prepared: PreparedOperation };

/** One upstream subscription and the clients it feeds. */
interface Group {
  readonly key: string;
  readonly members: Set<Subscriber>;
  stop?: () => void;
}

export class SubscriptionHub {
  private readonly groups = new Map<string, Group>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly turns = new Turns();

  constructor(
    private readonly upstream: Upstream,
    private readonly settings: SubscriptionSettings,
    private readonly logger: Logger,
  ) {}

  /** Client subscriptions open now. */
  get active(): number {
    return this.subscribers.size;
  }

  /** Upstream subscriptions open now (each shared by one or more clients). */
  get upstreamCount(): number {
    return this.groups.size;
  }

  /**
   * Starts a client's subscription. Throws a RequestError when it cannot start (its subgraph is not
   * in the supergraph any more).
   */
  subscribe(options: SubscribeOptions): GatewayStream {
    const node = options.prepared.plan.node;
    if (node?.kind !== 'Subscription') throw new Error('subscribe: the plan has no Subscription node');
    const { primary } = node;
    const configured = this.settings.subgraphs.get(primary.serviceName);
    const url = configured?.url ?? options.loaded.subgraphUrls.get(primary.serviceName);
    if (url === undefined) {
      throw new RequestError([gatewayError(GatewayErrorCode.SUBGRAPH_UNAVAILABLE, `Subgraph "${primary.serviceName}" is not known to this gateway.`)], 503);
    }
    const headers: Record<string, string> = {};
    const done = options.before?.({ subgraph: primary.serviceName, url, headers, subscription: true });
    const variables = fetchVariables(primary, options.requestVariables);
    const key = [primary.serviceName, url, headerKey(headers), primary.operationName ?? '', JSON.stringify(variables ?? {}), primary.operation].join('\n');
    const subscriber = new Subscriber(options, node, this.settings, this.turns, (left, error) => {
      done?.(error ? { error } : {});
      this.leave(left, key);
    });
    this.subscribers.add(subscriber);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, members: new Set() };
      this.groups.set(key, group);
      group.members.add(subscriber);
      const request = { query: primary.operation, operationName: primary.operationName, variables, headers };
      group.stop = this.upstream.subscribe({ subgraph: primary.serviceName, url, protocol: configured?.protocol ?? 'ws' }, request, this.sinkOf(group));
    } else {
      group.members.add(subscriber);
    }
    return subscriber.stream();
  }

  /** Ends every subscription (shutdown: each client gets `complete`), or with `error` as the last payload. */
  endAll(error?: GraphQLError): void {
    for (const subscriber of [...this.subscribers]) subscriber.end(error);
  }

  /**
   * After a supergraph change: each subscription goes on with what `revise` gives it (the new
   * supergraph and its plan, when that plan is the one it runs) or ends with its error.
   */
  async revise(revise: (options: SubscribeOptions) => Promise<Revision>): Promise<void> {
    const before = this.subscribers.size;
    try {
      await Promise.all(
        [...this.subscribers].map(async (subscriber) => {
          const revision = await revise(subscriber.options);
          if ('error' in revision) subscriber.end(revision.error);
          else subscriber.options = { ...subscriber.options, loaded: revision.loaded, prepared: revision.prepared };
        }),
      );
    } catch (err) {
      this.logger.error('revising subscriptions failed', { error: String((err as Error)?.stack ?? err) });
    }
    this.logger.info('subscriptions revised for the new supergraph', { before, after: this.subscribers.size });
  }

  private sinkOf(group: Group): UpstreamSink {
    // Once the upstream ended, the group is gone from the map: a new client starts a new one.
    const forget = () => {
      if (this.groups.get(group.key) === group) this.groups.delete(group.key);
      group.stop = undefined;
    };
    return {
      next: (response) => {
        // Each client's execution merges into what it parses: one text, a copy each.
        const text = JSON.stringify(response);
        for (const member of group.members) member.event(text);
      },
      error: (error) => {
        forget();
        for (const member of [...group.members]) member.fail(error);
      },
      complete: () => {
        forget();
        for (const member of [...group.members]) member.complete();
      },
    };
  }

  private leave(subscriber: Subscriber, key: string): void {
    this.subscribers.delete(subscriber);
    const group = this.groups.get(key);
    if (!group || !group.members.delete(subscriber) || group.members.size > 0) return;
    this.groups.delete(key);
    const stop = group.stop;
    group.stop = undefined;
    try {
      stop?.();
    } catch (err) {
      this.logger.warn('closing an upstream subscription failed', { reason: String((err as Error)?.message ?? err) });
    }
  }
}

/** One client's subscription: its events, made in order, queued until the transport takes them. */
class Subscriber {
  private readonly queue: PayloadQueue;
  /** Events received and not yet queued (their fetches are running), and their size (characters of JSON). */
  private making = 0;
  private makingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private ended = false;
  private last: ExecutionResultBody | undefined;
  private readonly drops: Array<(reason: string) => void> = [];
  private resolveFinished!: (last: ExecutionResultBody | undefined) => void;
  private readonly finished = new Promise<ExecutionResultBody | undefined>((resolve) => (this.resolveFinished = resolve));

  constructor(
    public options: SubscribeOptions,
    private readonly node: SubscriptionNode,
    private readonly limits: QueueLimits,
    private readonly turns: Turns,
    private readonly onLeave: (subscriber: Subscriber, error?: unknown) => void,
  ) {
    this.queue = new PayloadQueue(() => this.end());
  }

  stream(): GatewayStream {
    return { status: 200, kind: 'subscription', payloads: this.queue, onDropped: (drop) => this.drops.push(drop), finished: this.finished };
  }

  /** An event from upstream, as JSON text. */
  event(text: string): void {
    if (this.ended) return;
    const waiting = this.queue.size + this.making;
    if (waiting >= this.limits.maxQueuedEvents || (waiting > 0 && this.queue.bytes + this.makingBytes + text.length > this.limits.maxQueuedBytes)) return this.drop();
    this.making++;
    this.makingBytes += text.length;
    this.chain = this.chain.then(async () => {
      try {
        const payload = await this.make(text);
        // Queued, the payload is serialised and sent by the transport at once: its own turn too.
        if (payload) await this.turn(text, () => this.queue.push(payload, text.length));
      } finally {
        this.making--;
        this.makingBytes -= text.length;
      }
    });
  }

  /** The upstream failed: after the events already received, the error, then the end. */
  fail(error: GraphQLError): void {
    this.chain = this.chain.then(() => this.end(error));
  }

  /** The upstream completed: after the events already received, the end. */
  complete(): void {
    this.chain = this.chain.then(() => this.end());
  }

  /** Ends the subscription, with `error` as its last payload if given. Idempotent. */
  end(error?: GraphQLError): void {
    if (this.ended) return;
    if (error) this.queue.push((this.last = { errors: [formatError(error)] }));
    this.finish(error);
  }

  private finish(error?: unknown): void {
    this.ended = true;
    this.queue.end();
    this.onLeave(this, error);
    this.resolveFinished(this.last);
  }

  /**
   * Runs `task` at once for a small event; for a large one, in a turn of the event loop of its own
   * (see Turns): each client parses, merges, shapes and serialises its own copy, and a thousand
   * subscribers must not hold the loop for a thousand of those.
   */
  private turn<T>(text: string, task: () => T | Promise<T>): Promise<T> {
    return text.length > LARGE_EVENT ? this.turns.run(task) : Promise.resolve().then(task);
  }

  /** Too slow a reader: its queue is full. Nothing more can be said to it in order: the transport cuts it off. */
  private drop(): void {
    const { logger, requestId } = this.options;
    const { maxQueuedEvents, maxQueuedBytes } = this.limits;
    logger.warn('subscriber dropped: too many unsent events', { requestId, maxQueuedEvents, maxQueuedBytes });
    this.queue.discard();
    this.finish();
    for (const drop of this.drops) drop('Too slow: too many events waiting to be sent.');
  }

  /** One event's payload for this client, or undefined when a plugin ended the subscription (then queued as its last payload). */
  private async make(text: string): Promise<ExecutionResultBody | undefined> {
    if (this.ended) return undefined;
    const { options } = this;
    try {
      return await options.hooks.phase('event', options.request, options.context, async () => {
        const execute = planExecution(options);
        const execution = await this.turn(text, () => executeSubscriptionEvent(execute, this.node, JSON.parse(text) as SubgraphResponse));
        const shaped = await this.turn(text, () => shapeResult(options, execution));
        return options.hooks.subscriptionEvent(options.request, options.context, shaped);
      });
    } catch (err) {
      // A plugin ended the subscription (its errors), or a bug did (a code and the request id; the log has the rest).
      if (!this.ended) {
        this.queue.push((this.last = { errors: errorResponse(err, options.requestId, options.logger).body.errors }));
        this.finish();
      }
      return undefined;
    }
  }
}

/**
 * Runs tasks one per turn of the event loop, in order: each in a setImmediate callback scheduled by
 * the one before, which Node runs in the next iteration of its loop, after the I/O due. (Callbacks
 * scheduled together would all run in the same check phase, back to back.)
 */
class Turns {
  private readonly tasks: Array<() => void> = [];
  private scheduled = false;

  run<T>(task: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.tasks.push(() => {
        try {
          resolve(task());
        } catch (err) {
          reject(err);
        }
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.tasks.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tasks.shift()?.();
      this.schedule();
    });
  }
}
