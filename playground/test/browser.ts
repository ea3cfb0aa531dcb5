/**
 * Chromium for the playground's tests: Debian's /usr/bin/chromium (or NN_CHROMIUM) driven by
 * playwright-core, as packages/autograd/test/inspect.browser.test.ts does. Temporary: the
 * shared harness of issue 17 (one Chromium launch for every browser test, on the `browser`
 * branch) replaces this file; the tests only use `chromiumMissing`, `launch` and `newPage`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.NN_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here, or '' when they can. */
export const chromiumMissing = existsSync(CHROMIUM)
  ? ''
  : `${CHROMIUM} not found; install it (apt-get install -y chromium)`;

export interface Browser {
  /** A new page at `width`×`height`; its uncaught errors are pushed to `errors`. */
  newPage(viewport: { width: number; height: number }, errors: string[]): Promise<Page>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'nn-playground-'));
  const { chromium } = await import('playwright-core');
  const context: BrowserContext = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    async newPage(viewport, errors) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.on('pageerror', (error) => void errors.push(error.message));
      return page;
    },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
