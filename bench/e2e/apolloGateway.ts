/**
 * The baseline: a plain @apollo/gateway in Apollo Server 5, serving the supergraph file given as
 * argv[2] (without its authorization directives) on port argv[3]. Prints "listening <url>" when ready.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { stripSecurityFeatures } from '../../test/helpers/stripSecurityFeatures';

async function main(): Promise<void> {
  const [file, port] = process.argv.slice(2);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const server = new ApolloServer({
    // @apollo/gateway refuses supergraphs linking SECURITY features; the benchmark query uses none.
    gateway: new ApolloGateway({ supergraphSdl: stripSecurityFeatures(readFileSync(file, 'utf8')), logger: quiet }),
    includeStacktraceInErrorResponses: false,
    logger: quiet,
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: Number(port ?? 0) } });
  process.stdout.write(`listening ${url}\n`);
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
