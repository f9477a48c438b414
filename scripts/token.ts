/**
 * `npm run token -- [--sub ID] [--scope "a b"] [--expires 1h]`: prints a JWT for the sample config,
 * signed with the sample's dev key (gateway/sample-keys). For trying the sample, nothing else.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

export const SAMPLE_ISSUER = 'junction-sample';
export const SAMPLE_AUDIENCE = 'junction-sample';

/** Signs a token the sample config trusts. `root` is the repository root. */
export function signSampleToken(root: string, claims: { sub: string; scope: string; expires: string }): Promise<string> {
  const key = createPrivateKey(readFileSync(join(root, 'gateway', 'sample-keys', 'dev-signing-key.pem')));
  return new SignJWT({ scope: claims.scope })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(SAMPLE_ISSUER)
    .setAudience(SAMPLE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.expires)
    .sign(key);
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { sub: { type: 'string', default: '1' }, scope: { type: 'string', default: 'read:email' }, expires: { type: 'string', default: '1h' } },
  });
  signSampleToken(join(__dirname, '..', '..'), { sub: values.sub!, scope: values.scope!, expires: values.expires! }).then(
    (token) => process.stdout.write(token + '\n'),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
