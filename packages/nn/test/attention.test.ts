/**
 * scaledDotProductAttention and MultiheadAttention against PyTorch's definitions written out with
 * plain loops in float64 (PyTorch is not installed: the reference is independent of our ops), a
 * hand-derived small case, masks (causal == explicit triangular; padded keys get zero weight),
 * gradchecks through attention, and named errors for bad shapes.
 */
import { describe, expect, test } from 'vitest';
import { ShapeError, type Tensor, ValueError, tensor } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { assertGradcheck } from '@nn/autograd/testing';
import {
  MultiheadAttention,
  TransformerEncoder,
  TransformerEncoderLayer,
  causalMask,
  scaledDotProductAttention,
} from '@nn/nn';
import { checkModule, sample, values } from './helpers.js';

function expectClose(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

/** softmax(q kᵀ/√E + mask) v for one (L,E),(S,E),(S,Ev) triple, in loops; allowed(i,j) masks. */
function refAttention(
  q: number[][],
  k: number[][],
  v: number[][],
  allowed: (i: number, j: number) => boolean = () => true,
): { out: number[][]; w: number[][] } {
  const E = q[0].length;
  const w = q.map((qi, i) => {
    const s = k.map((kj, j) => (allowed(i, j) ? qi.reduce((a, x, e) => a + x * kj[e], 0) / Math.sqrt(E) : -Infinity));
    const m = Math.max(...s);
    const ex = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - m)));
    const z = ex.reduce((a, b) => a + b, 0);
    return ex.map((x) => x / z);
  });
  const out = w.map((wi) => v[0].map((_, c) => wi.reduce((a, p, j) => a + p * v[j][c], 0)));
  return { out, w };
}

function rows(t: Tensor, r: number, c: number, offset = 0): number[][] {
  const xs = values(t);
  return Array.from({ length: r }, (_, i) => xs.slice(offset + i * c, offset + (i + 1) * c));
}

describe('scaledDotProductAttention', () => {
  test('hand-derived case: one query, two keys', () => {
    // q=[1,0], k=[[1,0],[0,0]]: scores [1/√2, 0]; weights [σ(1/√2), 1−σ(1/√2)].
    const q = variable(tensor([[1, 0]], { dtype: 'float64' }));
    const k = variable(
      tensor(
        [
          [1, 0],
          [0, 0],
        ],
        { dtype: 'float64' },
      ),
    );
    const v = variable(
      tensor(
        [
          [2, 0],
          [0, 4],
        ],
        { dtype: 'float64' },
      ),
    );
    const a = 1 / (1 + Math.exp(-1 / Math.SQRT2));
    const { output, weights } = scaledDotProductAttention(q, k, v);
    expectClose(values(weights.data), [a, 1 - a]);
    expectClose(values(output.data), [2 * a, 4 * (1 - a)]);
  });

  test('values against the loop reference over a batch of heads, causal and not', () => {
    const [B, L, S, E, Ev] = [3, 4, 5, 3, 2];
    const q = sample([B, L, E], 1);
    const k = sample([B, S, E], 2);
    const v = sample([B, S, Ev], 3);
    for (const isCausal of [false, true]) {
      const { output, weights } = scaledDotProductAttention(variable(q), variable(k), variable(v), { isCausal });
      for (let b = 0; b < B; b++) {
        const ref = refAttention(
          rows(q, L, E, b * L * E),
          rows(k, S, E, b * S * E),
          rows(v, S, Ev, b * S * Ev),
          (i, j) => (isCausal ? j <= i : true),
        );
        expectClose(values(output.data).slice(b * L * Ev, (b + 1) * L * Ev), ref.out.flat());
        expectClose(values(weights.data).slice(b * L * S, (b + 1) * L * S), ref.w.flat());
      }
    }
  });

  test('isCausal equals an explicit triangular bool mask and the additive causalMask', () => {
    const [q, k, v] = [sample([2, 5, 4], 4), sample([2, 5, 4], 5), sample([2, 5, 3], 6)].map((t) => variable(t));
    const tri = tensor(Array.from({ length: 25 }, (_, n) => Math.floor(n / 5) >= n % 5)).reshape([5, 5]);
    const a = values(scaledDotProductAttention(q, k, v, { isCausal: true }).output.data);
    expectClose(values(scaledDotProductAttention(q, k, v, { attnMask: tri }).output.data), a);
    expectClose(values(scaledDotProductAttention(q, k, v, { attnMask: causalMask(5, 5, 'float64') }).output.data), a);
  });

  test('gradcheck through attention (q, k, v) with a causal mask', () => {
    assertGradcheck(
      (q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: true }).output,
      [sample([2, 3, 4], 7), sample([2, 3, 4], 8), sample([2, 3, 2], 9)],
    );
  });

  test('bad input: named shape errors', () => {
    const q = variable(sample([2, 3, 4]));
    expect(() => scaledDotProductAttention(q, variable(sample([2, 3, 5])), variable(sample([2, 3, 2])))).toThrow(
      ShapeError,
    );
    expect(() => scaledDotProductAttention(q, variable(sample([2, 3, 4])), variable(sample([2, 2, 2])))).toThrow(
      /scaledDotProductAttention: k \(2, 3, 4\)|k \[2, 3, 4\]|sequence length/,
    );
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: tensor([true, false]).reshape([1, 2]) })).toThrow(
      /attnMask .* does not broadcast to the scores/,
    );
    expect(() => scaledDotProductAttention(q, q, q, { dropoutP: 1 })).toThrow(ValueError);
  });
});

describe('MultiheadAttention', () => {
  test('values against the loop reference: per-head projections, concat, out projection', () => {
    const [E, H, L, N] = [4, 2, 3, 2];
    const mha = new MultiheadAttention(E, H, { dtype: 'float64', batchFirst: true });
    mha.inProjBias!.data = sample([3 * E], 11);
    const x = sample([N, L, E], 12);
    const { output, weights } = mha.attend(variable(x), variable(x), variable(x));
    const W = rows(mha.inProjWeight!.data, 3 * E, E);
    const bIn = values(mha.inProjBias!.data);
    const Wo = rows(mha.outProj.W.data, E, E); // (in, out)
    const bo = values(mha.outProj.b!.data);
    const D = E / H;
    for (let n = 0; n < N; n++) {
      const xs = rows(x, L, E, n * L * E);
      const proj = (part: number) =>
        xs.map((r) =>
          W.slice(part * E, (part + 1) * E).map((w, o) => w.reduce((a, c, e) => a + c * r[e], bIn[part * E + o])),
        );
      const [Q, K, V] = [proj(0), proj(1), proj(2)];
      const concat: number[][] = xs.map(() => []);
      const avg = xs.map(() => new Array<number>(L).fill(0));
      for (let h = 0; h < H; h++) {
        const cut = (m: number[][]) => m.map((r) => r.slice(h * D, (h + 1) * D));
        const ref = refAttention(cut(Q), cut(K), cut(V));
        ref.out.forEach((r, i) => concat[i].push(...r));
        ref.w.forEach((r, i) => r.forEach((p, j) => (avg[i][j] += p / H)));
      }
      const out = concat.map((r) => bo.map((b, o) => r.reduce((a, c, e) => a + c * Wo[e][o], b)));
      expectClose(values(output.data).slice(n * L * E, (n + 1) * L * E), out.flat());
      expectClose(values(weights!.data).slice(n * L * L, (n + 1) * L * L), avg.flat());
    }
  });

  test('padded keys get zero weight; sequence-first layout equals batch-first', () => {
    const mha = new MultiheadAttention(4, 2, { dtype: 'float64' });
    const x = sample([3, 2, 4], 13); // (L, N, E)
    const pad = tensor([false, false, true, false, true, true]).reshape([2, 3]);
    const { weights } = mha.attend(variable(x), variable(x), variable(x), {
      keyPaddingMask: pad,
      averageAttnWeights: false,
    });
    const w = values(weights!.data); // (N, H, L, S)
    const padded = values(pad.astype('float64'));
    w.forEach((p, i) => {
      const n = Math.floor(i / 18);
      const s = i % 3;
      if (padded[n * 3 + s] === 1) expect(p).toBe(0);
    });
    const bf = new MultiheadAttention(4, 2, { dtype: 'float64', batchFirst: true });
    bf.loadStateDict(mha.stateDict());
    const xb = variable(x).transpose([1, 0, 2]);
    const a = values(mha.forward(variable(x)).transpose([1, 0, 2]).data);
    expectClose(values(bf.forward(xb).data), a);
  });

  test('gradcheck with respect to input and all parameters', () => {
    checkModule(new MultiheadAttention(4, 2, { batchFirst: true }), sample([2, 3, 4], 14));
  });

  test('kdim/vdim use separate projection weights', () => {
    const mha = new MultiheadAttention(4, 2, { kdim: 3, vdim: 5, dtype: 'float64' });
    expect(mha.inProjWeight).toBeNull();
    expect(mha.kProjWeight!.shape).toEqual([4, 3]);
    const { output } = mha.attend(
      variable(sample([2, 1, 4])),
      variable(sample([6, 1, 3])),
      variable(sample([6, 1, 5])),
    );
    expect(output.shape).toEqual([2, 1, 4]);
  });

  test('bad input: heads not dividing width, wrong sequence and mask shapes', () => {
    expect(() => new MultiheadAttention(6, 4)).toThrow(/numHeads 4 must divide embedDim 6/);
    const mha = new MultiheadAttention(4, 2, { dtype: 'float64' });
    const x = variable(sample([3, 2, 4]));
    expect(() => mha.attend(x, x, variable(sample([3, 2, 5])))).toThrow(ShapeError);
    expect(() => mha.attend(x, variable(sample([4, 3, 4])), variable(sample([4, 3, 4])))).toThrow(/disagree in batch/);
    expect(() => mha.attend(x, x, x, { attnMask: tensor([true]).reshape([1, 1]) })).toThrow(
      /attnMask must be \(L, S\)/,
    );
    expect(() => mha.attend(x, x, x, { keyPaddingMask: tensor([true, false]) })).toThrow(/keyPaddingMask must be/);
  });
});

describe('TransformerEncoderLayer and TransformerEncoder', () => {
  const opts = { dimFeedforward: 6, dropout: 0, batchFirst: true, dtype: 'float64' as const };

  test('post-norm and pre-norm wiring (eval) against the blocks composed by hand', () => {
    const x = variable(sample([2, 3, 4], 20));
    for (const normFirst of [false, true]) {
      const l = new TransformerEncoderLayer(4, 2, { ...opts, normFirst, activation: 'gelu' }).eval();
      const sa = (h: typeof x) => l.selfAttn.attend(h, h, h).output;
      const ff = (h: typeof x) => l.linear2.forward(l.linear1.forward(h).gelu());
      let want;
      if (normFirst) {
        const h = x.add(sa(l.norm1.forward(x)));
        want = h.add(ff(l.norm2.forward(h)));
      } else {
        const h = l.norm1.forward(x.add(sa(x)));
        want = l.norm2.forward(h.add(ff(h)));
      }
      expectClose(values(l.forward(x).data), values(want.data));
    }
  });

  test('causal encoder: outputs at position i do not depend on later positions', () => {
    const enc = new TransformerEncoder(new TransformerEncoderLayer(4, 2, opts), 2).eval();
    const a = sample([1, 4, 4], 21);
    const b = values(a);
    for (let i = 8; i < 16; i++) b[i] += 1; // change positions 2 and 3
    const ya = values(enc.forward(variable(a), { isCausal: true }).data);
    const yb = values(
      enc.forward(variable(tensor(b, { dtype: 'float64' }).reshape([1, 4, 4])), { isCausal: true }).data,
    );
    expectClose(yb.slice(0, 8), ya.slice(0, 8));
    expect(Math.abs(yb[12] - ya[12])).toBeGreaterThan(1e-6);
  });

  test('gradcheck through an encoder layer; copies start from the same weights', () => {
    const layer = new TransformerEncoderLayer(4, 2, { ...opts, normFirst: true });
    checkModule(layer, sample([1, 3, 4], 22));
    const enc = new TransformerEncoder(layer, 2);
    expect(enc.parameters().length).toBe(2 * layer.parameters().length);
    expectClose(values(enc.layers[0].parameters()[0].data), values(enc.layers[1].parameters()[0].data));
  });

  test('bad input', () => {
    expect(() => new TransformerEncoderLayer(4, 2, { activation: 'tanh' as 'relu' })).toThrow(ValueError);
    expect(() => new TransformerEncoderLayer(6, 4)).toThrow(/numHeads 4 must divide embedDim 6/);
    expect(() => new TransformerEncoder(new TransformerEncoderLayer(4, 2, opts), 0)).toThrow(/numLayers/);
  });
});
