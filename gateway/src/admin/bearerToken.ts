import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Whether a request carries `Authorization: Bearer <token>`. The token is compared by its digest:
 * in constant time, and without leaking its length.
 */
export function bearerTokenCheck(token: string): (request: FastifyRequest) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    return match !== null && timingSafeEqual(createHash('sha256').update(match[1]).digest(), expected);
  };
}
