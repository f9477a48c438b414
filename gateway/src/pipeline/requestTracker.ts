import type { Clock, Logger } from '../deps';
import type { GatewayContext, GatewayRequest } from '../plugins/types';
import { requestContext } from './clientInfo';
import type { HookRunner } from './hooks';
import { errorResponse } from './requestError';
import { isStream, type GatewayResponse, type GatewayResult } from './result';

/**
 * Requests from start to end: each one's context, its `request` phase, the onResult hooks, and the
 * count of requests in flight that shutdown drains.
 */
export class RequestTracker {
  private count = 0;
  private readonly drained: Array<() => void> = [];

  constructor(
    private readonly hooks: HookRunner,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async track(request: GatewayRequest, respond: (context: GatewayContext) => Promise<GatewayResult>): Promise<GatewayResult> {
    const context = requestContext(request, this.clock.now());
    this.count++;
    try {
      const endRequest = this.hooks.startPhase('request', request, context);
      const result = await respond(context);
      const end = async (response: GatewayResponse) => {
        const final = await this.hooks.onResult(request, context, response, (err) => errorResponse(err, context.requestId, this.logger));
        endRequest?.({ status: final.status, result: final.body });
        return final;
      };
      if (!isStream(result)) return await end(result);
      // A subscription is a request that lasts: the plugins see it end when its stream does. It no
      // longer counts as in flight: shutdown ends streams itself (SubscriptionHub.endAll) before draining.
      void result.finished.then((last) => end({ status: result.status, body: last ?? {} }));
      return result;
    } finally {
      this.count--;
      if (this.count === 0) for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  /** Requests being handled right now. */
  get inFlight(): number {
    return this.count;
  }

  /** Resolves once no request is in flight (at once when none is). */
  drain(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.drained.push(resolve));
  }
}
