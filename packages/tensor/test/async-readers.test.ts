/**
 * Async readers (toArrayAsync, dataAsync, itemAsync): the same values as the sync readers on
 * every host backend, including strided views, and the same named errors, as rejections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ShapeError, arange, tensor } from '../src/index.js';
import { getBackend, setBackend } from '../src/kernels/index.js';

const initial = getBackend();
afterEach(() => setBackend(initial));

describe.each(['js', 'wasm'])('async readers on the %s backend', (name) => {
  it('give what the sync readers give, for a transposed slice', async () => {
    try {
      setBackend(name);
    } catch {
      return; // wasm unavailable here: the js run covers the readers
    }
    const t = arange(12).astype('float32').reshape([3, 4]).T.slice(':', '1:');
    expect(await t.toArrayAsync()).toEqual(t.toArray());
    const data = await t.dataAsync();
    expect(data).toBeInstanceOf(Float32Array);
    expect(Array.from(data)).toEqual(Array.from(t.toTypedArray()));
    expect(await t.sum().itemAsync()).toBe(t.sum().item());
    expect(await tensor([true, false]).toArrayAsync()).toEqual([true, false]);
  });

  it('rejects itemAsync of several elements with the ShapeError item throws', async () => {
    await expect(tensor([1, 2]).itemAsync()).rejects.toThrow(ShapeError);
    await expect(tensor([1, 2]).itemAsync()).rejects.toThrow(/item: only a tensor with one element/);
  });

  it('hands back a copy that later writes to the tensor do not change', async () => {
    const t = tensor([1, 2, 3]);
    const data = await t.dataAsync();
    t.data[0] = 9;
    expect(Array.from(data)).toEqual([1, 2, 3]);
  });
});
