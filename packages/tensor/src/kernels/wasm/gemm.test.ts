/**
 * The shared gemm suite (test/gemm-suite.ts) against the WebAssembly kernel on one and on two
 * threads, plus what is particular to it: scratch memory that is reused rather than grown, and
 * a worker pool that never keeps a process alive.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gemmSuite } from '../../../test/gemm-suite.js';
import { gemm as jsGemm, type MatrixOperand } from '../matmul.js';
import { wasmGemm } from './gemm.js';
import { wasmKernels } from './module.js';
import { WorkerPool, getThreads, setThreads } from './pool.js';
import type { WasmKernels } from './module.js';
import { webAssembly } from './platform.js';

/**
 * Float32 products are summed in float32: K roundings of partial sums no larger than Σ|a·b|,
 * one per product, and one per float64 input converted to float32 (γ_{K+3} ≈ (K+3)·2⁻²⁴).
 */
const float32Tolerance = (K: number) => Math.max(1e-5, (K + 4) * 2 ** -24);

for (const threads of [1, 2]) {
  let previous = 1;
  gemmSuite(`gemm (wasm, ${threads} thread${threads > 1 ? 's' : ''})`, wasmGemm, {
    float32Tolerance,
    setUp: () => {
      previous = getThreads();
      setThreads(threads);
    },
    tearDown: () => setThreads(previous),
  });
}

function rowMajor(rows: number, cols: number, fill: (i: number) => number) {
  const data = Float32Array.from({ length: rows * cols }, (_, i) => fill(i));
  return { data, offset: 0, rowStride: cols, colStride: 1 };
}

describe('wasm gemm of an outer product (K = 1)', () => {
  it("gives the JavaScript kernel's bits for strided operands, odd widths and an offset C, writing nothing past its block", () => {
    for (const [M, N] of [
      [784, 10],
      [4096, 1],
      [33, 257],
      [1000, 7],
    ]) {
      // A is a strided column (every third value), B a row read backwards in steps of two.
      const aData = Float32Array.from({ length: 3 * M }, (_, i) => Math.sin(i) * 3);
      const bData = Float32Array.from({ length: 2 * N + 1 }, (_, i) => Math.cos(i) / 7);
      const a = { data: aData, offset: 1, rowStride: 3, colStride: 1 };
      const b = { data: bData, offset: 2 * N, rowStride: 1, colStride: -2 };
      const fresh = () => new Float32Array(M * N + 16).fill(-7);
      const [want, got] = [fresh(), fresh()];
      jsGemm(M, N, 1, a, b, want, 5);
      wasmGemm(M, N, 1, a, b, got, 5);
      expect(got).toEqual(want);
    }
  });
});

describe('wasm gemm reading operands in place', () => {
  /** Small integers followed by NaNs: what lies past the operand's last value. */
  function storageThenNaN(size: number): Float32Array {
    const storage = new Float32Array(size + 8).fill(NaN);
    for (let i = 0; i < size; i++) storage[i] = ((i * 7) % 11) - 5;
    return storage;
  }

  function expectProduct(M: number, N: number, K: number, a: MatrixOperand, b: MatrixOperand): void {
    const c = new Float32Array(M * N);
    wasmGemm(M, N, K, a, b, c, 0);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let want = 0;
        for (let k = 0; k < K; k++)
          want +=
            a.data[a.offset + i * a.rowStride + k * a.colStride] * b.data[b.offset + k * b.rowStride + j * b.colStride];
        expect(c[i * N + j]).toBe(want);
      }
    }
  }

  it('ignores what lies past a transposed A (its padding rows read NaN, which reaches only the padding of C)', () => {
    // A = Sᵀ for S (K × M) row-major with M = 5: rows of A are adjacent, so A is read from its copy.
    const [M, K, N] = [5, 40, 24];
    expectProduct(
      M,
      N,
      K,
      { data: storageThenNaN(K * M), offset: 0, rowStride: 1, colStride: M },
      rowMajor(K, N, (i) => (i % 5) - 2),
    );
  });

  it('ignores what lies past a row-major B (its padding columns read NaN)', () => {
    const [M, K, N] = [24, 40, 13];
    expectProduct(
      M,
      N,
      K,
      rowMajor(M, K, (i) => (i % 3) - 1),
      { data: storageThenNaN(K * N), offset: 0, rowStride: N, colStride: 1 },
    );
  });
});

describe('wasm gemm scratch memory', () => {
  it('grows to the largest product and is then reused, so repeated steps do not grow it', () => {
    const a = rowMajor(200, 300, (i) => (i % 7) - 3);
    const b = rowMajor(300, 100, (i) => (i % 5) - 2);
    const c = new Float32Array(200 * 100);
    wasmGemm(200, 100, 300, a, b, c, 0);
    const size = wasmKernels().memory.buffer.byteLength;
    for (let step = 0; step < 50; step++) wasmGemm(200, 100, 300, a, b, c, 0);
    wasmGemm(100, 50, 300, a, b, c, 0);
    expect(wasmKernels().memory.buffer.byteLength).toBe(size);
  });

  it('leaves results computed before a growth intact', () => {
    const small = rowMajor(64, 64, (i) => i % 3);
    const first = new Float32Array(64 * 64);
    wasmGemm(64, 64, 64, small, small, first, 0);
    const kept = first.slice();
    const big = rowMajor(1500, 1500, () => 1);
    const c = new Float32Array(1500 * 1500);
    wasmGemm(1500, 1500, 1500, big, big, c, 0);
    expect(c[0]).toBe(1500);
    expect(first).toEqual(kept);
  });
});

/** Runs a module script (importing this folder's sources by URL) in a fresh Node process. */
function runScript(script: string, nodeFlags: string[] = [], env: Record<string, string> = {}): string {
  const directory = mkdtempSync(join(tmpdir(), 'nn-wasm-'));
  const file = join(directory, 'script.ts');
  writeFileSync(file, script);
  try {
    return execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', file], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...env },
    }).trim();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const source = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);

describe('wasm worker pool', () => {
  it('gives the same bits on any thread count, across pool restarts', () => {
    const n = 200;
    const a = rowMajor(n, n, (i) => Math.sin(i));
    const b = rowMajor(n, n, (i) => Math.cos(i));
    const previous = getThreads();
    try {
      setThreads(1);
      const expected = new Float32Array(n * n);
      wasmGemm(n, n, n, a, b, expected, 0);
      for (const threads of [2, 3, 2, 1, 3, 2]) {
        setThreads(threads);
        const c = new Float32Array(n * n);
        wasmGemm(n, n, n, a, b, c, 0);
        wasmGemm(n, n, n, a, b, c, 0);
        expect(c).toEqual(expected);
      }
    } finally {
      setThreads(previous);
    }
  });

  it('reports a worker whose task threw, instead of waiting for it, and can be stopped', async () => {
    // A module whose runTask traps (`unreachable`), over a shared memory of two pages:
    // (import "env" "memory" (memory 2 16384 shared)) (func (export "runTask") (param i32 i32) unreachable)
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x02, 0x12, 0x01,
      0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x02, 0x80, 0x80, 0x01, 0x03, 0x02,
      0x01, 0x00, 0x07, 0x0b, 0x01, 0x07, 0x72, 0x75, 0x6e, 0x54, 0x61, 0x73, 0x6b, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03,
      0x00, 0x00, 0x0b,
    ]);
    const api = webAssembly()!;
    const memory = new api.Memory({ initial: 2, maximum: 16384, shared: true });
    const trapping = {
      module: new api.Module(bytes),
      memory,
      exports: { runTask: () => {} },
    } as unknown as WasmKernels;
    // (The worker prints the trap on stderr: "a worker thread failed in a task; ... RuntimeError: unreachable".)
    const pool = WorkerPool.start(trapping, 1)!;
    try {
      for (let i = 0; i < 500 && !pool.ready; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(pool.ready).toBe(true);
      expect(pool.run('gemm')).toBe(false); // the worker's part threw: its work may be missing
      expect(pool.run('gemm')).toBe(false); // and it still checks in for the next task
    } finally {
      pool.stop();
    }
  });

  /** A script's opening: two threads, and `product()` a 256³ product of ones into `c` (256 everywhere). */
  const threadedProduct = `
      import { setThreads } from ${source('./pool.ts')};
      import { wasmGemm } from ${source('./gemm.ts')};
      setThreads(2);
      const n = 256;
      const a = { data: new Float32Array(n * n).fill(1), offset: 0, rowStride: n, colStride: 1 };
      const c = new Float32Array(n * n);
      const product = () => wasmGemm(n, n, n, a, a, c, 0);
  `;

  it('lets the process exit once a threaded product is done', () => {
    const output = runScript(`${threadedProduct}
      product();
      console.log(c[0], c[n * n - 1]);
    `);
    expect(output).toBe('256 256');
  });

  it('lets idle workers sleep: they poll for the next task only briefly', () => {
    // A worker that kept polling would burn a whole core's 300 ms while the process waits.
    const output = runScript(`${threadedProduct}
      for (let i = 0; i < 5; i++) product();
      setTimeout(() => {
        const before = process.cpuUsage();
        setTimeout(() => {
          const used = process.cpuUsage(before);
          const ms = (used.user + used.system) / 1000;
          console.log(c[0], ms < 100 ? 'idle' : 'busy: ' + ms + ' ms of CPU');
        }, 300);
      }, 50);
    `);
    expect(output).toBe('256 idle');
  });
});

describe('wasm relaxed SIMD build', () => {
  const script = `
      import { wasmKernels } from ${source('./module.ts')};
      import { wasmGemm } from ${source('./gemm.ts')};
      import { gemm } from ${source('../matmul.ts')};
      const [M, N, K] = [70, 90, 130];
      const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * seed));
      const a = { data: fill(M * K, 1.3), offset: 0, rowStride: K, colStride: 1 };
      const b = { data: fill(K * N, 0.7), offset: 0, rowStride: 1, colStride: K };
      const fast = new Float32Array(M * N);
      const exact = new Float64Array(M * N);
      wasmGemm(M, N, K, a, b, fast, 0);
      gemm(M, N, K, a, b, exact, 0);
      let error = 0;
      for (let i = 0; i < M * N; i++) error = Math.max(error, Math.abs(fast[i] - exact[i]));
      console.log(wasmKernels().relaxed, error < K * 2 ** -24 * K);
    `;

  // Node 20 runs relaxed SIMD only behind this flag; the loader must pick the fused
  // multiply-add build there, and it must agree with the JavaScript kernel.
  it('is chosen where the engine validates it, and matches the JavaScript kernel', () => {
    expect(runScript(script, ['--experimental-wasm-relaxed-simd'])).toBe('true true');
  });

  it('is chosen when NN_RELAXED_SIMD=1 asks for it (the flag set at run time), and not otherwise', () => {
    expect(runScript(script, [], { NN_RELAXED_SIMD: '1' })).toBe('true true');
    expect(runScript(script, [], { NN_RELAXED_SIMD: '' })).toBe('false true');
  });
});
