/** `npm run compose`: rewrites supergraph.graphql from the sample subgraphs' SDL. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCompositionErrors } from '../gateway/src/composition/formatCompositionErrors';
import { composeSample } from './composeSample';

const outcome = composeSample();
if (!outcome.ok) {
  process.stderr.write(`Composition failed with ${outcome.errors.length} error(s):\n${formatCompositionErrors(outcome.errors)}\n`);
  process.exit(1);
}
const file = join(__dirname, '..', '..', 'supergraph.graphql');
writeFileSync(file, outcome.supergraphSdl.endsWith('\n') ? outcome.supergraphSdl : outcome.supergraphSdl + '\n');
process.stdout.write(`wrote ${file}\n`);
