/**
 * Picking the WebAssembly build (setWasmBuild, NN_WASM_BUILD) and running without shared memory
 * (a browser page that is not cross-origin isolated). Each choice of build is made in a fresh
 * Node process, since a process loads the kernels once.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PlatformError, ValueError, matmul, randn, Generator, setWasmBuild, wasmFeatures } from '../src/index.js';
import { relaxedSimdWasm, simdWasm } from '../src/kernels/wasm/kernels.wasm.generated.js';
import { unsharedMemoryImport } from '../src/kernels/wasm/module.js';
import { webAssembly } from '../src/kernels/wasm/platform.js';

const wasm = webAssembly()!;

const INDEX = JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)));

/** Runs `body` (an ES module using `T`, the tensor package) in a fresh Node process and parses what it prints. */
function inFreshProcess(body: string, env: Record<string, string> = {}): unknown {
  const script = `import * as T from ${INDEX}; ${body}`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NN_BACKEND: 'wasm', ...env },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const PRODUCT = `const g = new T.Generator(3); const y = T.randn([64, 96], { generator: g }).matmul(T.randn([96, 80], { generator: g }));`;

describe('the WebAssembly build', () => {
  it('is picked by setWasmBuild or NN_WASM_BUILD, and each gives its own rounding', () => {
    const run = (pick: string, env: Record<string, string> = {}) =>
      inFreshProcess(
        `${pick} ${PRODUCT} console.log(JSON.stringify({ features: T.wasmFeatures(), sum: y.toArray().flat() }));`,
        env,
      ) as { features: { build: string; sharedMemory: boolean }; sum: number[] };
    const simd = run("T.setWasmBuild('simd');");
    const relaxed = run("T.setWasmBuild('relaxed-simd');");
    const fromEnvironment = run('', { NN_WASM_BUILD: 'simd' });
    expect(simd.features).toEqual({ build: 'simd', relaxedSimd: false, sharedMemory: true });
    expect(relaxed.features).toEqual({ build: 'relaxed-simd', relaxedSimd: true, sharedMemory: true });
    expect(fromEnvironment.sum).toEqual(simd.sum); // the same build: the same bits
    // Fused multiply-add rounds once per step instead of twice: close, but not the same bits.
    const largest = Math.max(...simd.sum.map((v, i) => Math.abs(v - relaxed.sum[i]) / Math.max(1, Math.abs(v))));
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(1e-5);
  }, 60_000);

  it('cannot change once loaded, and names a bad choice', () => {
    matmul(randn([64, 64], { generator: new Generator(0) }), randn([64, 64], { generator: new Generator(1) }));
    const loaded = wasmFeatures()!.build;
    expect(() => setWasmBuild(loaded)).not.toThrow();
    const other = loaded === 'simd' ? 'relaxed-simd' : 'simd';
    expect(() => setWasmBuild(other)).toThrow(ValueError);
    expect(() => setWasmBuild(other)).toThrow(`setWasmBuild: the ${loaded} build is already loaded`);
    expect(() => setWasmBuild('fast' as 'simd')).toThrow(
      "setWasmBuild: expected 'simd', 'relaxed-simd' or 'auto', got 'fast'",
    );
    expect(PlatformError.name).toBe('PlatformError');
  });

  it('runs over an unshared memory when its import is rewritten (no SharedArrayBuffer: one thread)', () => {
    for (const base64 of [simdWasm, relaxedSimdWasm]) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      if (!wasm.validate(bytes)) continue; // relaxed SIMD where this Node lacks the flag
      const patched = unsharedMemoryImport(bytes);
      expect([...patched].filter((b, i) => b !== bytes[i])).toHaveLength(1); // one flag byte
      expect(() => new wasm.Instance(new wasm.Module(bytes), { env: { memory: unshared() } })).toThrow();
      const instance = new wasm.Instance(new wasm.Module(patched), { env: { memory: unshared() } });
      expect((instance.exports.tileRows as () => number)()).toBeGreaterThan(0);
    }
  });
});

function unshared() {
  return new wasm.Memory({ initial: 2, maximum: 16384, shared: false });
}
