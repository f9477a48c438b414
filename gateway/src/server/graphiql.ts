import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * GraphiQL, served entirely by the gateway (the machine may be offline): React 18 and GraphiQL 3 UMD
 * bundles from node_modules, and a page that points them at the endpoint.
 */
export const GRAPHIQL_ASSETS: Readonly<Record<string, { module: string; file: string; type: string }>> = {
  'react.js': { module: 'react', file: 'umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { module: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { module: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { module: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
};

export function createGraphiqlAssets(): (name: string) => { body: Buffer; type: string } | undefined {
  const cache = new Map<string, { body: Buffer; type: string }>();
  return (name) => {
    // `name` is from the URL: /graphiql-assets/constructor must be a 404, not Object's constructor.
    const asset = Object.hasOwn(GRAPHIQL_ASSETS, name) ? GRAPHIQL_ASSETS[name] : undefined;
    if (!asset) return undefined;
    let hit = cache.get(name);
    if (!hit) {
      // Resolved from each package's root: React does not export its UMD files as subpaths.
      const root = dirname(require.resolve(`${asset.module}/package.json`));
      hit = { body: readFileSync(join(root, asset.file)), type: asset.type };
      cache.set(name, hit);
    }
    return hit;
  };
}

export function graphiqlPage(endpoint: string, assetBase: string): string {
  const e = JSON.stringify(endpoint);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Junction GraphiQL</title>
<link rel="stylesheet" href="${assetBase}/graphiql.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${assetBase}/react.js"></script>
<script src="${assetBase}/react-dom.js"></script>
<script src="${assetBase}/graphiql.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: new URL(${e}, window.location.href).toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: '{\\n  topProducts(first: 2) {\\n    name\\n    price\\n    inStock\\n    shippingEstimate\\n    reviews {\\n      body\\n      author {\\n        username\\n        name\\n      }\\n    }\\n  }\\n}\\n',
    }),
  );
</script>
</body>
</html>`;
}
