/** Issue #6: error masking and TLS on the listener. */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent } from 'undici';
import { resolveConfig } from '../gateway/src/config';
import { startGateway } from '../gateway/src/server/startGateway';
import { tempDir } from './helpers/registryEnvironment';
import { postGraphQL, startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

let subgraphs: SampleSubgraphs;
beforeAll(async () => {
  subgraphs = await startSampleSubgraphs();
});
afterAll(async () => {
  await subgraphs?.stop();
});

it('maskSubgraphErrors: unexpected subgraph errors become INTERNAL_SERVER_ERROR with the request id', async () => {
  const junction = await startJunction(subgraphs.supergraphSdl, { config: { maskSubgraphErrors: true } });
  try {
    const res = await postGraphQL(junction.url, { query: '{ users { id riskScore } }' }, { 'x-request-id': 'mask-1' });
    expect(res.body.errors).toEqual([{ message: 'Unexpected error.', path: ['users', 2, 'riskScore'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'mask-1' } }]);
    expect(JSON.stringify(res.body)).not.toContain('Risk score');
    // Codes the operator lists stay as they are.
    const kept = await startJunction(subgraphs.supergraphSdl, { config: { maskSubgraphErrors: true, unmaskedCodes: ['RISK_SERVICE_DOWN'] } });
    try {
      const again = await postGraphQL(kept.url, { query: '{ users { id riskScore } }' });
      expect(again.body.errors?.[0]).toMatchObject({ message: 'Risk score unavailable', extensions: { code: 'RISK_SERVICE_DOWN' } });
    } finally {
      await kept.stop();
    }
  } finally {
    await junction.stop();
  }
});

it('serves HTTPS when listen.tls names a certificate and key', async () => {
  const dir = tempDir('junction-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', listen: { host: '127.0.0.1', port: 0, tls: { cert, key } } });
  const junction = await startGateway({ config, supergraphSdl: subgraphs.supergraphSdl, tlsPaths: { cert, key } });
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    expect(junction.url).toMatch(/^https:\/\//);
    const res = await agent.request({
      origin: new URL(junction.url).origin,
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ topProducts(first: 1) { upc } }' }),
    });
    expect(await res.body.json()).toEqual({ data: { topProducts: [{ upc: '1' }] } });
  } finally {
    await agent.close();
    await junction.stop();
  }
});

it('over TLS, a handshake never finished is cut at limits.headersTimeoutMs (slowloris before the headers)', async () => {
  const dir = tempDir('junction-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const config = resolveConfig({ supergraph: 'inline', logLevel: 'silent', listen: { host: '127.0.0.1', port: 0, tls: { cert, key } }, limits: { headersTimeoutMs: 300, requestTimeoutMs: 400 } });
  const junction = await startGateway({ config, supergraphSdl: subgraphs.supergraphSdl, tlsPaths: { cert, key } });
  try {
    // Nothing at all, and the first bytes of a ClientHello (record header: handshake, TLS 1.0).
    const outcomes = await Promise.all(
      ['', '\x16\x03\x01'].map((sent) => {
        const socket = connect(junction.port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write(Buffer.from(sent, 'latin1'));
        return new Promise<string>((resolve) => {
          const giveUp = setTimeout(() => resolve('still open after 10 s'), 10_000);
          socket.on('close', () => {
            clearTimeout(giveUp);
            resolve('closed');
          });
        }).finally(() => socket.destroy());
      }),
    );
    expect(outcomes).toEqual(['closed', 'closed']);
  } finally {
    await junction.stop();
  }
});

it('every limit can be turned off: 0 lets a 2 MB body and a 20,000-token document through', async () => {
  const off = { maxBodyBytes: 0, maxTokens: 0, maxDepth: 0, maxAliases: 0, maxRootFields: 0, maxDirectives: 0, maxSelections: 0, maxIntrospectionFields: 0 };
  const query = `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: topProducts(first: 1) { upc }`).join(' ')} }`;
  const body = { query, variables: { padding: 'x'.repeat(2 * 1024 * 1024) } };
  const limited = await startJunction(subgraphs.supergraphSdl);
  const unlimited = await startJunction(subgraphs.supergraphSdl, { config: { limits: off } });
  try {
    expect((await postGraphQL(limited.url, body)).status).toBe(413);
    expect((await postGraphQL(limited.url, { query })).body.errors?.[0].extensions?.code).toBe('TOKEN_LIMIT_EXCEEDED');
    const res = await postGraphQL(unlimited.url, body);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(Object.keys(res.body.data ?? {})).toHaveLength(2000);
  } finally {
    await Promise.all([limited.stop(), unlimited.stop()]);
  }
});
