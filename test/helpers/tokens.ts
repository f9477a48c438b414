import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicPem: string;
  publicJwk: Record<string, unknown>;
}

export async function createSigningKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, publicPem: await exportSPKI(publicKey), publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const TEST_ISSUER = 'https://issuer.junction.test';
export const TEST_AUDIENCE = 'junction-tests';

/** A signed JWT: issuer, audience, one-hour expiry unless the claims say otherwise. */
export async function signToken(key: SigningKey, claims: JWTPayload & { scope?: string }, options: { expiresIn?: string | number; header?: Record<string, unknown> } = {}): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header })
    .setIssuer((claims.iss as string | undefined) ?? TEST_ISSUER)
    .setAudience((claims.aud as string | undefined) ?? TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(key.privateKey);
}
