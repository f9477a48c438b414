import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway';

/** How often the warning about refused connections may be logged, ms. */
const DROP_WARNING_INTERVAL_MS = 60_000;

/**
 * Closes the connection of a client that stops reading its answer: from the moment an answer is
 * handed to the socket, `sendTimeoutMs` without any byte leaving destroys the socket, which frees
 * what was still queued. Node's socket timeout is an inactivity timer, reset by every write that
 * makes progress, so only a stalled reader is cut. It is armed when the answer is sent, not before:
 * the time the gateway takes to answer is never counted (subgraphs have their own timeouts), and
 * Node replaces it with the keep-alive timeout once the answer has gone out.
 * @internal
 */
export function dropStalledReaders(app: FastifyInstance, sendTimeoutMs: number): void {
  if (sendTimeoutMs <= 0) return;
  app.addHook('onSend', (request, _reply, payload, done) => {
    // With no listener of ours, Node's own timeout handler destroys the socket.
    const socket = request.raw.socket;
    if (socket && !socket.destroyed) socket.setTimeout(sendTimeoutMs);
    done(null, payload);
  });
}

/**
 * Caps the connections open at once (Node's `server.maxConnections`): past it, Node closes each new
 * connection as soon as it is accepted, and the open ones keep being served. Refusals are counted,
 * and logged at most once a minute so that a flood does not flood the log too.
 * @internal
 */
export function limitConnections(app: FastifyInstance, gateway: Gateway, maxConnections: number): void {
  if (maxConnections <= 0) return;
  app.server.maxConnections = maxConnections;
  let lastWarning = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  app.server.on('drop', () => {
    gateway.metrics.connectionsDropped.inc();
    dropped++;
    const now = gateway.clock.now();
    if (now - lastWarning < DROP_WARNING_INTERVAL_MS) return;
    gateway.logger.warn('connections refused: limits.maxConnections reached', { maxConnections, refused: dropped });
    lastWarning = now;
    dropped = 0;
  });
}
