/**
 * What each package costs a web page: esbuild bundles `export * from '<package>'` for the browser,
 * minified, and the size is reported raw and gzipped — with its dependencies (what a page that
 * uses only this package ships) and alone (its dependencies left external). jax-js and
 * TensorFlow.js (the packages they publish for the browser) are measured the same way, in the
 * same run. `pnpm bench bundle-size`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
// examples/ depends on all four packages (their built dist, through package.json exports);
// the root has the peers as dev dependencies.
const nodePaths = [join(root, 'examples/node_modules'), join(root, 'node_modules')];
const OURS = ['@nn/tensor', '@nn/autograd', '@nn/nn', '@nn/data'];
const PEERS = ['@jax-js/jax', '@tensorflow/tfjs'];

interface Size {
  minified: number;
  gzipped: number;
}

async function bundleSize(entry: string, external: string[]): Promise<Size> {
  const result = await build({
    stdin: { contents: entry, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    nodePaths,
    external,
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

/** A package's version from its package.json (read as a file: not every package exports it). */
function packageVersion(name: string): string {
  const main = createRequire(join(root, 'package.json')).resolve(name);
  const folder = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
  return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string }).version;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export async function run(): Promise<void> {
  console.log('\nBundle sizes (esbuild, platform browser, minified; gzip -9)');
  console.log('package                  with dependencies (min / gzip)    alone (min / gzip)');
  const sizes: Record<string, Size> = {};
  for (const name of OURS) {
    sizes[name] = await bundleSize(`export * from '${name}';`, []);
    const alone = await bundleSize(
      `export * from '${name}';`,
      OURS.filter((other) => other !== name),
    );
    console.log(
      `${name.padEnd(24)} ${kb(sizes[name].minified).padStart(10)} / ${kb(sizes[name].gzipped).padStart(9)}` +
        `          ${kb(alone.minified).padStart(9)} / ${kb(alone.gzipped).padStart(8)}`,
    );
  }
  const all = await bundleSize(OURS.map((name) => `export * from '${name}';`).join('\n'), []);
  console.log(`${'all four'.padEnd(24)} ${kb(all.minified).padStart(10)} / ${kb(all.gzipped).padStart(9)}`);
  for (const peer of PEERS) {
    const version = packageVersion(peer);
    const size = await bundleSize(`export * from '${peer}';`, []);
    console.log(
      `${`${peer} ${version}`.padEnd(24)} ${kb(size.minified).padStart(10)} / ${kb(size.gzipped).padStart(9)}` +
        `   (all four of ours: ${(all.gzipped / size.gzipped).toFixed(2)}× its gzip size)`,
    );
  }
}
