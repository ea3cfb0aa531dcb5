/**
 * One Chromium for the whole test run: launched here as a playwright-core browser server, its
 * WebSocket endpoint handed to every test file (`inject('chromiumEndpoint')`), which connects in
 * milliseconds instead of launching a browser of its own. Where Chromium is missing the endpoint
 * is '' and the browser suites skip with a message (see harness.ts).
 */
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM)) {
    project.provide('chromiumEndpoint', '');
    return async () => {};
  }
  const { chromium } = await import('playwright-core');
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  project.provide('chromiumEndpoint', server.wsEndpoint());
  return () => server.close();
}
