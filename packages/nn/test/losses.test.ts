/**
 * Losses: the seeds' numbers (to 4 decimals, and to float64 precision against the formula),
 * label and one-hot forms, batch means, gradchecks in float64 (gradcheck's tolerances), and the
 * stability of the binary losses at the extremes.
 */
import { describe, expect, test } from 'vitest';
import { DTypeError, IndexError, ShapeError, type Tensor, ValueError, tensor, zeros } from '@nn/tensor';
import { softmax, softmaxCrossEntropy as autogradSoftmaxCrossEntropy, variable } from '@nn/autograd';
import { assertGradcheck } from '@nn/autograd/testing';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mseLoss,
  quadraticCost,
  softmaxCrossEntropy,
  sumSquaredError,
} from '@nn/nn';
import { sample, values } from './helpers.js';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'float64' });
const labels = (v: number[]): Tensor => tensor(v, { dtype: 'int32' });

// The seeds' example (001 §4.2): the correct label is 2.
const t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
const yGood = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]; // 2 is most likely
const yBad = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]; // 7 is most likely

describe("the seeds' numbers", () => {
  test("sumSquaredError is the seeds' mean_squared_error: 0.0975 and 0.5975", () => {
    expect(sumSquaredError(variable(yGood), tensor(t)).item()).toBeCloseTo(0.0975, 4);
    expect(sumSquaredError(variable(yBad), tensor(t)).item()).toBeCloseTo(0.5975, 4);
    expect(sumSquaredError(variable(f64(yGood)), f64(t)).item()).toBeCloseTo(0.0975, 14);
    expect(sumSquaredError(variable(f64(yBad)), f64(t)).item()).toBeCloseTo(0.5975, 14);
  });

  test("crossEntropy is the seeds' cross_entropy_error with delta 1e-7: 0.5108 and 2.3026", () => {
    expect(crossEntropy(variable(yGood), tensor(t)).item()).toBeCloseTo(0.5108, 4);
    expect(crossEntropy(variable(yBad), tensor(t)).item()).toBeCloseTo(2.3026, 4);
    // Exactly the seeds' printed values in float64: −log(0.6 + 1e-7), −log(0.1 + 1e-7).
    expect(crossEntropy(variable(f64(yGood)), f64(t)).item()).toBeCloseTo(0.510825457099338, 14);
    expect(crossEntropy(variable(f64(yBad)), f64(t)).item()).toBeCloseTo(2.302584092994546, 14);
    // The same from the label.
    expect(crossEntropy(variable(f64(yGood)), tensor(2, { dtype: 'int32' })).item()).toBeCloseTo(0.510825457099338, 14);
  });
});

describe('batches', () => {
  const y = f64([yGood, yBad]);
  const oneHot = f64([t, t]);

  test('crossEntropy averages over the rows; labels and one-hot agree', () => {
    const mean = (0.510825457099338 + 2.302584092994546) / 2;
    expect(crossEntropy(variable(y), oneHot).item()).toBeCloseTo(mean, 14);
    expect(crossEntropy(variable(y), labels([2, 2])).item()).toBeCloseTo(mean, 14);
    expect(crossEntropy(variable(y), labels([2, 7])).item()).toBeCloseTo(-Math.log(0.6 + 1e-7), 14);
  });

  test('sumSquaredError sums everything; quadraticCost divides by the batch; mseLoss by every element', () => {
    expect(sumSquaredError(variable(y), oneHot).item()).toBeCloseTo(0.0975 + 0.5975, 14);
    expect(quadraticCost(variable(y), oneHot).item()).toBeCloseTo((0.0975 + 0.5975) / 2, 14);
    expect(quadraticCost(variable(f64(yGood)), f64(t)).item()).toBeCloseTo(0.0975, 14); // one sample: n = 1
    expect(mseLoss(variable(y), oneHot).item()).toBeCloseTo((2 * (0.0975 + 0.5975)) / 20, 14);
  });

  test('softmaxCrossEntropy is the fused autograd node and equals crossEntropy(softmax) up to delta', () => {
    expect(softmaxCrossEntropy).toBe(autogradSoftmaxCrossEntropy);
    const scores = sample([4, 5], 1);
    const target = labels([0, 3, 4, 1]);
    const fused = softmaxCrossEntropy(variable(scores), target).item();
    const composed = crossEntropy(softmax(variable(scores)), target, { delta: 0 }).item();
    expect(fused).toBeCloseTo(composed, 12);
  });
});

describe('gradients (float64 gradcheck)', () => {
  test('squared errors and quadratic cost, with respect to the output', () => {
    const target = sample([3, 4], 2);
    for (const loss of [sumSquaredError, mseLoss, quadraticCost])
      assertGradcheck((y) => loss(y, target), [sample([3, 4], 3)]);
  });

  test('crossEntropy from labels and from one-hot rows', () => {
    const probabilities = sample([3, 4], 4).abs().add(0.1);
    assertGradcheck((p) => crossEntropy(p, labels([1, 0, 3])), [probabilities]);
    assertGradcheck(
      (p) =>
        crossEntropy(
          p,
          f64([
            [0, 1, 0, 0],
            [0.5, 0.5, 0, 0],
            [0, 0, 0, 1],
          ]),
        ),
      [probabilities],
    );
  });

  test('binary cross-entropy on probabilities and on logits (including logits at exactly 0)', () => {
    const target = f64([
      [1, 0, 0.3],
      [0, 1, 1],
    ]);
    assertGradcheck(
      (p) => binaryCrossEntropy(p, target),
      [
        f64([
          [0.2, 0.7, 0.5],
          [0.05, 0.9, 0.99],
        ]),
      ],
    );
    assertGradcheck(
      (x) => binaryCrossEntropyWithLogits(x, target),
      [
        f64([
          [0, 2, -3],
          [40, -40, 0.5],
        ]),
      ],
    );
  });

  test('the logits loss has the right gradient at 0: (σ(0) − t)/n, not −t/n', () => {
    const x = variable(f64([0, 0]));
    binaryCrossEntropyWithLogits(x, f64([1, 0])).backward();
    expect(values(x.grad!.data)).toEqual([(0.5 - 1) / 2, 0.5 / 2]);
  });

  test('second derivatives of the fused logits loss: d²/dx² = σ(x)(1 − σ(x))/n', () => {
    const x = variable(f64([0.3]));
    binaryCrossEntropyWithLogits(x, f64([1])).backward({ createGraph: true });
    const g = x.grad!;
    x.zeroGrad();
    g.backward();
    const s = 1 / (1 + Math.exp(-0.3));
    expect(x.grad!.item()).toBeCloseTo(s * (1 - s), 12);
  });
});

describe('binary cross-entropy values and stability', () => {
  test('values from the formula', () => {
    expect(binaryCrossEntropy(variable(f64([0.2, 0.9])), f64([0, 1])).item()).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.9)) / 2,
      14,
    );
    const softplus = (z: number) => Math.log(1 + Math.exp(z));
    const expected = (softplus(0) - 0 + softplus(2) - 0 + softplus(-3) - -3) / 3; // x − x·t + log(1 + e^−x) = softplus(x) − x·t
    expect(binaryCrossEntropyWithLogits(variable(f64([0, 2, -3])), f64([1, 0, 1])).item()).toBeCloseTo(expected, 14);
  });

  test('the logits form agrees with sigmoid + binaryCrossEntropy where both are accurate', () => {
    const logits = sample([2, 6], 5);
    const target = f64([
      [1, 0, 1, 1, 0, 0],
      [0, 0, 1, 0, 1, 1],
    ]);
    const composed = binaryCrossEntropy(variable(logits).sigmoid(), target).item();
    expect(binaryCrossEntropyWithLogits(variable(logits), target).item()).toBeCloseTo(composed, 12);
  });

  test('extreme inputs stay finite: logits ±1000, probabilities exactly 0 and 1 (logs clamped at −100)', () => {
    const x = variable(f64([1000, -1000]));
    const loss = binaryCrossEntropyWithLogits(x, f64([0, 1]));
    expect(loss.item()).toBeCloseTo(1000, 10);
    loss.backward();
    expect(values(x.grad!.data)).toEqual([0.5, -0.5]);
    const p = variable(f64([0, 1, 0]));
    const bce = binaryCrossEntropy(p, f64([1, 0, 0]));
    expect(bce.item()).toBeCloseTo(200 / 3, 12);
    bce.backward();
    expect(values(p.grad!.data).every(Number.isFinite)).toBe(true);
  });
});

describe('argument checks', () => {
  test('shapes must match for elementwise losses (no silent broadcasting)', () => {
    expect(() => mseLoss(variable(sample([4, 1], 0)), sample([4], 1))).toThrow(/same shape.*\(4,1\) and \(4\)/);
    expect(() => binaryCrossEntropyWithLogits(variable(sample([3], 0)), sample([2], 0))).toThrow(/same shape/);
  });

  test('labels must have the batch shape and be in range', () => {
    const p = variable(sample([2, 3], 0).abs());
    expect(() => crossEntropy(p, labels([0, 1, 2]))).toThrow(/labels must have shape \(2\).*got \(3\)/);
    expect(() => crossEntropy(p, labels([0, 3]))).toThrow(/label 3 of row 1 is out of range for 3 classes/);
  });

  test('binaryCrossEntropy: probabilities outside [0, 1] (or NaN) are a ValueError naming the range', () => {
    expect(() => binaryCrossEntropy(variable(f64([0.5, 1.5, -0.25])), f64([1, 0, 1]))).toThrow(ValueError);
    expect(() => binaryCrossEntropy(variable(f64([0.5, 1.5, -0.25])), f64([1, 0, 1]))).toThrow(
      /^binaryCrossEntropy: probabilities p must lie in \[0, 1\], got values in \[-0.25, 1.5\]; pass raw scores to binaryCrossEntropyWithLogits/,
    );
    expect(() => binaryCrossEntropy(f64([0.5, NaN]), f64([1, 0]))).toThrow(/must lie in \[0, 1\].*\(and NaN\)/);
    expect(binaryCrossEntropy(f64([0, 1]), f64([0, 1])).item()).toBeCloseTo(0, 12); // the ends are fine
  });

  test('classification losses: no classes or no rows is a ShapeError, not NaN', () => {
    expect(() => softmaxCrossEntropy(variable(zeros([2, 0])), labels([0, 0]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(variable(zeros([2, 0])), labels([0, 0]))).toThrow(
      'softmaxCrossEntropy: scores of shape (2,0) have 0 classes; the last axis needs at least 1',
    );
    expect(() => softmaxCrossEntropy(zeros([0, 3]), labels([]))).toThrow(/scores of shape \(0,3\) hold no rows/);
    expect(() => crossEntropy(zeros([2, 0]), labels([0, 0]))).toThrow(
      /crossEntropy: probabilities of shape \(2,0\) have 0 classes/,
    );
  });

  test('float labels, a wrong batch size and non-tensor operands are named errors', () => {
    expect(() => crossEntropy(zeros([2, 3]), tensor([0, 1]))).toThrow(DTypeError);
    expect(() => crossEntropy(zeros([2, 3]), tensor([0, 1]))).toThrow(
      /labels of shape \(2\) must be int32, got float32/,
    );
    expect(() => softmaxCrossEntropy(zeros([2, 3]), tensor([0, 1]))).toThrow(/pass int32 labels of shape \(2\)/);
    expect(() => softmaxCrossEntropy(zeros([2, 3]), labels([0, 1, 2]))).toThrow(
      /labels must have shape \(2\).*got \(3\)/,
    );
    expect(() => softmaxCrossEntropy(zeros([2, 3]), labels([0, -1]))).toThrow(IndexError);
    // Checked before the shapes are read, so no raw TypeError.
    expect(() => mseLoss(null as never, zeros([2]))).toThrow(/^mseLoss: y must be a Variable or a Tensor, got null/);
    expect(() => sumSquaredError(zeros([2]), 3 as never)).toThrow(
      /^sumSquaredError: t must be a Variable or a Tensor, got number/,
    );
    expect(() => binaryCrossEntropy(zeros([2]), undefined as never)).toThrow(ValueError);
  });
});
