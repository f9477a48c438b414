import type { GatewayConfig } from '../config';
import type { Logger } from '../deps';
import { FileRegistryStore } from './fileRegistryStore';
import { RedisRegistryStore } from './redisRegistryStore';
import type { RegistryStore } from './types';

/** The store the config asks for. `filePath` is the file store's absolute path. */
export function openRegistryStore(config: GatewayConfig['registry'], filePath: string, logger: Logger): Promise<RegistryStore> {
  if (config.store === 'redis') return RedisRegistryStore.open(config.redisUrl!, config.redisPrefix, logger);
  return FileRegistryStore.open(filePath, logger);
}
