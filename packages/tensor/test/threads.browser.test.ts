/**
 * The wasm backend in a real browser: Debian's Chromium (driven by playwright-core) loads the
 * built ESM bundle (dist/index.js) from a local server that sends the COOP/COEP headers threaded
 * WebAssembly needs, starts the worker pool as Web Workers, and computes a matrix product, a
 * convolution and elementwise ops on two threads; each result is compared with the same
 * computation on the page's plain-JavaScript backend. Skipped, with a message, where Chromium or
 * the bundle (`pnpm build`) is missing; NN_CHROMIUM points at another Chromium binary.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { browserSuite, folderRoute, openPage, useSite } from '../../../test/browser/harness.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${DIST}index.js`);
if (!built) console.warn(`[threads.browser.test] SKIPPED: ${DIST}index.js not found; run pnpm build`);

// The page imports the built entry (and the chunks it shares with @nn/tensor/internal) and
// exposes it as window.nn.
const PAGE = `<!doctype html><meta charset="utf-8"><title>@nn threads</title>
<script type="module">
  import * as nn from '/dist/index.js';
  window.nn = nn;
  window.loaded = true;
</script>`;

(built ? browserSuite : () => undefined)(`the wasm backend's worker pool as Web Workers in Chromium`, () => {
  const origin = useSite([
    (path) => (path === '/' ? { body: PAGE, type: 'text/html' } : null),
    (path) => (path.startsWith('/dist/') ? folderRoute(DIST)(path.slice('/dist'.length)) : null),
  ]);

  it('starts Web Workers and computes matmul, conv2d and relu on two threads, as the JavaScript backend does', async () => {
    const { page, errors, close: closePage } = await openPage(`${origin()}/`);
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
    await closePage();
  }, 60_000);
});
