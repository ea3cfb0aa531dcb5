/**
 * The MLP training step (784-50-10, batch 100, SGD) in headless Chromium and in Node, in one run:
 * @nn's wasm backend on 1 and 2 threads in both, TensorFlow.js's cpu backend in the page as the
 * peer. The page is a cross-origin-isolated one (COOP/COEP), so its threads are Web Workers, and
 * loads @nn as a user's app would: the built packages bundled by esbuild for the browser.
 * Needs `pnpm build` and Chromium (NN_CHROMIUM, default /usr/bin/chromium).
 * Run: node --import tsx bench/run.ts browser (or this file directly).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { getBackend, wasmFeatures } from '@nn/tensor';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/browser/chromium.js';
import { machineInfo } from './harness.js';
import { mlpStepTimes } from './browser/mlp-step.js';

const root = fileURLToPath(new URL('../', import.meta.url));

interface PageResults {
  nn: Record<string, number>;
  tfjsCpu: number;
  backend: string;
  build: string;
  status: { threads: number; workers: number; ready: number };
  isolated: boolean;
}

async function inChromium(): Promise<PageResults> {
  const bundle = await build({
    entryPoints: [join(root, 'bench/browser/page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'error',
    nodePaths: [join(root, 'examples/node_modules'), join(root, 'node_modules')],
    tsconfigRaw: {}, // the built packages, not the sources the repository's tsconfig maps @nn/* to
  });
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const server = createServer((request, response) => {
    if (request.url === '/page.js')
      response.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(bundle.outputFiles[0].text);
    else if (request.url === '/')
      response
        .writeHead(200, { ...headers, 'Content-Type': 'text/html' })
        .end('<!doctype html><script type="module" src="/page.js"></script>');
    else response.writeHead(404, headers).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'results' in globalThis || 'failure' in globalThis, undefined, {
      timeout: 180_000,
    });
    const failure = await page.evaluate(() => (globalThis as { failure?: string }).failure);
    if (failure) throw new Error(`the benchmark page failed: ${failure}`);
    return (await page.evaluate(() => (globalThis as { results?: unknown }).results)) as PageResults;
  } finally {
    await browser.close();
    server.close();
  }
}

export async function run(): Promise<{ node: Record<string, number>; chromium: PageResults }> {
  const m = machineInfo();
  console.log(`\n## MLP 784-50-10 SGD step, batch 100: Chromium and Node\n`);
  console.log(`${m.cpu}, ${m.cores} cores, ${m.platform}, load ${m.load}; Node ${m.node}; ${CHROMIUM}\n`);
  const node = await mlpStepTimes();
  const chromium = await inChromium();
  const ms = (v: number) => `${v < 1 ? (v * 1000).toFixed(0) + ' µs' : v.toFixed(2) + ' ms'}`;
  console.log('| where | backend, build | 1 thread | 2 threads | tfjs-cpu | tfjs-cpu / @nn (best) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  const best = Math.min(...Object.values(chromium.nn));
  console.log(
    `| Chromium | ${chromium.backend}, ${chromium.build} | ${ms(chromium.nn['1 thread'])} | ${ms(chromium.nn['2 threads'])} | ${ms(chromium.tfjsCpu)} | ${(chromium.tfjsCpu / best).toFixed(1)}× |`,
  );
  console.log(
    `| Node ${process.version} | ${getBackend()}, ${wasmFeatures()?.build} | ${ms(node['1 thread'])} | ${ms(node['2 threads'])} | — | — |`,
  );
  console.log(
    `\nChromium / Node, 1 thread: ${(chromium.nn['1 thread'] / node['1 thread']).toFixed(2)}×; 2 threads: ${(chromium.nn['2 threads'] / node['2 threads']).toFixed(2)}× (page isolated: ${chromium.isolated}, workers ${chromium.status.workers})`,
  );
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/browser.json'), JSON.stringify({ machine: m, node, chromium }, null, 2));
  return { node, chromium };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
