/** `npm start`'s ports (env JUNCTION_SAMPLE_PORT, JUNCTION_SAMPLE_OPERATIONS_PORT). */
import { samplePorts } from '../scripts/samplePorts';

describe('samplePorts', () => {
  it.each([
    [{}, 4000, [4001, 4002, 4003, 4004], undefined],
    [{ JUNCTION_SAMPLE_PORT: '5000' }, 5000, [5001, 5002, 5003, 5004], undefined],
    [{ JUNCTION_SAMPLE_PORT: '', JUNCTION_SAMPLE_OPERATIONS_PORT: '0' }, 4000, [4001, 4002, 4003, 4004], 0],
    [{ JUNCTION_SAMPLE_PORT: '65531', JUNCTION_SAMPLE_OPERATIONS_PORT: '9465' }, 65531, [65532, 65533, 65534, 65535], 9465],
  ])('%j: gateway %d, subgraphs %j, operations %s', (env, gateway, subgraphs, operations) => {
    const ports = samplePorts(env);
    expect(ports).toEqual({ gateway, operations, subgraphs: expect.any(Array) });
    expect(ports.subgraphs.map((s) => `${s.name}:${s.port}`)).toEqual(['accounts', 'inventory', 'products', 'reviews'].map((n, i) => `${n}:${subgraphs[i]}`));
  });

  it.each([
    ['JUNCTION_SAMPLE_PORT', '0'],
    ['JUNCTION_SAMPLE_PORT', '65532'],
    ['JUNCTION_SAMPLE_PORT', '-1'],
    ['JUNCTION_SAMPLE_PORT', '4000.5'],
    ['JUNCTION_SAMPLE_PORT', '1e3'],
    ['JUNCTION_SAMPLE_PORT', ' 4000'],
    ['JUNCTION_SAMPLE_OPERATIONS_PORT', '65536'],
    ['JUNCTION_SAMPLE_OPERATIONS_PORT', 'constructor'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(() => samplePorts({ [name]: value })).toThrow(`env ${name}="${value}"`);
  });
});
