/** The gateway half of `npm start`: the CLI with the sample config, announcing readiness on stdout. */
import { dirname, join, resolve } from 'node:path';
import { loadConfigFile, resolveConfig, type LoadedConfig } from '../gateway/src/config';
import { createLogger } from '../gateway/src/deps';
import { startGateway } from '../gateway/src/server/startGateway';
import { DEFAULT_SAMPLE_PORT, samplePorts, type SamplePorts } from './samplePorts';

/** The sample config on the ports startSample gave the subgraphs and the gateway. */
function sampleConfig(file: string, ports: SamplePorts, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const loaded = loadConfigFile(file, env);
  const { config } = loaded;
  const portOf = new Map(ports.subgraphs.map((s) => [s.name, s.port]));
  const subgraphs = config.subgraphs?.map((s) => {
    const url = new URL(s.url);
    url.port = String(portOf.get(s.name) ?? url.port);
    return { ...s, url: url.toString() };
  });
  // The registry is the truth once seeded: a sample on other ports keeps its own, so it does not
  // serve the subgraph URLs of the one on the default ports.
  const registryFile = ports.gateway === DEFAULT_SAMPLE_PORT ? config.registry.file : config.registry.file.replace(/(\.json)?$/, `-${ports.gateway}$1`);
  const operations = ports.operations === undefined ? config.operations : { ...config.operations, listen: { host: '127.0.0.1', ...config.operations.listen, port: ports.operations } };
  return {
    ...loaded,
    // Validated again: the env's ports may clash with each other.
    config: resolveConfig({ ...config, listen: { ...config.listen, port: ports.gateway }, subgraphs, operations, registry: { ...config.registry, file: registryFile } }),
    registryPath: resolve(dirname(file), registryFile),
  };
}

async function main(): Promise<void> {
  const { config, supergraphPath, registryPath, policyModulePath, manifestPaths } = sampleConfig(join(__dirname, '..', '..', 'gateway', 'junction.sample.yaml'), samplePorts());
  const started = await startGateway({ config, supergraphPath, registryPath, policyModulePath, manifestPaths, logger: createLogger(config.logLevel) });
  process.stdout.write(`gateway listening at ${started.url}\n`);
  const stop = () => void started.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`gateway could not start: ${err.message}\n`);
  process.exit(1);
});
