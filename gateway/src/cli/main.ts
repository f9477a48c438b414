import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ConfigError, loadConfigFile, resolveConfig, applyEnvOverrides, type GatewayConfig } from '../config';
import { createLogger } from '../deps';
import { documentsCommand } from './documentsCommand';
import { subgraphCommand } from './subgraphCommand';

const USAGE = `Usage:
  junction --config FILE                 serve with a YAML or JSON config file
  junction --supergraph FILE [--port N]  serve a composed supergraph file, no other setup
  junction subgraph add|list|remove …    manage a running gateway's subgraphs (junction subgraph --help)
  junction documents push|list|remove …  manage a running gateway's trusted documents (junction documents --help)
Options:
  --host HOST      interface to bind (default 0.0.0.0)
  --port N         port (default 4000; env JUNCTION_PORT or PORT also set it)
  --planner NAME   query planner: auto (default), hive or apollo (env JUNCTION_PLANNER also sets it)
  -h, --help       this text`;

/** The `junction` command. Returns when the server is listening; exits the process on fatal errors. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv[0] === 'subgraph' || argv[0] === 'documents') {
    const command = argv[0] === 'subgraph' ? subgraphCommand : documentsCommand;
    const status = await command(argv.slice(1), env, {
      out: (t) => process.stdout.write(t + '\n'),
      err: (t) => process.stderr.write(t + '\n'),
    });
    process.exit(status);
  }
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        supergraph: { type: 'string', short: 's' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        planner: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return fatal(`${(err as Error).message}\n\n${USAGE}`, 2);
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!args.config === !args.supergraph) return fatal(`Give --config FILE or --supergraph FILE.\n\n${USAGE}`, 2);

  let config: GatewayConfig;
  let supergraphPath: string | undefined;
  let registryPath: string | undefined;
  let policyModulePath: string | undefined;
  let tlsPaths: { cert: string; key: string } | undefined;
  let manifestPaths: string[] | undefined;
  try {
    if (args.config) {
      ({ config, supergraphPath, registryPath, policyModulePath, tlsPaths, manifestPaths } = loadConfigFile(args.config, env));
      if (args.port !== undefined || args.host !== undefined || args.planner !== undefined) {
        config = resolveConfig({ ...config, listen: { ...config.listen, ...cliListen(args.port, args.host) }, ...(args.planner !== undefined ? { planner: args.planner } : {}) });
      }
    } else {
      supergraphPath = resolve(args.supergraph!);
      const raw = applyEnvOverrides({ supergraph: supergraphPath }, env) as Record<string, unknown>;
      const listen = { ...(raw.listen as object | undefined), ...cliListen(args.port, args.host) };
      config = resolveConfig({ ...raw, listen, ...(args.planner !== undefined ? { planner: args.planner } : {}) });
    }
  } catch (err) {
    if (err instanceof ConfigError) return fatal(err.message, 2);
    throw err;
  }

  const logger = createLogger(config.logLevel);
  try {
    // Loaded here, not at the top: usage errors, `junction subgraph` and `junction documents` answer without loading the
    // gateway (composition and planning libraries take most of a second to load).
    const { startGateway } = await import('../server/startGateway');
    const started = await startGateway({ config, supergraphPath, registryPath, policyModulePath, tlsPaths, manifestPaths, logger });
    logger.info('junction listening', { url: started.url, operations: started.operationsUrl });
    const stop = (signal: string) => {
      logger.info('shutting down', { signal });
      started.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  } catch (err) {
    return fatal(`junction could not start: ${(err as Error).message}`, 1);
  }
}

function cliListen(port: string | undefined, host: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n)) throw new ConfigError('listen.port', `--port "${port}" is not a port number`);
    out.port = n;
  }
  if (host !== undefined) out.host = host;
  return out;
}

function fatal(message: string, code: number): never {
  process.stderr.write(message + '\n');
  process.exit(code);
}
