/** The gateway half of `npm start`: the CLI with the sample config, announcing readiness on stdout. */
import { join } from 'node:path';
import { loadConfigFile } from '../gateway/src/config';
import { createLogger } from '../gateway/src/deps';
import { startGateway } from '../gateway/src/server/startGateway';

async function main(): Promise<void> {
  const { config, supergraphPath, registryPath, policyModulePath } = loadConfigFile(join(__dirname, '..', '..', 'gateway', 'junction.sample.yaml'));
  const started = await startGateway({ config, supergraphPath, registryPath, policyModulePath, logger: createLogger(config.logLevel) });
  process.stdout.write(`gateway listening at ${started.url}\n`);
  const stop = () => void started.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`gateway could not start: ${err.message}\n`);
  process.exit(1);
});
