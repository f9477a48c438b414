import { clientInfoFrom } from '../../../pipeline/clientInfo';
import { GatewayMetrics } from '../useMetrics';

describe('clientInfoFrom: the client application a request names', () => {
  it.each<[string, Record<string, string>, { name?: string; version?: string }]>([
    ['Apollo\'s headers', { 'apollographql-client-name': 'web', 'apollographql-client-version': '1.2.3' }, { name: 'web', version: '1.2.3' }],
    ['the vendor-neutral ones', { 'graphql-client-name': 'ios', 'graphql-client-version': '17.0' }, { name: 'ios', version: '17.0' }],
    ['Apollo\'s first, when both are sent', { 'apollographql-client-name': 'a', 'graphql-client-name': 'b' }, { name: 'a' }],
    ['the other when Apollo\'s is not valid', { 'apollographql-client-name': 'x\u0001', 'graphql-client-name': 'b' }, { name: 'b' }],
    ['nothing', {}, {}],
    ['empty', { 'apollographql-client-name': '' }, {}],
    ['Latin-1 bytes', { 'apollographql-client-name': 'caf\u00e9' }, {}],
    ['over 128 characters', { 'apollographql-client-name': 'x'.repeat(129) }, {}],
    ['128 characters', { 'apollographql-client-name': 'x'.repeat(128) }, { name: 'x'.repeat(128) }],
  ])('%s', (_name, headers, expected) => {
    expect(clientInfoFrom(headers)).toEqual({ name: expected.name, version: expected.version });
  });

  it('reads only the request\'s own headers, never a prototype\'s', () => {
    const headers = Object.create({ 'apollographql-client-name': 'inherited' }) as Record<string, string>;
    expect(clientInfoFrom(headers)).toEqual({ name: undefined, version: undefined });
  });
});

describe('GatewayMetrics.clientLabels: bounded cardinality', () => {
  it.each<[string, { name?: string; version?: string }, { client_name: string; client_version: string }]>([
    ['a name and version', { name: 'web-shop', version: '3.1.0-beta+7' }, { client_name: 'web-shop', client_version: '3.1.0-beta+7' }],
    ['no name', { version: '1' }, { client_name: '(none)', client_version: '(none)' }],
    ['no version', { name: 'web' }, { client_name: 'web', client_version: '(none)' }],
    ['a name with quotes', { name: 'say "hi"' }, { client_name: '(other)', client_version: '(other)' }],
    ['a name that poses as a placeholder', { name: '(none)' }, { client_name: '(other)', client_version: '(other)' }],
    ['a name over 64 characters', { name: 'x'.repeat(65) }, { client_name: '(other)', client_version: '(other)' }],
    ['a version with spaces', { name: 'web', version: '1 (build 7)' }, { client_name: 'web', client_version: '(other)' }],
    ['constructor', { name: 'constructor', version: 'toString' }, { client_name: 'constructor', client_version: 'toString' }],
    ['__proto__ (not a name: it starts with _)', { name: '__proto__' }, { client_name: '(other)', client_version: '(other)' }],
  ])('%s', (_name, client, expected) => {
    expect(new GatewayMetrics().clientLabels({ name: client.name, version: client.version })).toEqual(expected);
  });

  it('keeps the first names and versions seen; later ones are (other), and the first stay themselves', () => {
    const metrics = new GatewayMetrics(500, { names: 3, versions: 4 });
    for (const name of ['a', 'b', 'c']) expect(metrics.clientLabels({ name, version: '1' })).toEqual({ client_name: name, client_version: '1' });
    expect(metrics.clientLabels({ name: 'd', version: '1' })).toEqual({ client_name: '(other)', client_version: '(other)' });
    expect(metrics.clientLabels({ name: 'a', version: '2' })).toEqual({ client_name: 'a', client_version: '2' });
    expect(metrics.clientLabels({ name: 'b', version: '2' })).toEqual({ client_name: 'b', client_version: '(other)' });
    for (let i = 0; i < 10_000; i++) metrics.clientLabels({ name: `flood${i}`, version: String(i) });
    expect(metrics.clientLabels({ name: 'a', version: '1' })).toEqual({ client_name: 'a', client_version: '1' });
  });
});
