import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as F from '@nn/autograd';
import * as inspect from '@nn/autograd/inspect';
import * as nodes from '@nn/autograd/nodes';
import * as testing from '@nn/autograd/testing';

/**
 * The public surface of @nn/autograd: the main entry holds what a model needs at run time
 * (functions, Variable, Function, modes, toDot); node classes, the testing kit and inspection
 * live on subpath entries, and fast-check and Graphviz are reached only from those.
 */

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const srcDir = join(packageDir, 'src');

/** The modules a source file loads at run time: static imports and re-exports (not `import type`), bare and dynamic imports. */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]);
  return specifiers;
}

/** Every source module reached from `entry` (relative to src/), and every package it imports. */
function importGraph(entry: string): { modules: string[]; packages: string[] } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const stack = [join(srcDir, entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    const name = relative(srcDir, file);
    if (modules.has(name)) continue;
    modules.add(name);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) stack.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  }
  return { modules: [...modules].sort(), packages: [...packages].sort() };
}

/** A class that extends autograd's Function (a node), not Function itself. */
const isNodeClass = (value: unknown): boolean =>
  typeof value === 'function' && value !== F.Function && value.prototype instanceof F.Function;

describe('the main entry @nn/autograd', () => {
  it('reaches neither the testing kit, nor inspection beyond DOT, nor fast-check, Graphviz or Node built-ins', () => {
    const { modules, packages } = importGraph('index.ts');
    expect(modules.filter((m) => m.startsWith('testing'))).toEqual([]);
    // toDot is pure string building; these three modules are all it needs.
    expect(modules.filter((m) => m.startsWith('inspect'))).toEqual(
      ['inspect/dot.ts', 'inspect/graph.ts', 'inspect/trace.ts'].map((m) => join(m)),
    );
    expect(packages).toEqual(['@nn/tensor', '@nn/tensor/internal']); // the engine's storage recycling
  });

  it('the walk above does find fast-check and Graphviz where they are', () => {
    expect(importGraph('testing/index.ts').packages).toContain('fast-check');
    expect(importGraph('inspect/index.ts').packages).toContain('@hpcc-js/wasm-graphviz');
  });

  it('holds functions, not node classes: F.relu is the function, F.ReLU does not exist', () => {
    expect(Object.entries(F).filter(([, value]) => isNodeClass(value))).toEqual([]);
    for (const name of ['Conv2d', 'MaxPool2d', 'AvgPool2d', 'Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU', 'Softmax']) {
      expect(name in F, name).toBe(false);
    }
    expect([typeof F.relu, typeof F.conv2d, typeof F.Function, typeof F.Variable]).toEqual(Array(4).fill('function'));
  });

  it('holds no testing or inspection name but toDot', () => {
    for (const name of Object.keys(testing)) expect(name in F, name).toBe(false);
    expect(Object.keys(inspect).filter((name) => name in F)).toEqual(['toDot']);
    expect(F.toDot).toBe(inspect.toDot);
  });
});

describe('@nn/autograd/nodes', () => {
  it('exports every node class of src/ops/ and nothing else', async () => {
    const opsDir = join(srcDir, 'ops');
    const classes = new Map<string, unknown>();
    for (const file of readdirSync(opsDir).filter((f) => f.endsWith('.ts'))) {
      const module = (await import(join(opsDir, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(module)) if (isNodeClass(value)) classes.set(name, value);
    }
    expect(Object.keys(nodes).sort()).toEqual([...classes.keys()].sort());
    for (const [name, value] of classes) expect(nodes[name as keyof typeof nodes], name).toBe(value);
  });

  it('classes are the ones that record: y.creator instanceof MatMul', () => {
    const y = F.variable([[1, 2]]).matmul(F.variable([[1], [2]]));
    expect(y.creator).toBeInstanceOf(nodes.MatMul);
    expect(F.relu(y).creator).toBeInstanceOf(nodes.ReLU);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    devDependencies?: Record<string, string>;
    exports: Record<string, { import: { types: string; default: string }; require: { types: string } }>;
  };

  it('has fast-check and Graphviz as optional peers (and dev dependencies), not dependencies', () => {
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['@nn/tensor']);
    for (const name of ['fast-check', '@hpcc-js/wasm-graphviz']) {
      expect(pkg.peerDependencies?.[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies?.[name], name).toBe(pkg.peerDependencies?.[name]?.replace(/^\^/, ''));
    }
  });

  it('exports each entry, ESM, CJS and types', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './nodes', './testing', './inspect']);
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      expect(entry).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
    }
  });
});

describe('the built package (when dist is built)', () => {
  const dist = join(packageDir, 'dist');
  const built = existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'nodes.js'));

  /** The text of a built file and of every chunk it imports, transitively. */
  function bundleText(file: string, seen = new Set<string>()): string {
    if (seen.has(file)) return '';
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    const chunks = [...code.matchAll(/(?:from\s*|require\(\s*)["']\.\/([^"']+)["']/g)].map((m) => m[1]);
    return code + chunks.map((chunk) => bundleText(chunk, seen)).join('');
  }

  it.skipIf(!built)('main entry bundles import neither fast-check nor Graphviz', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const code = bundleText(file);
      expect(code, file).toContain('softmaxCrossEntropy');
      expect(code, file).not.toMatch(/["']fast-check["']|["']@hpcc-js\/wasm-graphviz["']/);
    }
  });

  it.skipIf(!built)(
    'every entry loads, the kits before the main entry too, ESM and CJS, sharing one Variable class',
    () => {
      // A fresh Node process per case: module caches must not carry one case's order into the next.
      const check = (mod: (name: string) => string) => `
      const [t, i, n, a] = [${mod('testing')}, ${mod('inspect')}, ${mod('nodes')}, ${mod('index')}];
      const y = a.variable([1, 2]).mul(2).sum();
      if (!(y.creator instanceof n.Sum) || typeof t.gradcheck !== 'function' || i.toDot !== a.toDot) process.exit(1);`;
      const esm = (name: string) => `await import(${JSON.stringify(join(dist, `${name}.js`))})`;
      const cjs = (name: string) => `require(${JSON.stringify(join(dist, `${name}.cjs`))})`;
      execFileSync(process.execPath, ['--input-type=module', '-e', check(esm)], { cwd: packageDir });
      execFileSync(process.execPath, ['--input-type=commonjs', '-e', check(cjs)], { cwd: packageDir });
    },
  );
});
