import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's chromium (`apt-get install chromium`, as .ci/run does), driven by playwright-core: no
 * browser is downloaded (none could be, here). Without it the browser tests skip loudly, except under
 * CI=true where they fail, as the Redis tests do.
 */
export function chromiumPath(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  if (process.env.CI === 'true') throw new Error('chromium is not installed, and CI=true requires the browser tests to run');
  console.warn('\n*** chromium is not installed: SKIPPING the browser tests (apt-get install chromium) ***\n');
  return undefined;
}

/** Headless Chromium at `executablePath`, in a fresh profile, quiet on a machine with no network but loopback. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // A container has no user namespaces for Chromium's sandbox; the background services would
    // try to reach Google at every start, which this machine's closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
