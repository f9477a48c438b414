export { ConfigError } from './configError';
export { GatewayConfigSchema, resolveConfig, SUBGRAPH_NAME, CLIENT_NAME, type GatewayConfig, type GatewayConfigInput } from './gatewayConfig';
export { applyEnvOverrides, loadConfigFile, type LoadedConfig } from './loadConfig';
