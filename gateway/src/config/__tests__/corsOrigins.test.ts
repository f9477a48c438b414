import { ConfigError, resolveConfig } from '..';
import { originMatcher } from '../corsOrigins';

const base = { supergraph: 'supergraph.graphql' };

function configError(input: unknown): string {
  try {
    resolveConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('cors config', () => {
  it('is off unless configured, and fills in its defaults when it is', () => {
    expect(resolveConfig(base).cors).toBeUndefined();
    expect(resolveConfig({ ...base, cors: { origins: ['http://localhost:3000'] } }).cors).toEqual({
      origins: ['http://localhost:3000'],
      credentials: false,
      exposedHeaders: ['ratelimit', 'ratelimit-policy', 'retry-after', 'x-request-id'],
      maxAge: 600,
    });
  });

  it('csrfPrevention is on by default, with Apollo\'s headers and the GraphQL over HTTP one', () => {
    expect(resolveConfig(base).csrfPrevention).toEqual({ enabled: true, requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-require-preflight'] });
  });

  it('lower-cases origins and header names', () => {
    const cors = resolveConfig({ ...base, cors: { origins: ['https://App.Example.com', 'https://*.Example.com'], allowedHeaders: ['Content-Type'] } }).cors!;
    expect(cors.origins).toEqual(['https://app.example.com', 'https://*.example.com']);
    expect(cors.allowedHeaders).toEqual(['content-type']);
  });

  it.each([
    [{ origins: ['*'], credentials: true }, 'cors.credentials', 'browsers refuse credentials with Access-Control-Allow-Origin: *'],
    [{ origins: ['*', 'https://a.example.com'] }, 'cors.origins', 'give it alone'],
    [{ origins: [] }, 'cors.origins', ''],
    [{ origins: ['null'] }, 'cors.origins.0', 'sandboxed iframes'],
    [{ origins: ['https://a.example.com/'] }, 'cors.origins.0', '"https://a.example.com"'],
    [{ origins: ['https://a.example.com/app'] }, 'cors.origins.0', '"https://a.example.com"'],
    [{ origins: ['https://a.example.com:443'] }, 'cors.origins.0', '"https://a.example.com"'],
    [{ origins: ['https://*.example.com:443'] }, 'cors.origins.0', '"https://*.example.com"'],
    [{ origins: ['https://user@a.example.com'] }, 'cors.origins.0', '"https://a.example.com"'],
    [{ origins: ['a.example.com'] }, 'cors.origins.0', 'expected an origin'],
    [{ origins: ['ftp://a.example.com'] }, 'cors.origins.0', 'http or https'],
    [{ origins: ['https://*.com'] }, 'cors.origins.0', 'a whole top-level domain'],
    [{ origins: ['*.example.com'] }, 'cors.origins.0', 'https://*.example.com'],
    [{ origins: ['https://app-*.example.com'] }, 'cors.origins.0', 'whole first label'],
    [{ origins: ['https://*.*.example.com'] }, 'cors.origins.0', 'whole first label'],
    [{ origins: ['https://*'] }, 'cors.origins.0', ''],
    [{ origins: ['https://a.example.com'], allowedHeaders: ['*'] }, 'cors.allowedHeaders.0', 'header name'],
    [{ origins: ['https://a.example.com'], exposedHeaders: ['rate limit'] }, 'cors.exposedHeaders.0', 'header name'],
    [{ origins: ['https://a.example.com'], maxAge: -1 }, 'cors.maxAge', ''],
    [{ origins: ['https://a.example.com'], maxAge: 86_401 }, 'cors.maxAge', ''],
    [{ origins: ['https://a.example.com'], allowCredentials: true }, 'cors.allowCredentials', 'unknown option'],
  ])('refuses %j at %s', (cors, path, reason) => {
    const message = configError({ ...base, cors });
    expect(message).toContain(`"${path}"`);
    expect(message).toContain(reason);
  });

  it.each([
    [{ requestHeaders: [] }, 'csrfPrevention.requestHeaders'],
    [{ requestHeaders: ['no spaces'] }, 'csrfPrevention.requestHeaders.0'],
    [{ enabled: 'yes' }, 'csrfPrevention.enabled'],
  ])('refuses csrfPrevention %j at %s', (csrfPrevention, path) => {
    expect(configError({ ...base, csrfPrevention })).toContain(`"${path}"`);
  });
});

describe('originMatcher', () => {
  const allows = originMatcher(['http://localhost:3000', 'https://*.example.com', 'http://*.localhost:8080']);
  it.each([
    ['http://localhost:3000', true],
    ['https://a.example.com', true],
    ['https://a-b_c.d.example.com', true],
    ['http://app.localhost:8080', true],
    ['https://example.com', false],
    ['https://aexample.com', false],
    ['https://.example.com', false],
    ['https://a..example.com', false],
    ['https://evil.com/.example.com', false],
    ['https://x.example.com.evil.com', false],
    ['https://x.example.com.', false],
    ['https://A.example.com', false],
    ['http://app.localhost', false],
    ['http://localhost:3000/', false],
    ['null', false],
    ['', false],
    ['constructor', false],
    ['toString', false],
  ])('%s: %s', (origin, expected) => {
    expect(allows.allows(origin)).toBe(expected);
  });

  it('checks a long origin in time linear in it', () => {
    const long = `https://${'a.'.repeat(50_000)}example.com`;
    const started = process.hrtime.bigint();
    expect(allows.allows(long)).toBe(true);
    expect(allows.allows(`${long}x`)).toBe(false);
    // Generous: a quadratic walk of 100,000 characters would take seconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });

  it('"*" allows anything, and says so', () => {
    const any = originMatcher(['*']);
    expect(any.any).toBe(true);
    expect(any.allows('null')).toBe(true);
  });
});
