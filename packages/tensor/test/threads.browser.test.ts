/**
 * The wasm backend in a real browser: Debian's Chromium (driven by playwright-core) loads the
 * built ESM bundle (dist/index.js) from a local server that sends the COOP/COEP headers threaded
 * WebAssembly needs, starts the worker pool as Web Workers, and computes a matrix product, a
 * convolution and elementwise ops on two threads; each result is compared with the same
 * computation on the page's plain-JavaScript backend. Skipped, with a message, where Chromium or
 * the bundle (`pnpm build`) is missing; NN_CHROMIUM points at another Chromium binary.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.NN_CHROMIUM || '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BUNDLE = join(DIST, 'index.js');
const missing = !existsSync(CHROMIUM)
  ? `${CHROMIUM} not found; install it (apt-get install -y chromium)`
  : !existsSync(BUNDLE)
    ? `${BUNDLE} not found; run pnpm build`
    : '';
if (missing) console.warn(`[threads.browser.test] SKIPPED: ${missing}`);
const suite = missing ? describe.skip : describe;

const PAGE = `<!doctype html><meta charset="utf-8"><title>@nn threads</title>
<script type="module">
  import * as nn from '/tensor.js';
  window.nn = nn;
  window.loaded = true;
</script>`;

/** Serves the page and the bundle, cross-origin isolated (SharedArrayBuffer needs it). */
function serve(): Promise<Server> {
  const server = createServer((request, response) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    // The entry and the chunks it shares with @nn/tensor/internal (tsup splitting), by name.
    const file = /^\/(tensor|chunk-[\w-]+)\.js$/.exec(request.url ?? '');
    if (file) {
      response.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      response.end(readFileSync(file[1] === 'tensor' ? BUNDLE : join(DIST, `${file[1]}.js`)));
    } else if (request.url === '/') {
      response.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      response.end(PAGE);
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

suite(`the wasm backend's worker pool as Web Workers in Chromium${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let dir = '';
  let server: Server | null = null;
  let context: BrowserContext | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nn-threads-'));
    server = await serve();
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
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
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts Web Workers and computes matmul, conv2d and relu on two threads, as the JavaScript backend does', async () => {
    const page = await context!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => void errors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { loaded?: boolean }).loaded === true);
    const result = await page.evaluate(async () => {
      type Nn = typeof import('../src/index.js');
      const nn = (globalThis as unknown as { nn: Nn }).nn;
      const g = new nn.Generator(1);
      const a = nn.randn([256, 256], { generator: g });
      const b = nn.randn([256, 256], { generator: g });
      const x = nn.randn([8, 16, 14, 14], { generator: g });
      const W = nn.randn([32, 16, 3, 3], { generator: g });
      const compute = () => [a.matmul(b), nn.conv2d(x, W, undefined, { pad: 1 }), a.sub(b).relu()];
      nn.setBackend('wasm');
      nn.setThreads(2);
      compute(); // starts the pool; its workers start once this task yields to the event loop
      for (let turn = 0; turn < 200 && nn.threadPoolStatus().ready < 1; turn++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      const status = nn.threadPoolStatus();
      const threaded = compute();
      nn.setBackend('js');
      const reference = compute();
      nn.setBackend('wasm');
      return {
        isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
        status,
        close: threaded.map((t, i) => t.allclose(reference[i], { rtol: 1e-4, atol: 1e-4 })),
        shapes: threaded.map((t) => t.shape),
      };
    });
    expect(errors).toEqual([]);
    expect(result.isolated).toBe(true);
    expect(result.status).toEqual({ threads: 2, workers: 1, ready: 1 });
    expect(result.shapes).toEqual([
      [256, 256],
      [8, 32, 14, 14],
      [256, 256],
    ]);
    expect(result.close).toEqual([true, true, true]);
  }, 60_000);
});
