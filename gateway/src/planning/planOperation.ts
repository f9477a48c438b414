import { operationFromDocument } from '@apollo/federation-internals';
import type { QueryPlan } from '@apollo/query-planner';
import type { DocumentNode } from 'graphql';
import type { LoadedSupergraph } from './loadSupergraph';

/**
 * Plans one operation of an already validated document with @apollo/query-planner. Pure, and the
 * expensive step of a cold request: callers cache the result.
 */
export function planOperation(loaded: LoadedSupergraph, document: DocumentNode, operationName: string | undefined): QueryPlan {
  const operation = operationFromDocument(loaded.apiSchema, document, { operationName, validate: false });
  return loaded.planner.buildQueryPlan(operation);
}
