/**
 * What the browser tests share: the one Chromium of the run (global-setup.ts), a small HTTP
 * server with or without the cross-origin-isolation headers that threaded WebAssembly needs, and
 * pages that collect their errors. A suite is skipped, with the reason printed, where Chromium
 * is missing.
 *
 * @example
 * browserSuite('my page', () => { it('loads', async () => { const { page, errors } = await openPage(url); ... }); });
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { CHROMIUM } from './chromium.js';

/** Why browser tests cannot run here, or '' when they can. */
export function browserMissing(): string {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found; install it (apt-get install -y chromium)`;
  if (!inject('chromiumEndpoint')) return 'the browser server did not start (test/browser/global-setup.ts)';
  return '';
}

/** `describe` where Chromium is available, else `describe.skip` with the reason in the title and on stderr. */
export function browserSuite(name: string, body: () => void): void {
  const missing = browserMissing();
  if (missing) console.warn(`[${name}] SKIPPED: ${missing}`);
  (missing ? describe.skip : describe)(missing ? `${name} (SKIPPED: ${missing})` : name, body);
}

let connected: Promise<Browser> | null = null;

/** The run's Chromium, connected once per test file (the connection ends with the file's worker). */
export function sharedBrowser(): Promise<Browser> {
  connected ??= import('playwright-core').then(({ chromium }) => chromium.connect(inject('chromiumEndpoint')));
  return connected;
}

/** A fresh browser context (its own cookies, storage and viewport). */
export async function newContext(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  return (await sharedBrowser()).newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
}

/**
 * A page opened at `url`, and the uncaught errors and console errors it reports. Without a
 * `context` it gets one of its own, closed with the page (`page.close()` or `close()`).
 */
export async function openPage(
  url: string,
  options: { context?: BrowserContext; viewport?: { width: number; height: number } } = {},
): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const own = options.context === undefined;
  const context = options.context ?? (await newContext(options));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => void errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  if (own) page.on('close', () => void context.close());
  await page.goto(url);
  return { page, errors, close: () => page.close() };
}

/** What a route answers: a body and its content type, or null for 404. */
export type Route = (path: string) => { body: string | Uint8Array; type?: string } | null;

export interface Site {
  /** The server's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** A route serving the files below `dir` (no path may leave it). */
export function folderRoute(dir: string): Route {
  return (path) => {
    const file = normalize(join(dir, decodeURIComponent(path.split('?')[0])));
    if (!file.startsWith(normalize(dir)) || !existsSync(file) || file.endsWith('/')) return null;
    try {
      return { body: readFileSync(file), type: TYPES[extname(file)] };
    } catch {
      return null; // a folder
    }
  };
}

/**
 * Serves `routes` for the suite it is called in (started before its tests, closed after them)
 * and returns a function giving the origin once started.
 * @example const origin = useSite([folderRoute(dir)]); it('…', async () => openPage(`${origin()}/index.html`));
 */
export function useSite(routes: Route[], options: { isolated?: boolean } = {}): () => string {
  let site: Site | null = null;
  beforeAll(async () => void (site = await serve(routes, options)));
  afterAll(() => site?.close());
  return () => {
    if (!site) throw new Error('useSite: the site starts in beforeAll; call its origin inside a test');
    return site.url;
  };
}

/**
 * Serves `routes` (tried in order) on 127.0.0.1, with the COOP/COEP headers of a cross-origin
 * isolated page unless `isolated` is false.
 */
export async function serve(routes: Route[], options: { isolated?: boolean } = {}): Promise<Site> {
  const isolation =
    options.isolated === false
      ? {}
      : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    // Chromium asks every origin for an icon; a 404 would show up as a console error.
    if (path === '/favicon.ico') return void response.writeHead(204, isolation).end();
    for (const route of routes) {
      const found = route(path);
      if (found) {
        response.writeHead(200, { ...isolation, 'Content-Type': found.type ?? 'application/octet-stream' });
        response.end(found.body);
        return;
      }
    }
    response.writeHead(404, isolation).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A page that loads one module script, for tests that evaluate code in it. */
export function modulePage(script: string, title = '@nn test page'): string {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="${script}"></script>`;
}
