/**
 * The preset lessons, from the seeds (see shared/seeds/README.md): what the page shows of each.
 * Their variables and training data are made in the worker (scopes.ts), under the same ids.
 */

export interface Lesson {
  id: string;
  title: string;
  /** Where in the seeds it comes from. */
  source: string;
  /** A few sentences for the learner (our own HTML). */
  text: string;
  /** The editor's starting code: an expression, or statements ending in `return`. */
  code: string;
  /** The variables the code can use, as the page lists them. */
  variables: string;
  /** Present for lessons that train live: the defaults of the settings. */
  train?: { lr: number; epochs: number; what: string };
}

export const LESSONS: readonly Lesson[] = [
  {
    id: 'apple',
    title: 'Apples, oranges and tax',
    source: 'seed 001 §5.3–5.4 (MulLayer, AddLayer)',
    text: `Two apples at 100 and three oranges at 150, with 10% tax: the book's first computation graph.
      Backward multiplies by the other input at each <b>Mul</b> and passes the gradient through each <b>Add</b>.
      Press <b>Next</b> in the graph to watch it, node by node: dprice/dapple = 2.2, dprice/dtax = 650.`,
    code: 'apple.mul(apple_num).add(orange.mul(orange_num)).mul(tax)',
    variables: 'apple = 100, apple_num = 2, orange = 150, orange_num = 3, tax = 1.1 (float64 scalars)',
  },
  {
    id: 'neuron',
    title: 'A sigmoid neuron',
    source: "seed 004 (Nielsen's sigmoid neuron), seed 001 §5.5.2 (Sigmoid layer)",
    text: `One neuron: σ(x·w + b). The Sigmoid node's backward is dy·y·(1 − y), from its own output.
      Try a quadratic cost, <code>.sub(1).square().mul(0.5)</code>, or <code>.relu()</code> instead of the sigmoid.`,
    code: 'x.matmul(w).add(b).sigmoid()',
    variables: 'x (1,3) input, w (3,1) weights, b (1) bias',
  },
  {
    id: 'repeat-sum',
    title: 'Repeat and Sum',
    source: 'seed 000 §1.3.4 (Repeat node, Sum node)',
    text: `<b>Repeat</b> copies x (1,4) into 3 rows; <b>Sum</b> adds rows back together. Each is the other's backward:
      step through backward and see the Repeat node sum the three rows of its upstream gradient into one.`,
    code: 'x.repeat(3, 0).mul(c).sum(0, { keepdims: true }).sum()',
    variables: 'x (1,4) parameter, c (3,4) constant',
  },
  {
    id: 'affine',
    title: 'Affine and tanh',
    source: 'seed 000 §1.3.5 (MatMul node), §1.3.6 (Affine)',
    text: `x·W + b, the Affine layer. MatMul's backward is dx = dy·Wᵀ and dW = xᵀ·dy: the shapes tell which.
      The bias b (4) is broadcast over the batch, so its gradient is summed over the rows (the Add step says so).`,
    code: 'x.matmul(W).add(b).tanh().sum()',
    variables: 'x (2,3) input, W (3,4) weights, b (4) bias',
  },
  {
    id: 'softmax',
    title: 'Affine + Softmax-with-Loss',
    source: 'seed 001 §5.6.3 (Softmax-with-Loss), seed 003',
    text: `Scores from an Affine layer, then softmax and cross-entropy in one node. Its backward is the famous
      (y − t) / N: the softmax output minus the one-hot target, per example.`,
    code: 'F.softmaxCrossEntropy(x.matmul(W).add(b), t)',
    variables: 'x (2,3) input, W (3,3), b (3), t = [0, 2] labels',
  },
  {
    id: 'spiral',
    title: 'Spiral: a TwoLayerNet trained live',
    source: 'seed 000 §1.4 (spiral dataset, TwoLayerNet, train_custom_loop)',
    text: `Three spiral arms of 100 points; no straight line separates them. The book's TwoLayerNet 2-10-3 learns them
      with SGD in batches of 30. <b>Run</b> draws the graph of one batch; <b>Train</b> trains exactly this code
      (the scores are the first input of the loss node), redrawing the loss, the accuracy and the decision regions.`,
    code: `// TwoLayerNet: Affine → Sigmoid → Affine → Softmax-with-Loss
const h = x.matmul(W1).add(b1).sigmoid();
const scores = h.matmul(W2).add(b2);
return F.softmaxCrossEntropy(scores, t);`,
    variables: 'x (30,2) a batch of points, t (30) their arms, W1 (2,10), b1 (10), W2 (10,3), b2 (3); W = 0.01·N(0,1)',
    train: { lr: 1, epochs: 300, what: '300 points, batches of 30, SGD' },
  },
  {
    id: 'mnist',
    title: 'MNIST: an MLP trained live',
    source: 'seed 001 ch. 4–5 (TwoLayerNet on MNIST), seed 004 (784-30-10)',
    text: `Handwritten digits, 28×28 pixels flattened to 784 values in [0, 1]. A 784-50-10 network with ReLU, trained on
      the first 5,000 training images with SGD in batches of 100; the accuracy is on 1,000 test images, and the grid
      shows test digits with the network's guess (red when wrong).`,
    code: `// Affine → ReLU → Affine → Softmax-with-Loss
const h = x.matmul(W1).add(b1).relu();
return F.softmaxCrossEntropy(h.matmul(W2).add(b2), t);`,
    variables:
      'x (100,784) a batch of images, t (100) their digits, W1 (784,50), b1 (50), W2 (50,10), b2 (10); He init',
    train: { lr: 0.1, epochs: 10, what: '5,000 images, batches of 100, SGD' },
  },
];

/** The lesson shown when the page opens without a #lesson in its address. */
export const DEFAULT_LESSON = 'apple';

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((lesson) => lesson.id === id);
}
