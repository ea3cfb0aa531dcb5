import { defineConfig } from 'tsup';

// One entry per public subpath (see package.json "exports"): the runtime surface (index), the node
// classes, the gradient-testing kit and graph inspection. fast-check and Graphviz are reached only
// from testing/ and inspect/, so the main entry's bundle holds neither (test/surface.test.ts).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    nodes: 'src/nodes.ts',
    testing: 'src/testing/index.ts',
    inspect: 'src/inspect/index.ts',
    // Not a public entry (package.json does not export it). variable.ts and the op modules import
    // each other, and esbuild orders the shared chunk from the files nearest an entry: as an entry
    // itself, variable.ts comes first, so Function is defined before the nodes that extend it
    // (as when index.ts is the only entry). test/surface.test.ts loads every built entry to check.
    variable: 'src/variable.ts',
  },
  format: ['esm', 'cjs'],
  // Shared code goes to chunks that every entry imports, in CJS too: one Variable and one Function
  // class, so `instanceof` holds across entries.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
