/**
 * `pnpm playground:build`: the static site holds the page, both bundles, the MNIST subset as
 * valid IDX files and the headers file. (The page itself is tested in Chromium, from the dev
 * server, in playground.browser.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdx } from '@nn/data';

const BUILD = fileURLToPath(new URL('../tools/build.ts', import.meta.url));

describe('pnpm playground:build', () => {
  const out = mkdtempSync(join(tmpdir(), 'nn-playground-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes a static site: page, minified bundles, the MNIST subset and the COOP/COEP headers', () => {
    execFileSync(process.execPath, ['--import', 'tsx', BUILD, '--out', out], { stdio: 'pipe' });
    expect(readdirSync(out).sort()).toEqual(['_headers', 'index.html', 'main.js', 'mnist', 'style.css', 'worker.js']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="./main.js"');
    expect(readFileSync(join(out, 'main.js'), 'utf8')).toContain('worker.js');
    // Minified, without Node built-ins left to resolve at run time.
    const worker = readFileSync(join(out, 'worker.js'), 'utf8');
    expect(statSync(join(out, 'worker.js')).size).toBeLessThan(1.5 * 1024 * 1024);
    expect(worker).not.toMatch(/from\s*["']node:/);
    expect(readFileSync(join(out, '_headers'), 'utf8')).toBe(
      '/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n',
    );
    const idx = (name: string, ndim: number) => readIdx(readFileSync(join(out, 'mnist', name)), name, { ndim }).dims;
    expect(idx('train-images-idx3-ubyte', 3)).toEqual([5000, 28, 28]);
    expect(idx('train-labels-idx1-ubyte', 1)).toEqual([5000]);
    expect(idx('t10k-images-idx3-ubyte', 3)).toEqual([1000, 28, 28]);
    expect(idx('t10k-labels-idx1-ubyte', 1)).toEqual([1000]);
  }, 60_000);
});
