/**
 * The PyTorch losses and loss options — nllLoss, l1Loss, huberLoss, klDiv; reduction, weight,
 * ignoreIndex and labelSmoothing on the cross-entropies — against PyTorch's definitions written out
 * with plain loops in float64, gradchecks over fast-check-generated batches, and named errors.
 *
 * Tolerances: values 1e-12 (float64); gradients gradcheck's (eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import fc, { type Arbitrary } from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DTypeError, IndexError, ShapeError, type Tensor, ValueError, tensor } from '@nn/tensor';
import { type Variable, logSoftmax, softmax, variable } from '@nn/autograd';
import { SoftmaxCrossEntropy } from '@nn/autograd/nodes';
import { assertGradcheck, tensorArb } from '@nn/autograd/testing';
import { type Reduction, crossEntropy, huberLoss, klDiv, l1Loss, mseLoss, nllLoss, softmaxCrossEntropy } from '@nn/nn';
import { sample, values } from './helpers.js';

const RUNS = Math.round(25 * Number(process.env.NN_PROPERTY_SCALE ?? 1));
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

const f64 = (xs: number[], shape?: number[]) => tensor(xs, { dtype: 'float64', ...(shape ? { shape } : {}) });
const int32 = (xs: number[], shape?: number[]) => tensor(xs, { dtype: 'int32', ...(shape ? { shape } : {}) });

function expectClose(got: number[], want: number[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol));
}

/** Rows of a (..., C) tensor as arrays. */
function rows(t: Tensor): number[][] {
  const C = t.shape[t.ndim - 1];
  const flat = values(t);
  return Array.from({ length: flat.length / C }, (_, r) => flat.slice(r * C, (r + 1) * C));
}

/** log_softmax of one row, by its definition. */
function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Reduces per-row losses with PyTorch's rule: mean divides by `denominator`. */
function reduce(perRow: number[], reduction: Reduction, denominator: number): number[] {
  if (reduction === 'none') return perRow;
  const total = perRow.reduce((a, b) => a + b, 0);
  return [reduction === 'sum' ? total : total / denominator];
}

interface Options {
  weight?: number[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * PyTorch's cross_entropy on log-probability rows with class-index targets (LossNLL.cpp's
 * cross_entropy_loss_label_smoothing), written out:
 *   loss_n = (1 − ε)·(−w[y]·lp[y]) + (ε/C)·(−Σ_c w_c·lp[c]), 0 for ignored rows;
 *   mean = Σ loss_n / Σ w[y_n] over rows not ignored.
 */
function labelReference(logp: number[][], labels: number[], o: Options): number[] {
  const C = logp[0].length;
  const w = o.weight ?? Array(C).fill(1);
  const eps = o.labelSmoothing ?? 0;
  const ignore = o.ignoreIndex ?? -100;
  let weightSum = 0;
  const perRow = logp.map((lp, n) => {
    const y = labels[n];
    if (y === ignore) return 0;
    weightSum += w[y];
    const smooth = -lp.reduce((s, v, c) => s + w[c] * v, 0);
    return (1 - eps) * (-w[y] * lp[y]) + (eps / C) * smooth;
  });
  return reduce(perRow, o.reduction ?? 'mean', weightSum);
}

/** PyTorch's cross_entropy with probability targets: −Σ_c w_c·t'_c·lp_c, t' = (1 − ε)t + ε/C; mean over rows. */
function probabilityReference(logp: number[][], target: number[][], o: Options): number[] {
  const C = logp[0].length;
  const w = o.weight ?? Array(C).fill(1);
  const eps = o.labelSmoothing ?? 0;
  const perRow = logp.map((lp, n) => -lp.reduce((s, v, c) => s + w[c] * ((1 - eps) * target[n][c] + eps / C) * v, 0));
  return reduce(perRow, o.reduction ?? 'mean', logp.length);
}

const asOptions = (o: Options) => ({ ...o, weight: o.weight ? f64(o.weight) : undefined });

describe('softmaxCrossEntropy with weight, ignoreIndex, labelSmoothing and reduction (PyTorch cross_entropy)', () => {
  const x = sample([5, 4], 1).mul(2);
  const labels = [2, 0, 3, 0, 1];
  const logp = rows(x).map(logSoftmaxRow);
  const cases: Options[] = [
    {},
    { reduction: 'sum' },
    { reduction: 'none' },
    { weight: [0.5, 2, 1, 3] },
    { weight: [0.5, 2, 1, 3], ignoreIndex: 0 },
    { ignoreIndex: 0, reduction: 'none' },
    { labelSmoothing: 0.1 },
    { labelSmoothing: 0.25, weight: [0.5, 2, 1, 3], ignoreIndex: 0 },
    { labelSmoothing: 0.2, weight: [1, 1, 4, 2], reduction: 'sum' },
    { labelSmoothing: 1, reduction: 'none', ignoreIndex: 3 },
  ];
  for (const o of cases)
    test(`labels, ${JSON.stringify(o)}`, () => {
      const got = softmaxCrossEntropy(variable(x), int32(labels), asOptions(o));
      expectClose(values(got.data), labelReference(logp, labels, o));
      if ((o.reduction ?? 'mean') === 'none') expect(got.shape).toEqual([5]);
    });

  test('probability targets with weight, labelSmoothing and reduction', () => {
    const t = rows(softmax(variable(sample([5, 4], 2))).data);
    for (const o of [
      {},
      { labelSmoothing: 0.3 },
      { weight: [1, 2, 3, 4], reduction: 'sum' },
      { reduction: 'none' },
    ] as Options[])
      expectClose(
        values(softmaxCrossEntropy(variable(x), f64(t.flat(), [5, 4]), asOptions(o)).data),
        probabilityReference(logp, t, o),
      );
  });

  test('label smoothing of labels equals the smoothed one-hot target (no weights, nothing ignored)', () => {
    const oneHot = labels.flatMap((y) => [0, 1, 2, 3].map((c) => (c === y ? 1 : 0)));
    const a = softmaxCrossEntropy(variable(x), int32(labels), { labelSmoothing: 0.3 }).item();
    const b = softmaxCrossEntropy(variable(x), f64(oneHot, [5, 4]), { labelSmoothing: 0.3 }).item();
    expect(Math.abs(a - b)).toBeLessThan(1e-13);
  });

  test('the default ignoreIndex is −100, as in PyTorch; without options the fused node is used', () => {
    const withIgnored = softmaxCrossEntropy(variable(x), int32([2, -100, 3, 0, -100]));
    expectClose(values(withIgnored.data), labelReference(logp, [2, -100, 3, 0, -100], {}));
    expect(softmaxCrossEntropy(variable(x), int32(labels)).creator).toBeInstanceOf(SoftmaxCrossEntropy);
    expect(softmaxCrossEntropy(variable(x), int32(labels), { reduction: 'mean' }).creator).toBeInstanceOf(
      SoftmaxCrossEntropy,
    );
    expect(softmaxCrossEntropy(variable(x), int32(labels), { reduction: 'sum' }).creator).not.toBeInstanceOf(
      SoftmaxCrossEntropy,
    );
    // Every row ignored: 0/0, NaN, as PyTorch.
    expect(softmaxCrossEntropy(variable(x), int32(Array(5).fill(-100))).item()).toBeNaN();
  });

  test('class axis last over (B, T, C) scores and (B, T) labels', () => {
    const scores = sample([2, 3, 4], 5);
    const ys = [0, 3, 1, -100, 2, 2];
    const got = softmaxCrossEntropy(variable(scores), int32(ys, [2, 3]), { reduction: 'none', labelSmoothing: 0.1 });
    expect(got.shape).toEqual([2, 3]);
    expectClose(
      values(got.data),
      labelReference(rows(scores).map(logSoftmaxRow), ys, { reduction: 'none', labelSmoothing: 0.1 }),
    );
  });
});

describe('nllLoss and crossEntropy (probabilities) with options', () => {
  const logp = logSoftmax(variable(sample([6, 3], 7))).data;
  const labels = [1, 0, 2, 2, 1, 0];
  for (const o of [
    {},
    { reduction: 'sum' },
    { reduction: 'none' },
    { weight: [3, 1, 0.5] },
    { weight: [3, 1, 0.5], ignoreIndex: 2 },
    { ignoreIndex: 1, reduction: 'sum' },
  ] as Options[])
    test(`nllLoss ${JSON.stringify(o)}: −w[y]·logp[y], mean over the targets' weights`, () => {
      expectClose(
        values(nllLoss(variable(logp), int32(labels), asOptions(o)).data),
        labelReference(rows(logp), labels, o),
      );
    });

  test('nllLoss(logSoftmax(x)) is softmaxCrossEntropy(x); crossEntropy with options is nllLoss(log(p + delta))', () => {
    const x = sample([4, 5], 8);
    const ys = int32([4, 0, 1, 1]);
    const viaNll = nllLoss(logSoftmax(variable(x)), ys).item();
    expect(Math.abs(viaNll - softmaxCrossEntropy(variable(x), ys).item())).toBeLessThan(1e-13);
    const p = softmax(variable(x));
    const o = { weight: f64([1, 2, 3, 4, 5]), ignoreIndex: 0 };
    const a = crossEntropy(p, ys, { ...o, delta: 1e-7 }).item();
    expect(Math.abs(a - nllLoss(p.add(1e-7).log(), ys, o).item())).toBeLessThan(1e-13);
    const smoothed = crossEntropy(p, ys, { labelSmoothing: 0.2, delta: 0 }).item();
    expect(Math.abs(smoothed - softmaxCrossEntropy(variable(x), ys, { labelSmoothing: 0.2 }).item())).toBeLessThan(
      1e-12,
    );
  });
});

describe('l1Loss, huberLoss, klDiv and mseLoss against their definitions', () => {
  const y = sample([3, 4], 11).mul(2);
  const t = sample([3, 4], 12);
  const ys = values(y);
  const ts = values(t);
  const elementwise = (f: (a: number, b: number) => number) => ys.map((v, i) => f(v, ts[i]));
  const reduceAll = (xs: number[], r: Reduction) => reduce(xs, r, xs.length);

  for (const reduction of REDUCTIONS)
    test(`reduction '${reduction}'`, () => {
      expectClose(
        values(l1Loss(variable(y), t, { reduction }).data),
        reduceAll(
          elementwise((a, b) => Math.abs(a - b)),
          reduction,
        ),
      );
      expectClose(
        values(mseLoss(variable(y), t, { reduction }).data),
        reduceAll(
          elementwise((a, b) => (a - b) ** 2),
          reduction,
        ),
      );
      for (const delta of [1, 0.3]) {
        const huber = (a: number, b: number) =>
          Math.abs(a - b) < delta ? 0.5 * (a - b) ** 2 : delta * (Math.abs(a - b) - 0.5 * delta);
        expectClose(
          values(huberLoss(variable(y), t, { reduction, delta }).data),
          reduceAll(elementwise(huber), reduction),
        );
      }
    });

  test('huberLoss defaults to delta 1; l1Loss and huberLoss keep y’s shape with none', () => {
    expect(huberLoss(variable(y), t).item()).toBe(huberLoss(variable(y), t, { delta: 1 }).item());
    expect(l1Loss(variable(y), t, { reduction: 'none' }).shape).toEqual([3, 4]);
  });

  test("klDiv: p·(log p − log q), 0 where p = 0; 'batchmean', 'mean', 'sum', 'none'; logTarget", () => {
    const logQ = logSoftmax(variable(sample([3, 4], 13))).data;
    const p = f64([0.5, 0.5, 0, 0, 0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0], [3, 4]);
    const lq = values(logQ);
    const pointwise = values(p).map((pv, i) => (pv > 0 ? pv * (Math.log(pv) - lq[i]) : 0));
    const total = pointwise.reduce((a, b) => a + b, 0);
    expectClose(values(klDiv(variable(logQ), p, { reduction: 'none' }).data), pointwise);
    expectClose([klDiv(variable(logQ), p).item()], [total / 12]);
    expectClose([klDiv(variable(logQ), p, { reduction: 'sum' }).item()], [total]);
    expectClose([klDiv(variable(logQ), p, { reduction: 'batchmean' }).item()], [total / 3]);
    const logP = logSoftmax(variable(sample([3, 4], 14))).data;
    const lp = values(logP);
    const viaLog = lp.map((v, i) => Math.exp(v) * (v - lq[i]));
    expectClose(values(klDiv(variable(logQ), logP, { logTarget: true, reduction: 'none' }).data), viaLog);
    // KL(p ‖ p) = 0
    expect(Math.abs(klDiv(variable(logP), logP, { logTarget: true, reduction: 'sum' }).item())).toBeLessThan(1e-15);
  });
});

// ---- gradients over generated batches --------------------------------------------------------------

/** A batch: N rows of C scores, labels (some equal to ignoreIndex 1 when `ignore`), weights, smoothing. */
const classificationArb: Arbitrary<{
  x: Tensor;
  labels: Tensor;
  weight: Tensor | undefined;
  ignore: boolean;
  smoothing: number;
  reduction: Reduction;
}> = fc
  .record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 2, max: 4 }), lead: fc.boolean() })
  .chain(({ n, c, lead }) => {
    const batch = lead ? [2, n] : [n];
    return fc.record({
      x: tensorArb([...batch, c], { min: -3, max: 3 }),
      labels: tensorArb(batch, { dtype: 'int32', min: 0, max: c - 1 }),
      weight: fc.option(tensorArb([c], { min: 0.2, max: 2 }), { nil: undefined }),
      ignore: fc.boolean(),
      smoothing: fc.constantFrom(0, 0.1, 0.5),
      reduction: fc.constantFrom(...REDUCTIONS),
    });
  })
  // A mean over rows that are all ignored is 0/0 = NaN (as in PyTorch): nothing to check there.
  .filter(({ labels, ignore }) => !ignore || values(labels).some((y) => y !== 1));

describe('gradcheck of the losses (float64, generated batches)', () => {
  test('softmaxCrossEntropy with weight, ignoreIndex, labelSmoothing, reduction', () =>
    fc.assert(
      fc.property(classificationArb, ({ x, labels, weight, ignore, smoothing, reduction }) => {
        const options = { weight, ignoreIndex: ignore ? 1 : undefined, labelSmoothing: smoothing, reduction };
        assertGradcheck((v: Variable) => softmaxCrossEntropy(v, labels, options), [x]);
        assertGradcheck((v: Variable) => nllLoss(logSoftmax(v), labels, { weight, reduction }), [x]);
      }),
      { numRuns: RUNS },
    ));

  test('softmaxCrossEntropy with probability targets and smoothing', () =>
    fc.assert(
      fc.property(
        classificationArb.chain((c) => fc.tuple(fc.constant(c), tensorArb(c.x.shape))),
        ([{ x, weight, smoothing, reduction }, raw]) => {
          const t = raw.softmax(-1);
          assertGradcheck(
            (v: Variable) => softmaxCrossEntropy(v, t, { weight, labelSmoothing: smoothing, reduction }),
            [x],
          );
        },
      ),
      { numRuns: RUNS },
    ));

  test('l1Loss (away from y = t), huberLoss, mseLoss, klDiv', () =>
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))
          .chain(([n, c]) =>
            fc.tuple(
              tensorArb([n, c], { min: -2, max: 2 }),
              tensorArb([n, c], { min: -1, max: 1, avoid: [0], margin: 0.05 }),
              tensorArb([n, c]),
              fc.constantFrom(...REDUCTIONS),
              fc.constantFrom(0.5, 1, 2),
            ),
          ),
        ([y, offset, raw, reduction, delta]) => {
          const t = y.sub(offset); // y − t = offset, never 0 (l1's kink) nor ±delta on the check's scale
          assertGradcheck((v: Variable) => l1Loss(v, t, { reduction }), [y]);
          assertGradcheck((v: Variable) => huberLoss(v, t, { reduction, delta }), [y]);
          assertGradcheck((v: Variable) => mseLoss(v, t, { reduction }), [y]);
          const p = raw.softmax(-1);
          assertGradcheck((v: Variable) => klDiv(logSoftmax(v), p, { reduction }), [y]);
          assertGradcheck(
            (v: Variable) => klDiv(logSoftmax(v), p.log(), { logTarget: true, reduction: 'batchmean' }),
            [y],
          );
        },
      ),
      { numRuns: RUNS },
    ));
});

describe('bad input is a named error', () => {
  const x = variable(sample([2, 3], 1));
  test('reduction, weight shape, labelSmoothing range, ignoreIndex on probabilities', () => {
    expect(() => softmaxCrossEntropy(x, int32([0, 1]), { reduction: 'avg' as Reduction })).toThrow(ValueError);
    expect(() => softmaxCrossEntropy(x, int32([0, 1]), { reduction: 'avg' as Reduction })).toThrow(
      `softmaxCrossEntropy: reduction must be 'mean', 'sum' or 'none', got "avg"`,
    );
    expect(() => softmaxCrossEntropy(x, int32([0, 1]), { weight: f64([1, 2]) })).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(x, int32([0, 1]), { weight: f64([1, 2]) })).toThrow(
      'softmaxCrossEntropy: weight must have shape (3), one per class, got (2)',
    );
    expect(() => softmaxCrossEntropy(x, int32([0, 1]), { labelSmoothing: 1.5 })).toThrow(
      /labelSmoothing must be in \[0, 1\], got 1.5/,
    );
    expect(() => softmaxCrossEntropy(x, f64([0.2, 0.3, 0.5, 1, 0, 0], [2, 3]), { ignoreIndex: 0 })).toThrow(
      /ignoreIndex applies to int32 labels only/,
    );
  });
  test('labels out of range name the label, the row and ignoreIndex', () => {
    expect(() => softmaxCrossEntropy(x, int32([0, 5]), { ignoreIndex: 4 })).toThrow(IndexError);
    expect(() => softmaxCrossEntropy(x, int32([0, 5]), { ignoreIndex: 4 })).toThrow(
      'softmaxCrossEntropy: label 5 of row 1 is out of range for 3 classes (and is not ignoreIndex 4)',
    );
    expect(() => nllLoss(x, int32([0, 1, 2]))).toThrow(/nllLoss: labels must have shape \(2\)/);
    expect(() => nllLoss(x, f64([0, 1]))).toThrow(DTypeError);
    expect(() => nllLoss(x, f64([0, 1]))).toThrow(
      'nllLoss: labels must be int32 class indices of shape (2), got float64 of shape (2)',
    );
  });
  test('elementwise losses: shapes, delta, reduction', () => {
    expect(() => l1Loss(x, sample([3, 2], 2))).toThrow(
      'l1Loss: output and target must have the same shape, got (2,3) and (3,2)',
    );
    expect(() => huberLoss(x, sample([2, 3], 2), { delta: 0 })).toThrow(
      /huberLoss: delta must be a positive finite number, got 0/,
    );
    expect(() => klDiv(x, sample([2, 1], 2))).toThrow(ShapeError);
    expect(() => klDiv(x, sample([2, 3], 2), { reduction: 'batch' as Reduction })).toThrow(/klDiv: reduction/);
    expect(() => mseLoss(x, sample([2, 3], 2), { reduction: 'all' as Reduction })).toThrow(/mseLoss: reduction/);
  });
});
