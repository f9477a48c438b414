/** Junction's public API. Every export here is a commitment. */
export { Gateway, createGateway, type GatewayDeps, type GatewayResponse, type GatewayResult, type GatewayStream } from './gateway';
export { SubgraphSubscriptions, type SubgraphSubscriptionsOptions } from './execution/subgraphSubscriptions';
export type { Upstream, UpstreamSink } from './pipeline/subscribe';
export { builtInPlugins, type BuiltInPluginDeps, type BuiltInPlugins } from './plugins/builtInPlugins';
export { GatewayMetrics } from './plugins/metrics/useMetrics';
export { defaultSubgraphFetch } from './execution/subgraphHttp';
export { startGateway, type StartGatewayOptions, type StartedGateway } from './server/startGateway';
export { createServer, type ServerOptions } from './server/createServer';
export { ConfigError, loadConfigFile, resolveConfig, type GatewayConfig, type GatewayConfigInput } from './config';
export { formatCompositionErrors } from './composition/formatCompositionErrors';
export { composeSupergraph, type CompositionErrorInfo, type CompositionOutcome, type SubgraphSource } from './composition/composeSupergraph';
export { GatewayErrorCode, gatewayError } from './errors/gatewayError';
export { createLogger, systemClock, type Clock, type Fetch, type Logger, type HttpRequest, type HttpResponse } from './deps';
export type * from './plugins/types';
