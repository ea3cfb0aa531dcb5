import { describe, it } from 'vitest';
import { Tensor, tensor } from '@nn/tensor';
import * as F from '@nn/autograd';
import type { Variable } from '@nn/autograd';
import { checkGradients, derivative, sample } from './helpers.js';

// Every node's backward against central differences (float64, tolerances in helpers.ts), on a few
// fixed shapes with broadcasting and size-1 dimensions. Exhaustive property tests live in the
// gradient-testing kit.

const positive = (shape: number[], seed = 0): Tensor => sample(shape, seed).abs().add(0.5);
const int32 = (values: number[] | number[][], shape?: number[]): Tensor =>
  tensor(values, { dtype: 'int32', ...(shape ? { shape } : {}) });

type Case = [string, (...xs: Variable[]) => Variable, Tensor[]];

const cases: Case[] = [
  // elementwise, with broadcasting
  ['Add (2,3)+(3)', (a, b) => a.add(b), [sample([2, 3], 1), sample([3], 2)]],
  ['Add (2,1)+(1,3)', (a, b) => F.add(a, b), [sample([2, 1], 1), sample([1, 3], 2)]],
  ['Add with a number', (a) => a.add(2), [sample([2, 2], 1)]],
  ['Sub (3,1,2)-(1,2)', (a, b) => a.sub(b), [sample([3, 1, 2], 1), sample([1, 2], 2)]],
  ['Sub number-first', (a) => F.sub(1, a), [sample([3], 1)]],
  ['Mul (2,3)*(2,1)', (a, b) => a.mul(b), [sample([2, 3], 1), sample([2, 1], 2)]],
  ['Mul scalar*(2,2)', (a, b) => a.mul(b), [sample([], 1), sample([2, 2], 2)]],
  ['Div (2,3)/(3)', (a, b) => a.div(b), [sample([2, 3], 1), positive([3], 2)]],
  ['Div number/x', (a) => F.div(2, a), [positive([2, 2], 1)]],
  ['Pow x^3', (a) => a.pow(3), [sample([2, 3], 1)]],
  ['Pow x^y (2,2)^(2)', (a, b) => a.pow(b), [positive([2, 2], 1), sample([2], 2)]],
  ['Neg', (a) => a.neg(), [sample([2, 3], 1)]],
  ['Exp', (a) => a.exp(), [sample([2, 3], 1)]],
  ['Log', (a) => a.log(), [positive([2, 3], 1)]],
  ['Sqrt', (a) => a.sqrt(), [positive([2, 3], 1)]],
  ['Sin', (a) => a.sin(), [sample([2, 3], 1)]],
  ['Cos', (a) => a.cos(), [sample([2, 3], 1)]],
  ['Square', (a) => a.square(), [sample([2, 3], 1)]],
  ['Abs', (a) => a.abs(), [sample([2, 3], 1)]],
  ['Clip', (a) => a.clip(-0.5, 0.5), [sample([3, 4], 1)]],
  [
    'Where (2,3) with (3) and (2,1)',
    (a, b) =>
      F.where(
        tensor([
          [true, false, true],
          [false, false, true],
        ]),
        a,
        b,
      ),
    [sample([3], 1), sample([2, 1], 2)],
  ],
  // activations
  ['Sigmoid', (a) => a.sigmoid(), [sample([2, 3], 1)]],
  ['Tanh', (a) => a.tanh(), [sample([2, 3], 1)]],
  ['ReLU', (a) => a.relu(), [sample([3, 4], 1)]],
  ['LeakyReLU', (a) => a.leakyRelu(0.1), [sample([3, 4], 1)]],
  ['Softmax last axis', (a) => a.softmax(), [sample([2, 4], 1)]],
  ['Softmax axis 0', (a) => F.softmax(a, 0), [sample([3, 2], 1)]],
  ['LogSoftmax', (a) => a.logSoftmax(-1), [sample([2, 4], 1)]],
  // reductions
  ['Sum all', (a) => a.sum(), [sample([2, 3], 1)]],
  ['Sum axis 0', (a) => a.sum(0), [sample([2, 3], 1)]],
  ['Sum axes [0,2] keepdims', (a) => a.sum([0, 2], { keepdims: true }), [sample([2, 3, 2], 1)]],
  ['Sum axis 1 of (3,1,2)', (a) => a.sum(1), [sample([3, 1, 2], 1)]],
  ['SumTo (2,3,4)→(3,1)', (a) => a.sumTo([3, 1]), [sample([2, 3, 4], 1)]],
  ['Mean axis -1', (a) => a.mean(-1), [sample([2, 3], 1)]],
  ['Mean all', (a) => F.mean(a), [sample([2, 3], 1)]],
  ['Max all', (a) => a.max(), [sample([2, 3], 1)]],
  ['Max axis 1 keepdims', (a) => a.max(1, { keepdims: true }), [sample([3, 4], 1)]],
  ['Min axis 0', (a) => a.min(0), [sample([3, 4], 1)]],
  // movement
  ['Reshape', (a) => a.reshape(3, -1), [sample([2, 3], 1)]],
  ['Transpose', (a) => a.T, [sample([2, 3], 1)]],
  ['Transpose axes', (a) => a.transpose([1, 2, 0]), [sample([2, 3, 4], 1)]],
  ['BroadcastTo (3,1)→(2,3,4)', (a) => a.broadcastTo([2, 3, 4]), [sample([3, 1], 1)]],
  ['Repeat axis 0 (seeds)', (a) => a.repeat(3, 0), [sample([1, 4], 1)]],
  ['Repeat axis 1', (a) => a.repeat(2, 1), [sample([2, 3], 1)]],
  ['Repeat flattened', (a) => a.repeat(2), [sample([2, 2], 1)]],
  ['Concat axis 1', (a, b) => F.concat([a, b, a], 1), [sample([2, 1], 1), sample([2, 3], 2)]],
  [
    'Split equal, all pieces',
    (a) => {
      const [p, q] = a.split(2, 1);
      return p.mul(q);
    },
    [sample([3, 4], 1)],
  ],
  ['Split indices, one piece unused', (a) => a.split([1, 3], 0)[1], [sample([4, 2], 1)]],
  ['squeeze/unsqueeze/flatten', (a) => a.squeeze(1).unsqueeze(0).flatten(), [sample([2, 1, 3], 1)]],
  // indexing
  ['GetItem row and step', (a) => a.slice(1, '::2'), [sample([3, 5], 1)]],
  ['GetItem negative step, ellipsis', (a) => a.slice('...', '::-1', 0), [sample([2, 3, 2], 1)]],
  ['Gather take axis 0 repeated', (a) => a.take(int32([2, 0, 2]), 0), [sample([3, 2], 1)]],
  ['Gather take flat', (a) => F.take(a, [5, 1, 1]), [sample([2, 3], 1)]],
  [
    'Gather gather axis 1',
    (a) =>
      a.gather(
        int32([
          [1, 1],
          [0, 2],
        ]),
        1,
      ),
    [sample([2, 3], 1)],
  ],
  // linear algebra
  ['MatMul (2,3)·(3,4)', (a, b) => a.matmul(b), [sample([2, 3], 1), sample([3, 4], 2)]],
  ['MatMul (3)·(3,2)', (a, b) => a.matmul(b), [sample([3], 1), sample([3, 2], 2)]],
  ['MatMul (2,3)·(3)', (a, b) => a.matmul(b), [sample([2, 3], 1), sample([3], 2)]],
  ['MatMul (3)·(3)', (a, b) => F.matmul(a, b), [sample([3], 1), sample([3], 2)]],
  ['MatMul batched (2,3,4)·(4,2)', (a, b) => a.matmul(b), [sample([2, 3, 4], 1), sample([4, 2], 2)]],
  ['MatMul broadcast batch (2,1,3,4)·(5,4,2)', (a, b) => a.matmul(b), [sample([2, 1, 3, 4], 1), sample([5, 4, 2], 2)]],
  ['MatMul transposed operand', (a, b) => a.T.matmul(b), [sample([3, 2], 1), sample([3, 2], 2)]],
  ['linear x·W + b', (x, W, b) => F.linear(x, W, b), [sample([4, 3], 1), sample([3, 2], 2), sample([2], 3)]],
  // the composite of docs/autograd.md
  [
    'GELU composite',
    (x) =>
      x.mul(0.5).mul(
        x
          .add(x.pow(3).mul(0.044715))
          .mul(Math.sqrt(2 / Math.PI))
          .tanh()
          .add(1),
      ),
    [sample([2, 3], 1)],
  ],
  // loss
  ['SoftmaxCrossEntropy labels', (a) => a.softmaxCrossEntropy(int32([2, 0, 1])), [sample([3, 4], 1)]],
  [
    'SoftmaxCrossEntropy probabilities',
    (a) =>
      F.softmaxCrossEntropy(
        a,
        tensor(
          [
            [0.2, 0.8],
            [1, 0],
          ],
          { dtype: 'float64' },
        ),
      ),
    [sample([2, 2], 1)],
  ],
];

describe('every node against central differences (float64)', () => {
  it.each(cases)('%s', (_, f, inputs) => checkGradients(f, inputs));
});

// Second derivatives through createGraph: the derivative of Σ f(x)·w, itself checked numerically.
const secondOrder: Case[] = [
  ['Mul·Div', (a, b) => a.mul(b).div(b.add(3)), [sample([2, 2], 1), positive([2], 2)]],
  ['Exp·Sin', (a) => a.exp().mul(a.sin()), [sample([3], 1)]],
  ['Tanh', (a) => a.tanh(), [sample([3], 1)]],
  ['Sigmoid', (a) => a.sigmoid(), [sample([3], 1)]],
  ['Log·Sqrt', (a) => a.log().mul(a.sqrt()), [positive([3], 1)]],
  ['Pow', (a, b) => a.pow(b), [positive([3], 1), sample([3], 2)]],
  ['Softmax', (a) => a.softmax(), [sample([2, 3], 1)]],
  ['LogSoftmax', (a) => a.logSoftmax(), [sample([2, 3], 1)]],
  ['MatMul then square', (a, b) => a.matmul(b).square(), [sample([2, 3], 1), sample([3, 2], 2)]],
  ['MatMul 1-d batched', (a, b) => a.matmul(b).square(), [sample([3], 1), sample([2, 3, 2], 2)]],
  ['SoftmaxCrossEntropy', (a) => a.softmaxCrossEntropy(int32([1, 0])), [sample([2, 3], 1)]],
  ['GetItem·Max', (a) => a.slice(0).square().max(), [sample([2, 3], 1)]],
  [
    'Gather·Repeat·Sum',
    (a) =>
      a
        .take(int32([1, 1]), 0)
        .repeat(2, 1)
        .square()
        .sum(0),
    [sample([2, 2], 1)],
  ],
  ['Concat·Split', (a, b) => F.concat([a, b], 0).square().split(2, 0)[1], [sample([1, 2], 1), sample([1, 2], 2)]],
  ['broadcast Add·Mul', (a, b) => a.add(b).mul(a), [sample([2, 3], 1), sample([3], 2)]],
];

describe('second derivatives (createGraph) against central differences', () => {
  it.each(secondOrder)('%s', (_, f, inputs) => {
    inputs.forEach((__, i) => checkGradients(derivative(f, i), inputs, { atol: 1e-5, rtol: 1e-4, allowMissing: true }));
  });
});
