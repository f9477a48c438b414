/** Junction's public API. Every export here is a commitment. */
export { Gateway, createGateway, type GatewayOptions, type GatewayResponse } from './gateway';
export { startGateway, type StartGatewayOptions, type StartedGateway } from './server/startGateway';
export { createServer, type ServerOptions } from './server/createServer';
export { ConfigError, loadConfigFile, resolveConfig, type GatewayConfig, type GatewayConfigInput } from './config';
export { formatCompositionErrors } from './composition/formatCompositionErrors';
export { composeSupergraph, type CompositionErrorInfo, type CompositionOutcome, type SubgraphSource } from './composition/composeSupergraph';
export { GatewayErrorCode, gatewayError } from './errors/gatewayError';
export type { Clock, Fetch, Logger, HttpRequest, HttpResponse } from './deps';
export type * from './plugins/types';
