/**
 * Acceptance 1 of issue 12, in a real browser: headless Chromium (Debian's, driven by
 * playwright-core) on two pages of other origins than Junction's, A (allowed by `cors`) and B (not).
 * From A, a JSON POST with an Authorization header succeeds and the page reads its RateLimit, and a
 * 429 is readable too; from B the browser blocks the same request, and the requests a page on B can
 * make a browser send without asking (a text/plain form POST, a no-cors fetch, a GET) are refused
 * with CSRF_PREVENTED and run nothing: the sample subgraphs receive no request from them.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfigFile } from '../gateway/src/config';
import type { GatewayPlugin } from '../gateway/src/plugins/types';
import type { StartedGateway } from '../gateway/src/server/startGateway';
import { signSampleToken } from '../scripts/token';
import { chromiumPath, launchChromium } from './helpers/chromium';
import { startJunction, startSampleSubgraphs, type SampleSubgraphs } from './helpers/sampleEnvironment';

const executablePath = chromiumPath();
const describeInBrowser = executablePath ? describe : describe.skip;

const CHEAP = '{ topProducts(first: 1) { name } }';
const EXPENSIVE = '{ topProducts(first: 100) { name reviews { body author { name } } } }';

/** A page server on a free loopback port: its own origin. `/` is `html`. */
async function servePage(html: (origin: string) => string): Promise<{ origin: string; close(): Promise<void> }> {
  let origin = '';
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(origin)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface PageFetch {
  status: number;
  body: { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  rateLimit: string | null;
  rateLimitPolicy: string | null;
  retryAfter: string | null;
}

/** `fetch` in the page, as an app would: a JSON POST with a bearer token. Rejects as the page's fetch does. */
function fetchFromPage(page: Page, url: string, query: string, token: string): Promise<PageFetch> {
  return page.evaluate(
    async ({ url, query, token }) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
      return {
        status: res.status,
        body: (await res.json()) as PageFetch['body'],
        rateLimit: res.headers.get('RateLimit'),
        rateLimitPolicy: res.headers.get('RateLimit-Policy'),
        retryAfter: res.headers.get('Retry-After'),
      };
    },
    { url, query, token },
  );
}

describeInBrowser('a browser app on another origin', () => {
  let subgraphs: SampleSubgraphs;
  let junction: StartedGateway;
  let browser: Browser;
  let pageA: { origin: string; close(): Promise<void> };
  let pageB: { origin: string; close(): Promise<void> };
  let token: string;
  /** What Junction answered, per request (a plugin sees every one end). */
  const answered: Array<{ status: number; code: unknown }> = [];
  const recorder: GatewayPlugin = { name: 'recorder', onResult: ({ status, result }) => void answered.push({ status, code: result.errors?.[0]?.extensions?.code }) };

  beforeAll(async () => {
    pageA = await servePage(() => '<!doctype html><title>app</title><p>the app</p>');
    // B's page: a form that posts JSON disguised as text/plain, the classic cross-site request forgery.
    pageB = await servePage(
      () => `<!doctype html><title>elsewhere</title>
<form id="csrf" method="POST" enctype="text/plain" action="${junction.url}">
<input name='{"query":"${CHEAP}","extensions":{"x":"' value='"}}'>
<button id="send">send</button>
</form>`,
    );
    subgraphs = await startSampleSubgraphs();
    const sample = loadConfigFile(join(__dirname, '..', 'gateway', 'junction.sample.yaml'), {});
    junction = await startJunction(subgraphs.supergraphSdl, {
      config: {
        auth: sample.config.auth,
        cors: { origins: [pageA.origin] },
        cost: { mode: 'measure' },
        budgets: { enabled: true, tiers: { default: { capacity: 100, refillPerSecond: 1 } } },
      },
      policyModulePath: sample.policyModulePath,
      plugins: [recorder],
    });
    token = await signSampleToken(join(__dirname, '..'), { sub: '1', scope: 'read:email', expires: '1h' });
    browser = await launchChromium(executablePath!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await junction?.stop();
    await subgraphs?.stop();
    await pageA?.close();
    await pageB?.close();
  });

  const open = async (origin: string) => {
    const page = await browser.newPage();
    await page.goto(origin);
    return page;
  };

  it('from the allowed origin: a JSON POST with Authorization succeeds, and the page reads RateLimit; a 429 is readable too', async () => {
    const page = await open(pageA.origin);
    const ok = await fetchFromPage(page, junction.url, CHEAP, token);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ topProducts: [{ name: 'Table 1' }] });
    expect(ok.rateLimit).toMatch(/^"default";r=\d+;t=\d+$/);
    expect(ok.rateLimitPolicy).toBe('"default";q=100;w=100');

    const refused = await fetchFromPage(page, junction.url, EXPENSIVE, token);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0].extensions?.code).toBe('BUDGET_EXHAUSTED');
    expect(refused.rateLimit).toMatch(/^"default";r=\d+;t=\d+$/);
    await page.close();
  });

  it('from another origin: the browser blocks the same request, which never runs', async () => {
    const page = await open(pageB.origin);
    subgraphs.requests.length = 0;
    answered.length = 0;
    const outcome = await fetchFromPage(page, junction.url, CHEAP, token).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/Failed to fetch/);
    // Its preflight was refused: the request itself was never sent.
    expect(answered).toEqual([]);
    expect(subgraphs.requests).toEqual([]);
    await page.close();
  });

  it('from another origin: a text/plain form POST is refused with CSRF_PREVENTED and runs nothing', async () => {
    const page = await open(pageB.origin);
    subgraphs.requests.length = 0;
    answered.length = 0;
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#send')]);
    expect(response!.url()).toBe(junction.url);
    expect(response!.request().headers()['content-type']).toBe('text/plain');
    expect(response!.status()).toBe(400);
    expect(JSON.parse(await response!.text()).errors[0].extensions.code).toBe('CSRF_PREVENTED');
    // Once on Junction's answer, the browser also asks that origin for /favicon.ico (a 404).
    expect(answered.filter((a) => a.status !== 404)).toEqual([{ status: 400, code: 'CSRF_PREVENTED' }]);
    expect(subgraphs.requests).toEqual([]);
    await page.close();
  });

  it('from another origin: what a page can send without a preflight (no-cors POST, no-cors GET, an image) runs nothing', async () => {
    const page = await open(pageB.origin);
    subgraphs.requests.length = 0;
    answered.length = 0;
    // The browser settles each request (answered, or its answer blocked from the page: ORB blocks
    // an image that is JSON) once Junction's answer arrived.
    const settled: string[] = [];
    const settle = (req: { url(): string }) => void (req.url().startsWith(junction.url) && settled.push(req.url()));
    page.on('requestfinished', settle);
    page.on('requestfailed', settle);
    await page.evaluate(
      async ({ url, query }) => {
        // Opaque answers: the page cannot read them, but the requests are sent, cookies and all.
        await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query }) });
        await fetch(`${url}?query=${encodeURIComponent(query)}`, { mode: 'no-cors' });
      },
      { url: junction.url, query: CHEAP },
    );
    // An image that asks for a query: a GET with no header of the page's choosing. (A string: the
    // tests' TypeScript has no DOM types.)
    const image = `${junction.url}?query=${encodeURIComponent(CHEAP)}&operationName=`;
    await page.evaluate(`new Promise((resolve) => {
      const img = document.createElement('img');
      img.onerror = img.onload = resolve;
      img.src = ${JSON.stringify(image)};
      document.body.append(img);
    })`);
    for (let waited = 0; settled.length < 3 && waited < 5000; waited += 50) await page.waitForTimeout(50);
    expect(settled).toHaveLength(3);
    expect(answered).toEqual([
      { status: 400, code: 'CSRF_PREVENTED' },
      { status: 400, code: 'CSRF_PREVENTED' },
      { status: 400, code: 'CSRF_PREVENTED' },
    ]);
    expect(subgraphs.requests).toEqual([]);
    await page.close();
  });
});

describeInBrowser('GraphiQL, served by the gateway, under CSRF prevention', () => {
  let subgraphs: SampleSubgraphs;
  let junction: StartedGateway;
  let browser: Browser;

  beforeAll(async () => {
    subgraphs = await startSampleSubgraphs();
    junction = await startJunction(subgraphs.supergraphSdl, { config: { graphiql: true } });
    browser = await launchChromium(executablePath!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await junction?.stop();
    await subgraphs?.stop();
  });

  it('loads its page and runs its default query', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(junction.url);
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.result-window').getByText('Table 1').first().waitFor();
    expect(errors).toEqual([]);
    expect(subgraphs.requests.length).toBeGreaterThan(0);
    await page.close();
  });
});
