/**
 * Chromium for the playground's tests, on the shared harness (test/browser/harness.ts): the run's
 * one Chromium, a browser context of this file's own, and pages that collect their errors.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { browserMissing, newContext } from '../../test/browser/harness.js';

/** Why the browser tests cannot run here, or '' when they can. */
export const chromiumMissing = browserMissing();

export interface Browser {
  /** A new page at `width`×`height`; its uncaught errors are pushed to `errors`. */
  newPage(viewport: { width: number; height: number }, errors: string[]): Promise<Page>;
  close(): Promise<void>;
}

/** A context of the shared Chromium, closed with `close()`. */
export async function launch(): Promise<Browser> {
  const context: BrowserContext = await newContext();
  return {
    async newPage(viewport, errors) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.on('pageerror', (error) => void errors.push(error.message));
      return page;
    },
    close: () => context.close(),
  };
}
