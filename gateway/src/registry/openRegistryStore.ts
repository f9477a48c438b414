import type { GatewayConfig } from '../config';
import { systemClock, type Clock, type Logger } from '../deps';
import { FileRegistryStore } from './fileRegistryStore';
import { RedisRegistryStore } from './redisRegistryStore';
import type { RegistryStore } from './types';

/** The store the config asks for. `filePath` is the file store's absolute path. */
export function openRegistryStore(config: GatewayConfig['registry'], filePath: string, logger: Logger, clock: Clock = systemClock): Promise<RegistryStore> {
  if (config.store === 'redis') return RedisRegistryStore.open(config.redisUrl!, config.redisPrefix, logger, clock);
  return FileRegistryStore.open(filePath, logger);
}
