import type { GatewayConfig } from '../config';
import type { Logger } from '../deps';
import type { DocumentStore } from './documentStore';
import { FileDocumentStore } from './fileDocumentStore';
import { RedisDocumentStore } from './redisDocumentStore';

/**
 * The document store of the registry's kind (`registry.store`): with Redis, the same Redis and
 * prefix as the subgraph records; with the file store, a file beside the registry's
 * (`registry.json` -> `registry.documents.json`), so that the registry's file keeps its format.
 */
export function openDocumentStore(config: GatewayConfig['registry'], registryFilePath: string, logger: Logger): Promise<DocumentStore> {
  if (config.store === 'redis') return RedisDocumentStore.open(config.redisUrl!, config.redisPrefix, logger);
  return FileDocumentStore.open(documentsFilePath(registryFilePath));
}

/** The file store's path for a registry file's. */
export function documentsFilePath(registryFilePath: string): string {
  return registryFilePath.replace(/(\.json)?$/, '.documents.json');
}
