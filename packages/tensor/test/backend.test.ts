/**
 * Backend selection: the fastest available by default, `setBackend` and `NN_BACKEND` to choose.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { getBackend, kernels, setBackend } from '../src/kernels/index.js';
import { wasmSimdSupported } from '../src/kernels/wasm/module.js';

/** The backend a fresh process starts with, given NN_BACKEND. */
function startupBackend(value: string): string {
  const index = JSON.stringify(new URL('../src/kernels/index.ts', import.meta.url).href);
  const script = `import(${index}).then((k) => console.log(k.getBackend()), (e) => console.log(e.message))`;
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NN_BACKEND: value },
    timeout: 30_000,
  }).trim();
}

describe('kernel backends', () => {
  it('defaults to wasm where WebAssembly SIMD runs, else js', () => {
    expect(getBackend()).toBe(wasmSimdSupported() ? 'wasm' : 'js');
  });

  it('switches with setBackend and rejects unknown names', () => {
    const previous = getBackend();
    setBackend('js');
    expect(kernels().name).toBe('js');
    setBackend(previous);
    expect(() => setBackend('gpu')).toThrow(/unknown backend 'gpu'/);
  });

  it('starts with the backend NN_BACKEND names', () => {
    expect(startupBackend('js')).toBe('js');
    expect(startupBackend('nope')).toMatch(/NN_BACKEND=nope: unknown or unavailable backend/);
  });
});
