/** Variable's async readers: a training loop can await the loss instead of reading it synchronously. */
import { describe, expect, it } from 'vitest';
import { ShapeError, tensor } from '@nn/tensor';
import { Variable } from '@nn/autograd';

describe('Variable async readers', () => {
  it('itemAsync and toArrayAsync give what item and toArray give', async () => {
    const x = new Variable(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    const loss = x.mul(x).sum();
    expect(await loss.itemAsync()).toBe(30);
    expect(await loss.itemAsync()).toBe(loss.item());
    expect(await x.toArrayAsync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('itemAsync of several elements rejects with a ShapeError', async () => {
    await expect(new Variable(tensor([1, 2])).itemAsync()).rejects.toThrow(ShapeError);
  });
});
