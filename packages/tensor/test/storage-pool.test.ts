/**
 * The storage pool: large buffers given back are handed out again zero-filled, of the same byte
 * length (or as they are, to the kernels that overwrite their whole output, whose results must
 * not depend on what the buffer held); small ones are never pooled; records nest (allocations go to the innermost); the
 * capacity evicts the sizes recycled longest ago; turning recycling off empties the pool.
 */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  Generator,
  clearStoragePool,
  conv2d,
  getBackend,
  matmul,
  setBackend,
  maxPool2d,
  randn,
  setStoragePoolCapacity,
  setStorageRecycling,
  storagePoolStatus,
  zeros,
  type Tensor,
  ValueError,
} from '../src/index.js';
import { recordStorage, recycleStorage } from '../src/internal.js';
import * as publicApi from '../src/index.js';

const LARGE = 100_000; // float32 elements: 400 kB, above the pooling threshold
const MIB = 1024 * 1024;

afterEach(() => {
  setStorageRecycling(true);
  setStoragePoolCapacity(256 * MIB);
  clearStoragePool();
});

/** Allocates `size` float32 zeros inside a record and returns the tensor and what was recorded. */
function recorded(size: number): { buffer: ArrayBuffer; allocated: Set<ArrayBuffer> } {
  const { value, allocated } = recordStorage(true, () => zeros([size]));
  return { buffer: value.data.buffer as ArrayBuffer, allocated: allocated! };
}

describe('storage pool', () => {
  it('hands a recycled buffer out again, zero-filled, to a request of the same byte length', () => {
    const { buffer, allocated } = recorded(LARGE);
    expect([...allocated]).toEqual([buffer]);
    new Float32Array(buffer).fill(7);
    recycleStorage(allocated);
    expect(storagePoolStatus()).toMatchObject({ buffers: 1, bytes: LARGE * 4 });
    const again = zeros([LARGE], { dtype: 'int32' }); // same bytes, other dtype
    expect(again.data.buffer).toBe(buffer);
    expect(again.data.every((v) => v === 0)).toBe(true);
    expect(storagePoolStatus().buffers).toBe(0);
    expect(zeros([LARGE]).data.buffer).not.toBe(buffer); // taken once only
  });

  it.each(['js', 'wasm'] as const)(
    'ops that overwrite their whole output give the same results from recycled buffers full of NaN (%s kernels)',
    (backend) => {
      const previous = getBackend();
      setBackend(backend);
      onTestFinished(() => setBackend(previous));
      const x = randn([16, 4, 64, 64], { generator: new Generator(1) });
      const w = randn([6, 4, 5, 5], { generator: new Generator(2) }); // outputs of ≥ 256 KiB, the pooled sizes
      const a = randn([300, 400], { generator: new Generator(3) });
      const ops: [string, () => Tensor][] = [
        ['add', () => x.add(1)],
        ['relu', () => x.relu()],
        ['astype', () => x.astype('float64')],
        ['copy', () => x.transpose([0, 1, 3, 2]).contiguous()],
        ['matmul', () => matmul(a, a.T)],
        ['conv2d', () => conv2d(x, w)],
        ['maxPool2d', () => maxPool2d(x, { size: 2 })],
      ];
      for (const [name, op] of ops) {
        const fresh = op();
        // Hand the pool garbage of exactly this size, then run the op again.
        const garbage = new Float32Array(fresh.size * (fresh.dtype === 'float64' ? 2 : 1)).fill(NaN);
        recycleStorage([garbage.buffer as ArrayBuffer]);
        const reused = op();
        expect(reused.data.buffer, name).toBe(garbage.buffer);
        expect(Array.from(reused.data), name).toEqual(Array.from(fresh.data));
      }
    },
  );

  it('does not pool small buffers, nor buffers of another length', () => {
    const small = recorded(1000);
    expect(small.allocated.size).toBe(0);
    const { allocated, buffer } = recorded(LARGE);
    recycleStorage(allocated);
    expect(zeros([LARGE + 1]).data.buffer).not.toBe(buffer);
    expect(storagePoolStatus().buffers).toBe(1);
  });

  it('records nest: an inner record hides its allocations from the outer one, and closes on a throw', () => {
    const outer = recordStorage(true, () => {
      expect(recordStorage(false, () => zeros([LARGE])).allocated).toBeNull();
      const inner = recordStorage(true, () => zeros([LARGE]));
      expect([...inner.allocated!]).toEqual([inner.value.data.buffer]);
      const throwing = () =>
        recordStorage(true, () => {
          zeros([LARGE]);
          throw new Error('inside');
        });
      expect(throwing).toThrow('inside');
      return zeros([LARGE]); // recorded here only if the throwing scope was closed
    });
    expect([...outer.allocated!]).toEqual([outer.value.data.buffer]);
  });

  it('keeps at most the capacity, forgetting the size recycled longest ago', () => {
    setStoragePoolCapacity(1 * MIB);
    const a = recorded(LARGE); // 0.4 MB
    const b = recorded(LARGE + 4);
    const c = recorded(LARGE + 8);
    recycleStorage(a.allocated);
    recycleStorage(b.allocated);
    recycleStorage(c.allocated); // 1.2 MB > 1 MiB: a's size goes
    expect(storagePoolStatus()).toMatchObject({ buffers: 2, bytes: (2 * LARGE + 12) * 4 });
    expect(zeros([LARGE]).data.buffer).not.toBe([...a.allocated][0]);
    expect(zeros([LARGE + 8]).data.buffer).toBe([...c.allocated][0]);
    expect(() => setStoragePoolCapacity(-1)).toThrow(ValueError);
    expect(() => setStoragePoolCapacity(-1)).toThrow(
      /setStoragePoolCapacity: bytes must be a finite number ≥ 0, got -1/,
    );
  });

  it('off: records nothing, pools nothing, and is emptied', () => {
    const { allocated } = recorded(LARGE);
    recycleStorage(allocated);
    setStorageRecycling(false);
    expect(storagePoolStatus()).toMatchObject({ enabled: false, buffers: 0, bytes: 0 });
    expect(recordStorage(true, () => zeros([LARGE])).allocated).toBeNull();
  });
});

describe('engine-private plumbing', () => {
  it('is not exported by @nn/tensor, only by @nn/tensor/internal', () => {
    expect('recordStorage' in publicApi).toBe(false);
    expect('recycleStorage' in publicApi).toBe(false);
    expect(typeof recordStorage).toBe('function');
  });
});
