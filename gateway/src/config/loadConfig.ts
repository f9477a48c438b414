import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './configError';
import { resolveConfig, type GatewayConfig } from './gatewayConfig';
import { tracingFromOtelEnv } from './otelEnv';

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the supergraph file, when the config names one. */
  supergraphPath?: string;
  /** Absolute path of the file registry store. */
  registryPath: string;
  /** Absolute path of `authorization.policyModule`, when set. */
  policyModulePath?: string;
  /** Absolute paths of `listen.tls`, when set. */
  tlsPaths?: { cert: string; key: string };
  /** Absolute paths of `trustedDocuments.manifests`, in their order. */
  manifestPaths: string[];
}

/**
 * Reads a YAML or JSON config file, applies env overrides and validates it. This module and
 * `envOverrides` are the only code that reads `process.env`.
 */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError('', `${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = resolveConfig(applyEnvOverrides(raw, env));
  const base = dirname(resolve(file));
  return {
    config,
    supergraphPath: config.supergraph === undefined ? undefined : resolvePath(base, config.supergraph),
    registryPath: resolvePath(base, config.registry.file),
    policyModulePath: config.authorization.policyModule === undefined ? undefined : resolvePath(base, config.authorization.policyModule),
    manifestPaths: config.trustedDocuments.manifests.map((m) => resolvePath(base, m.file)),
    tlsPaths: config.listen.tls ? { cert: resolvePath(base, config.listen.tls.cert), key: resolvePath(base, config.listen.tls.key) } : undefined,
  };
}

/**
 * Env overrides: `JUNCTION_PORT` (or the platform's `PORT`) replaces `listen.port`,
 * `JUNCTION_ADMIN_TOKEN` sets `admin.token`, `JUNCTION_OPERATIONS_TOKEN` sets `operations.token`, `JUNCTION_REDIS_URL` sets `registry.redisUrl`,
 * `budgets.redisUrl` and `apq.redisUrl`; the standard `OTEL_*` vars set `tracing` (see otelEnv).
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  let obj: Record<string, unknown> = raw && typeof raw === 'object' ? { ...(raw as Record<string, unknown>) } : {};
  const section = (key: string): Record<string, unknown> => {
    const v = obj[key];
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  };
  const portText = env.JUNCTION_PORT || env.PORT;
  if (portText) {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError('listen.port', `env ${env.JUNCTION_PORT ? 'JUNCTION_PORT' : 'PORT'}="${portText}" is not a port number`);
    }
    obj = { ...obj, listen: { ...section('listen'), port } };
  }
  // Validated with the rest: a value other than auto, apollo or hive is refused naming `planner`.
  if (env.JUNCTION_PLANNER) obj = { ...obj, planner: env.JUNCTION_PLANNER };
  if (env.JUNCTION_ADMIN_TOKEN) obj = { ...obj, admin: { ...section('admin'), token: env.JUNCTION_ADMIN_TOKEN } };
  if (env.JUNCTION_OPERATIONS_TOKEN) obj = { ...obj, operations: { ...section('operations'), token: env.JUNCTION_OPERATIONS_TOKEN } };
  if (env.JUNCTION_REDIS_URL) {
    const redisUrl = env.JUNCTION_REDIS_URL;
    obj = { ...obj, registry: { ...section('registry'), redisUrl }, budgets: { ...section('budgets'), redisUrl }, apq: { ...section('apq'), redisUrl } };
  }
  const tracing = tracingFromOtelEnv(env);
  if (Object.keys(tracing).length > 0) {
    const current = section('tracing');
    const merged: Record<string, unknown> = { ...current, ...tracing };
    // Maps merge key by key: env adds to what the file sets.
    for (const key of ['headers', 'resourceAttributes', 'batch']) {
      if (tracing[key]) merged[key] = { ...(current[key] as object | undefined), ...(tracing[key] as object) };
    }
    obj = { ...obj, tracing: merged };
  }
  return obj;
}

function resolvePath(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}
