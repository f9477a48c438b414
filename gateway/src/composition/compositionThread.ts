/**
 * The entry point of the composition worker thread (see compositionWorker.ts): composes what the
 * gateway's thread sends, one job at a time, and answers with the plain-data outcome.
 */
import { parentPort } from 'node:worker_threads';
import { composeSupergraph, type SubgraphSource } from './composeSupergraph';

export interface CompositionJob {
  id: number;
  subgraphs: Array<SubgraphSource & { sdl: string }>;
}

parentPort?.on('message', (job: CompositionJob) => {
  parentPort!.postMessage({ id: job.id, outcome: composeSupergraph(job.subgraphs) });
});
