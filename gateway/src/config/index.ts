export { ConfigError } from './configError';
export { CLIENT_NAME, DEFAULT_CSRF_PREVENTION_HEADERS, GatewayConfigSchema, resolveConfig, SUBGRAPH_NAME, type GatewayConfig, type GatewayConfigInput } from './gatewayConfig';
export { applyEnvOverrides, loadConfigFile, type LoadedConfig } from './loadConfig';
