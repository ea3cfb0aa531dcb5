/**
 * `pnpm playground:build`: the playground as a static site in playground/dist/ (or --out <dir>):
 * index.html, style.css, main.js, worker.js (minified), the MNIST subset under mnist/, and a
 * `_headers` file with the COOP/COEP headers in the format Netlify and Cloudflare Pages read.
 * Any static host works; without those headers the page runs on one thread and says so.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import {
  ISOLATION_HEADERS,
  MNIST_SUBSET,
  type MnistFile,
  PLAYGROUND,
  STATIC_FILES,
  bundleOptions,
  ensureKernels,
  mnistSubset,
} from './bundle.js';

const i = process.argv.indexOf('--out');
const out = resolve(i >= 0 ? process.argv[i + 1] : join(PLAYGROUND, 'dist'));

ensureKernels();
await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'mnist'), { recursive: true });
const result = await esbuild.build({
  ...bundleOptions({ minify: true }),
  outdir: out,
  metafile: true,
  logLevel: 'warning',
});
for (const file of Object.keys(STATIC_FILES)) await copyFile(join(PLAYGROUND, file), join(out, file));
for (const name of Object.keys(MNIST_SUBSET) as MnistFile[])
  await writeFile(join(out, 'mnist', name), mnistSubset(name));
const headers = Object.entries(ISOLATION_HEADERS)
  .map(([k, v]) => `  ${k}: ${v}`)
  .join('\n');
await writeFile(join(out, '_headers'), `/*\n${headers}\n`);

for (const [file, info] of Object.entries(result.metafile.outputs))
  console.log(`${file}  ${(info.bytes / 1024).toFixed(0)} KiB`);
console.log(`wrote the playground to ${out}; serve it with the headers in ${join(out, '_headers')}`);
console.log(`(try: node --import tsx playground/tools/serve.ts --dir ${out})`);
