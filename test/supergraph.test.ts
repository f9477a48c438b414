/** Acceptance #5: the checked-in supergraph.graphql is what the sample subgraphs compose to today. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSample } from '../scripts/composeSample';

it('supergraph.graphql is fresh (run `npm run compose` if this fails)', () => {
  const outcome = composeSample();
  if (!outcome.ok) throw new Error(`the sample subgraphs do not compose: ${JSON.stringify(outcome.errors, null, 2)}`);
  const onDisk = readFileSync(join(__dirname, '..', 'supergraph.graphql'), 'utf8');
  expect(onDisk.trimEnd()).toBe(outcome.supergraphSdl.trimEnd());
});
