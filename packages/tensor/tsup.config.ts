import { defineConfig } from 'tsup';

export default defineConfig({
  // internal.ts: engine-private plumbing (@nn/tensor/internal). Splitting (also for cjs) keeps one
  // copy of the storage pool's state shared by both entries.
  entry: ['src/index.ts', 'src/internal.ts'],
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
