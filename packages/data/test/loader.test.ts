import { describe, expect, it } from 'vitest';
import { Generator, IndexError, ShapeError, Tensor, ValueError, choice, seed, tensor } from '@nn/tensor';
import { DataLoader, TensorDataset, type DataLoaderOptions, type Split } from '@nn/data';

/** n examples whose x row is [i, -i] and label is i % 7: every batch says which examples it holds. */
function numbered(n: number): Split {
  const x = new Float32Array(2 * n);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    t[i] = i % 7;
  }
  return { x: new Tensor(x, [n, 2]), t: new Tensor(t, [n]) };
}

/** The example ids of each batch of one epoch, checking that x and t stayed paired. */
function epoch(loader: Iterable<{ x: Tensor; t: Tensor }>): number[][] {
  const batches: number[][] = [];
  for (const { x, t } of loader) {
    const ids: number[] = [];
    for (let k = 0; k < x.shape[0]; k++) {
      const id = (x.toArray() as number[][])[k][0];
      expect((x.toArray() as number[][])[k][1]).toBe(-id);
      expect((t.toArray() as number[])[k]).toBe(id % 7);
      ids.push(id);
    }
    batches.push(ids);
  }
  return batches;
}

describe('TensorDataset', () => {
  it('has a length and returns example i without the example axis', () => {
    const ds = new TensorDataset(...(Object.values(numbered(5)) as [Tensor, Tensor]));
    expect(ds.length).toBe(5);
    const { x, t } = ds.get(3);
    expect(x.toArray()).toEqual([3, -3]);
    expect(t.item()).toBe(3);
    expect(ds.get(-1).x.toArray()).toEqual([4, -4]);
    expect(() => ds.get(5)).toThrow(IndexError);
    expect(() => ds.get(1.5)).toThrow(/index 1.5 is out of range for 5 examples/);
  });

  it('rejects x and t of different lengths with a ShapeError naming both shapes', () => {
    expect(
      () =>
        new TensorDataset(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          tensor([1, 2, 3]),
        ),
    ).toThrow(ShapeError);
    expect(
      () =>
        new TensorDataset(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          tensor([1, 2, 3]),
        ),
    ).toThrow(/TensorDataset: .*x \(2,2\) and t \(3\)/);
    expect(() => new TensorDataset(tensor(1), tensor([1]))).toThrow(/x \(\) and t \(1\)/);
  });
});

describe('DataLoader', () => {
  it('without shuffle yields the examples in order, the last batch smaller', () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(epoch(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('dropLast leaves out the short batch; batch counts match length', () => {
    for (const [n, size, dropLast, batches] of [
      [10, 4, true, 2],
      [10, 5, true, 2],
      [10, 5, false, 2],
      [3, 4, true, 0],
      [3, 4, false, 1],
      [0, 4, false, 0],
    ] as const) {
      const loader = new DataLoader(numbered(n), { batchSize: size, dropLast, shuffle: true, seed: 1 });
      expect(loader.length).toBe(batches);
      const got = epoch(loader);
      expect(got.length).toBe(batches);
      for (const b of got)
        expect(b.length).toBe(size > n ? n : dropLast || b !== got[got.length - 1] ? size : b.length);
    }
    expect(epoch(new DataLoader(numbered(10), { batchSize: 4, dropLast: true }))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('shuffled: every example exactly once per epoch, batches of the right shapes', () => {
    const loader = new DataLoader(numbered(103), { batchSize: 10, shuffle: true, seed: 5 });
    for (let e = 0; e < 3; e++) {
      const batches = epoch(loader);
      expect(batches.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    }
    const [first] = new DataLoader(numbered(103), { batchSize: 10, shuffle: true, seed: 5 });
    expect(first.x.shape).toEqual([10, 2]);
    expect(first.t.shape).toEqual([10]);
    expect(first.t.dtype).toBe('int32');
  });

  it('is deterministic given a seed, with a new order each epoch', () => {
    const a = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 42 });
    const b = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 42 });
    const a1 = epoch(a);
    const a2 = epoch(a);
    expect(epoch(b)).toEqual(a1);
    expect(epoch(b)).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(epoch(new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 43 }))).not.toEqual(a1);
  });

  it('draws each epoch as one permutation of its generator (the seeds’ np.random.permutation)', () => {
    const loader = new DataLoader(numbered(20), { batchSize: 6, shuffle: true, generator: new Generator(9) });
    const reference = new Generator(9);
    for (let e = 0; e < 2; e++) expect(epoch(loader).flat()).toEqual(Array.from(reference.permutation(20)));
  });

  it('without seed or generator, follows the global generator, so seed(n) makes runs repeatable', () => {
    const loader = new DataLoader(numbered(30), { batchSize: 7, shuffle: true });
    seed(123);
    const first = epoch(loader);
    seed(123);
    expect(epoch(loader)).toEqual(first);
  });

  it('accepts a TensorDataset, keeps extra axes, and one-hot float targets', () => {
    const x = new Tensor(
      Float32Array.from({ length: 6 * 4 }, (_, i) => i),
      [6, 1, 2, 2],
    );
    const t = new Tensor(
      Float32Array.from({ length: 6 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
      [6, 3],
    );
    const loader = new DataLoader(new TensorDataset(x, t), { batchSize: 4, shuffle: true, seed: 0 });
    const batches = [...loader];
    expect(batches.map((b) => b.x.shape)).toEqual([
      [4, 1, 2, 2],
      [2, 1, 2, 2],
    ]);
    expect(batches.map((b) => b.t.shape)).toEqual([
      [4, 3],
      [2, 3],
    ]);
    for (const b of batches) {
      for (let k = 0; k < b.x.shape[0]; k++) {
        const id = (b.x.toArray() as number[][][][])[k][0][0][0] / 4;
        expect((b.t.toArray() as number[][])[k]).toEqual([0, 1, 2].map((c) => (c === id % 3 ? 1 : 0)));
      }
    }
  });

  it('replacement: the seeds’ Trainer, choice(N, batchSize) per batch, max(1, floor(N / batchSize)) full batches', () => {
    const loader = new DataLoader(numbered(23), { batchSize: 5, replacement: true, generator: new Generator(3) });
    expect(loader.length).toBe(4);
    const reference = new Generator(3);
    for (let e = 0; e < 2; e++) {
      const batches = epoch(loader);
      expect(batches).toHaveLength(4);
      for (const ids of batches)
        expect(ids).toEqual(Array.from(choice(23, 5, { generator: reference }).toTypedArray()));
    }
    // A batch larger than the data is still one full batch per epoch; no data, no batches.
    const big = new DataLoader(numbered(3), { batchSize: 8, replacement: true, seed: 0 });
    expect(big.length).toBe(1);
    expect(epoch(big).map((b) => b.length)).toEqual([8]);
    expect(new DataLoader(numbered(0), { batchSize: 2, replacement: true }).length).toBe(0);
    expect(epoch(new DataLoader(numbered(0), { batchSize: 2, replacement: true }))).toEqual([]);
  });

  it('replacement draws each batch’s rows only when the batch is taken', () => {
    const generator = new Generator(11);
    const iterator = new DataLoader(numbered(40), { batchSize: 4, replacement: true, generator })[Symbol.iterator]();
    const first = iterator.next().value as { x: Tensor };
    iterator.return?.();
    // One batch was drawn: the generator's next draw is the reference's second.
    const reference = new Generator(11);
    const drawn = choice(40, 4, { generator: reference });
    expect((first.x.toArray() as number[][]).map((row) => row[0])).toEqual(Array.from(drawn.toTypedArray()));
    expect(Array.from(choice(40, 4, { generator }).toTypedArray())).toEqual(
      Array.from(choice(40, 4, { generator: reference }).toTypedArray()),
    );
  });

  it('rejects bad options and mismatched tensors', () => {
    const data = numbered(4);
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(ValueError);
    expect(() => new DataLoader(data, { batchSize: 2.5 })).toThrow(/batchSize must be a positive integer, got 2.5/);
    expect(() => new DataLoader(data, { batchSize: 2, seed: 1, generator: new Generator(1) })).toThrow(
      /either seed or generator/,
    );
    expect(() => new DataLoader(data, { batchSize: 2, replacement: true, shuffle: true })).toThrow(ValueError);
    expect(() => new DataLoader(data, { batchSize: 2, replacement: true, shuffle: true })).toThrow(
      /DataLoader: replacement .* shuffle must be false/,
    );
    expect(() => new DataLoader(data, { batchSize: 2, replacement: true, dropLast: true })).toThrow(
      /DataLoader: replacement .* dropLast must be false/,
    );
    const notBoolean = { batchSize: 2, replacement: 'yes' } as unknown as DataLoaderOptions;
    expect(() => new DataLoader(data, notBoolean)).toThrow(ValueError);
    expect(() => new DataLoader(data, notBoolean)).toThrow(/DataLoader: replacement must be true or false, got yes/);
    expect(() => new DataLoader({ x: data.x, t: tensor([1, 2]) }, { batchSize: 2 })).toThrow(ShapeError);
    expect(() => new DataLoader({ x: data.x, t: tensor([1, 2]) }, { batchSize: 2 })).toThrow(
      /DataLoader: .*x \(4,2\) and t \(2\)/,
    );
  });
});

describe('DataLoader with @nn/nn fit', () => {
  it('is consumed by fit as a re-iterable of batches (one pass per epoch)', async () => {
    const { Sequential, Linear, Sigmoid, SGD, fit } = await import('@nn/nn');
    const { spiral } = await import('@nn/data');
    const model = new Sequential(
      new Linear(2, 10, { generator: new Generator(0) }),
      new Sigmoid(),
      new Linear(10, 3, { generator: new Generator(1) }),
    );
    const loader = new DataLoader(spiral(), { batchSize: 30, shuffle: true, seed: 0 });
    const history = fit(model, new SGD(model.parameters(), { lr: 1 }), loader, { epochs: 3, log: false });
    expect(history.epochs).toBe(3);
    expect(history.iterations).toBe(3 * loader.length);
  });

  it('batches as fit does: a seeded shuffled loader trains exactly as fit on the { x, t } tensors', async () => {
    const { Sequential, Linear, Sigmoid, SGD, fit } = await import('@nn/nn');
    const { spiral } = await import('@nn/data');
    const train = (data: (d: Split) => Parameters<typeof fit>[2], generator?: Generator): number[] => {
      const model = new Sequential(
        new Linear(2, 10, { generator: new Generator(0) }),
        new Sigmoid(),
        new Linear(10, 3, { generator: new Generator(1) }),
      );
      const options = { epochs: 3, batchSize: 30, log: false as const, generator };
      return fit(model, new SGD(model.parameters(), { lr: 1 }), data(spiral()), options).loss;
    };
    const viaLoader = train((d) => new DataLoader(d, { batchSize: 30, shuffle: true, generator: new Generator(7) }));
    expect(train((d) => d, new Generator(7))).toEqual(viaLoader);
  });
});
