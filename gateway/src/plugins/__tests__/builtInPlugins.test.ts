/**
 * The built-in plugins and their order, which is part of their behaviour: tracing first (its spans
 * cover the others' work), metrics early (its timings wrap the others as little as possible), the
 * request log last (it sees what every other plugin decided), the subscription limit before cost and
 * budgets (a subscription over it costs nothing), trusted documents after
 * authentication (exemptions are by the authenticated caller) and before automatic persisted
 * queries (a hash may name a trusted document), automatic persisted queries after authentication,
 * cost and budgets (a refused caller learns nothing of the store, a query is stored only once they
 * let it run). Budgets, tracing and the persisted query store, and what they hold,
 * exist only when the config turns them on.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { FakeClock } from '../../../../test/helpers/fakeClock';
import { resolveConfig, type GatewayConfigInput } from '../../config';
import { silentLogger, type Fetch } from '../../deps';
import { createGateway } from '../../gateway';
import { builtInPlugins } from '../builtInPlugins';
import { GatewayMetrics } from '../metrics/useMetrics';

const refused: Fetch = async () => {
  throw new Error('no subgraph here');
};
const make = (input: Omit<GatewayConfigInput, 'supergraph'>, policyModulePath?: string) =>
  builtInPlugins(resolveConfig({ supergraph: 'inline', ...input }), { fetch: refused, clock: new FakeClock(), logger: silentLogger, metrics: new GatewayMetrics(), policyModulePath });

const APQ = 'automatic-persisted-queries';
const TD = 'trusted-documents';
const SL = 'subscription-limit';
type Holds = { budgetStore: boolean; tracing: boolean; persistedQueryStore: boolean };
it.each<[string, Omit<GatewayConfigInput, 'supergraph'>, string[], Holds]>([
  ['the defaults', {}, ['metrics', 'authentication', 'authorization', SL, 'cost', TD, APQ, 'request-log'], { budgetStore: false, tracing: false, persistedQueryStore: true }],
  ['budgets on', { cost: { mode: 'measure' }, budgets: { enabled: true } }, ['metrics', 'authentication', 'authorization', SL, 'cost', 'budgets', TD, APQ, 'request-log'], { budgetStore: true, tracing: false, persistedQueryStore: true }],
  ['tracing on', { tracing: { enabled: true, exporter: 'console' } }, ['tracing', 'metrics', 'authentication', 'authorization', SL, 'cost', TD, APQ, 'request-log'], { budgetStore: false, tracing: true, persistedQueryStore: true }],
  // Still there, to tell clients PERSISTED_QUERY_NOT_SUPPORTED; with no store.
  ['subscriptions off', { subscriptions: { enabled: false } }, ['metrics', 'authentication', 'authorization', 'cost', TD, APQ, 'request-log'], { budgetStore: false, tracing: false, persistedQueryStore: true }],
  ['no limit of subscriptions per client', { subscriptions: { maxPerClient: 0 } }, ['metrics', 'authentication', 'authorization', 'cost', TD, APQ, 'request-log'], { budgetStore: false, tracing: false, persistedQueryStore: true }],
  ['apq off', { apq: { enabled: false } }, ['metrics', 'authentication', 'authorization', SL, 'cost', TD, APQ, 'request-log'], { budgetStore: false, tracing: false, persistedQueryStore: false }],
])('%s: %j', async (_name, config, names, holds) => {
  const builtIns = make(config);
  try {
    expect(builtIns.plugins.map((p) => p.name)).toEqual(names);
    expect({ budgetStore: builtIns.budgetStore !== undefined, tracing: builtIns.tracing !== undefined, persistedQueryStore: builtIns.persistedQueryStore !== undefined }).toEqual(holds);
  } finally {
    await builtIns.close();
  }
});

it('throws when the policy module does not load', () => {
  expect(() => make({ tracing: { enabled: true, exporter: 'console' } }, '/nonexistent/policy.js')).toThrow(/Cannot find module/);
});

it("a tracer of the embedder's own gets the spans, and no exporter is started from the config", async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const config = resolveConfig({ supergraph: 'inline', tracing: { enabled: true, exporter: 'console' } });
  const deps = { fetch: refused, clock: new FakeClock(), logger: silentLogger, metrics: new GatewayMetrics() };
  const builtIns = builtInPlugins(config, { ...deps, tracer: provider.getTracer('embedder') });
  const gateway = createGateway(config, { ...deps, plugins: builtIns.plugins });
  try {
    expect(builtIns.tracing).toBeUndefined();
    expect(builtIns.plugins[0].name).toBe('tracing');
    // No supergraph: the request is answered at once, and still traced.
    await gateway.handle({ method: 'POST', headers: {}, query: '{ __typename }', operationName: undefined, variables: undefined, extensions: undefined });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('graphql.request');
  } finally {
    await gateway.close();
    await builtIns.close();
    await provider.shutdown();
  }
});
