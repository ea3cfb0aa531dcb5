import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, Tensor, tensor } from '@nn/tensor';
import { shuffle, subset, trainValSplit, type Split } from '@nn/data';

/** n examples: x row [i, 10·i], label i. */
function numbered(n: number): Split {
  const x = new Float32Array(2 * n);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 10 * i;
    t[i] = i;
  }
  return { x: new Tensor(x, [n, 2]), t: new Tensor(t, [n]) };
}

/** Ids of a split's examples, checking x and t are still paired. */
function ids(s: Split): number[] {
  const out: number[] = [];
  for (let k = 0; k < s.t.shape[0]; k++) {
    const id = s.t.data[s.t.offset + k];
    expect(s.x.data[s.x.offset + 2 * k]).toBe(id);
    expect(s.x.data[s.x.offset + 2 * k + 1]).toBe(10 * id);
    out.push(id);
  }
  return out;
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('trainValSplit', () => {
  it('holds out floor(N · fraction) examples, disjoint from training, together all of them', () => {
    const { train, val } = trainValSplit(numbered(101), 0.2, { seed: 0 });
    expect(val.x.shape).toEqual([20, 2]);
    expect(train.x.shape).toEqual([81, 2]);
    const v = ids(val);
    const tr = ids(train);
    expect(v.filter((id) => tr.includes(id))).toEqual([]);
    expect([...v, ...tr].sort((a, b) => a - b)).toEqual(all(101));
    expect(v).not.toEqual(all(20)); // shuffled
  });

  it('equals the seeds’ shuffle_dataset then slice: validation first', () => {
    const data = numbered(30);
    const { train, val } = trainValSplit(data, 0.2, { seed: 4 });
    const order = Array.from(new Generator(4).permutation(30));
    expect(ids(val)).toEqual(order.slice(0, 6));
    expect(ids(train)).toEqual(order.slice(6));
    const shuffled = shuffle(data, { seed: 4 });
    expect(ids(shuffled).slice(0, 6)).toEqual(ids(val));
  });

  it('is deterministic with a seed; shuffle: false keeps the order', () => {
    const data = numbered(40);
    expect(ids(trainValSplit(data, 0.25, { seed: 1 }).val)).toEqual(ids(trainValSplit(data, 0.25, { seed: 1 }).val));
    expect(ids(trainValSplit(data, 0.25, { seed: 1 }).val)).not.toEqual(
      ids(trainValSplit(data, 0.25, { seed: 2 }).val),
    );
    const ordered = trainValSplit(data, 0.25, { shuffle: false });
    expect(ids(ordered.val)).toEqual(all(10));
    expect(ids(ordered.train)).toEqual(all(40).slice(10));
  });

  it('handles the fractions 0 and 1 and rejects others', () => {
    expect(trainValSplit(numbered(5), 0).val.x.shape).toEqual([0, 2]);
    expect(trainValSplit(numbered(5), 1, { seed: 0 }).train.x.shape).toEqual([0, 2]);
    expect(() => trainValSplit(numbered(5), 1.5)).toThrow(/valFraction must be a number in \[0, 1\], got 1.5/);
    expect(() => trainValSplit(numbered(5), Number.NaN)).toThrow(/valFraction/);
    expect(() => trainValSplit({ x: tensor([[1], [2]]), t: tensor([1]) }, 0.5)).toThrow(ShapeError);
  });
});

describe('shuffle', () => {
  it('permutes x and t together, deterministically, without touching the input', () => {
    const data = numbered(25);
    const a = shuffle(data, { seed: 8 });
    expect(ids(a)).toEqual(Array.from(new Generator(8).permutation(25)));
    expect(ids(shuffle(data, { generator: new Generator(8) }))).toEqual(ids(a));
    expect(ids(data)).toEqual(all(25));
    expect(() => shuffle(data, { seed: 1, generator: new Generator(1) })).toThrow(/either seed or generator/);
  });
});

describe('subset', () => {
  it('takes the first count examples as a copy', () => {
    const data = numbered(1000);
    const small = subset(data, 300);
    expect(small.x.shape).toEqual([300, 2]);
    expect(ids(small)).toEqual(all(300));
    expect(small.x.data.length).toBe(600); // its own storage, not a view on all 1000 rows
    expect(subset(data, 0).x.shape).toEqual([0, 2]);
    expect(() => subset(data, 1001)).toThrow(/subset: count must be an integer in \[0, 1000\], got 1001/);
  });
});
