import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const file = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Tests run against the TypeScript sources, so `pnpm test` needs no build first.
export default defineConfig({
  resolve: {
    // '@nn/tensor/internal' before '@nn/tensor': the first alias that matches a prefix wins.
    alias: {
      '@nn/tensor/internal': fileURLToPath(new URL('./packages/tensor/src/internal.ts', import.meta.url)),
      '@nn/tensor': src('tensor'),
      // Subpaths before their package: an alias also matches '<name>/...', and the first match wins.
      '@nn/autograd/nodes': file('autograd/src/nodes.ts'),
      '@nn/autograd/testing': file('autograd/src/testing/index.ts'),
      '@nn/autograd/inspect': file('autograd/src/inspect/index.ts'),
      '@nn/autograd': src('autograd'),
      '@nn/nn': src('nn'),
      '@nn/data': src('data'),
      '@nn/onnx': src('onnx'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/**/*.test.ts',
      'test/**/*.test.ts',
      'playground/test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    // Compiles @nn/tensor's WebAssembly kernels (normally done by `pnpm build`) if needed.
    // Starts the one Chromium the browser tests share (test/browser/global-setup.ts), and packs the
    // built packages and installs the tarballs into an empty project (test/pack/global-setup.ts).
    globalSetup: [
      'packages/tensor/assembly/vitest-global-setup.mjs',
      'test/browser/global-setup.ts',
      'test/pack/global-setup.ts',
    ],
    // CI asks for a JSON report as well, to print a plain "N passed, N failed" line at the end.
    ...(process.env.NN_TEST_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.NN_TEST_REPORT } }
      : {}),
  },
});
