/**
 * The packages as a user gets them from npm: each tarball `pnpm pack` makes (global-setup.ts packs
 * them and installs them into an empty project) holds what it should, resolves through its
 * `exports` from ESM and CommonJS with types, and the example in each package's README typechecks
 * and runs against it. The browser side (the same install bundled by esbuild, run in Chromium) is
 * test/browser/bundle.browser.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, inject, it } from 'vitest';

const app = inject('packedApp');
const NAMES = ['@nn/tensor', '@nn/autograd', '@nn/nn', '@nn/data', '@nn/onnx'];
const typescript = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(command, args, { cwd: app.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

function manifest(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(app.dir, 'node_modules', name, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** Every file an `exports` map points at, e.g. ['./dist/index.d.ts', './dist/index.js', ...]. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  return Object.values(exports as Record<string, unknown>).flatMap(exportTargets);
}

/** The first ```ts block of a README. */
function readmeExample(name: string): string {
  const readme = readFileSync(join(app.dir, 'node_modules', name, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error(`${name}'s README has no \`\`\`ts example`);
  return block[1];
}

describe('the packed packages, installed into an empty project', () => {
  it('packed and installed', () => {
    expect(app.error).toBe('');
    expect(Object.keys(app.tarballs).sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('%s: the tarball holds dist, README, LICENSE and package.json, and no sources or tests', (name) => {
    const files = run('tar', ['tzf', app.tarballs[name]]).stdout.trim().split('\n');
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts'])
      expect(files, file).toContain(`package/${file}`);
    expect(files.filter((file) => !/^package\/(dist\/|package\.json$|README\.md$|LICENSE$)/.test(file))).toEqual([]);
  });

  it.each(NAMES)('%s: a publishable manifest whose exports all exist', (name) => {
    const m = manifest(name);
    expect(m.license).toBe('MIT');
    expect(m.engines).toEqual({ node: '>=20.16' });
    expect(m).toHaveProperty('sideEffects');
    expect(JSON.stringify(m.dependencies ?? {})).not.toMatch(/workspace:/);
    const targets = exportTargets(m.exports);
    expect(targets.some((target) => target.endsWith('.d.ts'))).toBe(true);
    for (const target of targets) expect(existsSync(join(app.dir, 'node_modules', name, target)), target).toBe(true);
  });

  it("every package's README example typechecks (strict, NodeNext) and runs as an ES module", () => {
    const outputs: Record<string, RegExp> = {
      '@nn/tensor': /^wasm \[ 2, 2 \] -?\d+(\.\d+)?\n$/,
      '@nn/autograd': /^\[ 2, 3 \] true\n$/,
      '@nn/nn': /^3 0\.\d+\n$/,
      '@nn/data': /^\[ 1000, 784 \] \[ 100 \] 10 \[ 300, 2 \]\n$/,
      '@nn/onnx': /^true true\n$/,
    };
    const files = NAMES.map((name, i) => {
      const file = `readme-${i}.ts`;
      writeFileSync(join(app.dir, file), readmeExample(name));
      return file;
    });
    const flags = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
    ];
    const types = run(process.execPath, [typescript, ...flags, ...files]);
    expect(types.stdout + types.stderr).toBe('');
    NAMES.forEach((name, i) => {
      const js = join(app.dir, `readme-${i}.mjs`);
      writeFileSync(js, transformSync(readmeExample(name), { loader: 'ts', format: 'esm' }).code);
      const result = run(process.execPath, [js]);
      expect(result.stderr, name).toBe('');
      expect(result.stdout, name).toMatch(outputs[name]);
    });
  }, 60_000);

  it('loads from CommonJS too, with one Variable class across entry points', () => {
    const script = `
      const T = require('@nn/tensor');
      const A = require('@nn/autograd');
      const { Add } = require('@nn/autograd/nodes');
      const { Linear } = require('@nn/nn');
      const { spiral } = require('@nn/data');
      const y = new Linear(2, 3).forward(A.variable(spiral({ seed: 0 }).x)).add(1);
      console.log(y.shape.join('x'), y.creator instanceof Add, T.getBackend());`;
    const result = run(process.execPath, ['-e', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('300x3 true wasm\n');
  });
});
