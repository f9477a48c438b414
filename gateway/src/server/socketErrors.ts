import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { GraphQLFormattedError } from 'graphql';
import { GatewayErrorCode } from '../errors/gatewayError';

/**
 * Errors Node's HTTP parser reports before Fastify has a request: a request not received within
 * `limits.requestTimeoutMs` / `limits.headersTimeoutMs`, headers over Node's 16 KiB, bytes that are
 * not HTTP. Node (or Fastify's default handler) would answer with a body of its own; these answers
 * carry our error envelope, written straight to the socket, which is then destroyed.
 */

/** @internal */
export interface SocketErrorAnswer {
  status: number;
  error: GraphQLFormattedError;
}

/** What a socket-level client error is answered with. @internal */
export function socketErrorAnswer(err: { code?: string }): SocketErrorAnswer {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: { message: 'The request was not received in time.', extensions: { code: GatewayErrorCode.REQUEST_TIMEOUT } } };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: { message: 'The request headers are too large.', extensions: { code: GatewayErrorCode.BAD_REQUEST } } };
    default:
      return { status: 400, error: { message: 'The request is not valid HTTP.', extensions: { code: GatewayErrorCode.BAD_REQUEST } } };
  }
}

/** A whole HTTP/1.1 response carrying `{ errors: [error] }`, after which the connection closes. @internal */
export function rawErrorResponse(status: number, error: GraphQLFormattedError): string {
  const body = JSON.stringify({ errors: [error] });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * Fastify's `clientErrorHandler`: answers as Node would (only when no answer has started on the
 * socket, so a response in flight is never corrupted), with our envelope, then destroys the socket.
 * `onAnswered` learns which sockets got which answer (a request whose body timed out is still in
 * Fastify's hands, and its refusal is recorded with that status).
 * @internal
 */
export function handleSocketError(err: Error & { code?: string }, socket: Socket, onAnswered: (socket: Socket, answer: SocketErrorAnswer) => void): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = socketErrorAnswer(err);
  const { status, error } = answer;
  onAnswered(socket, answer);
  // Node's own guard (socketOnError): `_httpMessage` is the response being written on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) socket.write(rawErrorResponse(status, error));
  socket.destroy();
}
