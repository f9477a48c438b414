/**
 * Runs one sample subgraph in this process: `node dist/subgraphs/main.js <name> [port]`.
 * `npm start` starts one such process per subgraph so each is a service of its own.
 */
import { shippingSubgraph } from './extras/shipping';
import { sampleSubgraph, SAMPLE_SUBGRAPHS, startSubgraph, type SubgraphDefinition } from './index';

async function main(): Promise<void> {
  const [name, portArg] = process.argv.slice(2);
  if (!name) {
    console.error(`usage: main.js <${SAMPLE_SUBGRAPHS.map((s) => s.definition.name).join('|')}|shipping> [port]`);
    process.exit(2);
  }
  // `shipping` is the extra subgraph of the README's registration example (port 4005).
  const def: SubgraphDefinition = name === 'shipping' ? shippingSubgraph('v1') : sampleSubgraph(name);
  const port = portArg ? Number(portArg) : (SAMPLE_SUBGRAPHS.find((s) => s.definition === def)?.port ?? 4005);
  // Loopback unless told otherwise: in a container the subgraph must listen on every interface.
  const running = await startSubgraph(def, { port, host: process.env.SUBGRAPH_HOST || '127.0.0.1' });
  console.log(`subgraph ${name} ready at ${running.url}`);
  const stop = () => void running.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
