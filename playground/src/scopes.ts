/**
 * The variables each lesson's code sees, made fresh for every Run (so gradients never pile up
 * between runs) from fixed seeds (so a lesson shows the same numbers every time), and the data
 * the training lessons learn from. The page's side of the lessons is lessons.ts.
 */
import * as T from '@nn/tensor';
import { Generator, Tensor, randn, tensor, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import { type Variable, variable } from '@nn/autograd';
import * as nn from '@nn/nn';
import * as data from '@nn/data';
import { readIdx, spiral } from '@nn/data';

/** Names every lesson's code can use besides its own variables. */
export const LIBRARY: Record<string, unknown> = {
  F,
  T,
  nn,
  data,
  tensor,
  variable,
  randn,
  zeros,
  ones: T.ones,
  noGrad: F.noGrad,
};

/** A dataset in memory: inputs (N, D) float32 and int32 labels (N). */
export interface Dataset {
  x: Tensor;
  t: Tensor;
}

/** What a training lesson trains: its data, its parameters and how it reports. */
export interface TrainingSetup {
  train: Dataset;
  /** Where the accuracy is measured: the training set (spiral) or the test subset (MNIST). */
  evaluation: Dataset;
  params: Record<string, Variable>;
  batchSize: number;
  /** Iterations between points of the curve. */
  pointEvery: number;
  view: 'boundary' | 'digits';
  generator: Generator;
}

const scalar = (value: number, name: string): Variable => variable(value, { dtype: 'float64', name });
const input = (t: Tensor, name: string): Variable => variable(t, { name, requiresGrad: false });
const param = (t: Tensor, name: string): Variable => variable(t, { name });

// ---- spiral ----

const SPIRAL_BATCH = 30;

function spiralParams(): { params: Record<string, Variable>; generator: Generator } {
  const generator = new Generator(0);
  // The book's TwoLayerNet: W = 0.01·randn, b = 0.
  const params = {
    W1: param(randn([2, 10], { generator }).mul(0.01), 'W1'),
    b1: param(zeros([10]), 'b1'),
    W2: param(randn([10, 3], { generator }).mul(0.01), 'W2'),
    b2: param(zeros([3]), 'b2'),
  };
  return { params, generator };
}

// ---- MNIST ----

const MNIST_TRAIN = 5_000;
const MNIST_TEST = 1_000;
const MNIST_BATCH = 100;
/** How many test digits the page shows with their predictions. */
export const DIGITS_SHOWN = 24;

/** The four files, as the server sends them (the first examples of each: see tools/bundle.ts). */
interface Mnist {
  train: Dataset;
  test: Dataset;
  /** The shown test images as raw bytes, for drawing. */
  testImages: Uint8Array;
}

let mnist: Promise<Mnist> | null = null;

async function fetchIdx(name: string, ndim: number): Promise<{ dims: number[]; data: Uint8Array }> {
  const url = new URL(`mnist/${name}`, self.location.href);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`cannot load MNIST: ${url.pathname} answered ${response.status} ${response.statusText}`);
  }
  // The same parser as loadMnist in Node (@nn/data's idx.ts).
  return readIdx(new Uint8Array(await response.arrayBuffer()), name, { ndim });
}

function mnistDataset(images: { dims: number[]; data: Uint8Array }, labels: Uint8Array, limit: number): Dataset {
  const n = Math.min(limit, images.dims[0], labels.length);
  const pixels = images.dims[1] * images.dims[2];
  const x = new Float32Array(n * pixels);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { x: new Tensor(x, [n, pixels]), t: new Tensor(Int32Array.from(labels.subarray(0, n)), [n]) };
}

/** Loads the MNIST subset once per worker. */
function loadMnist(): Promise<Mnist> {
  mnist ??= (async () => {
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      fetchIdx('train-images-idx3-ubyte', 3),
      fetchIdx('train-labels-idx1-ubyte', 1),
      fetchIdx('t10k-images-idx3-ubyte', 3),
      fetchIdx('t10k-labels-idx1-ubyte', 1),
    ]);
    return {
      train: mnistDataset(trainImages, trainLabels.data, MNIST_TRAIN),
      test: mnistDataset(testImages, testLabels.data, MNIST_TEST),
      testImages: testImages.data.slice(0, DIGITS_SHOWN * 784),
    };
  })();
  mnist.catch(() => (mnist = null));
  return mnist;
}

export async function mnistDigits(): Promise<{ images: Uint8Array; labels: Int32Array }> {
  const m = await loadMnist();
  return { images: m.testImages, labels: Int32Array.from(m.test.t.toArray() as number[]).slice(0, DIGITS_SHOWN) };
}

function mnistParams(): { params: Record<string, Variable>; generator: Generator } {
  const generator = new Generator(0);
  // He initialisation, for ReLU: std √(2 / fan-in).
  const params = {
    W1: param(randn([784, 50], { generator }).mul(Math.sqrt(2 / 784)), 'W1'),
    b1: param(zeros([50]), 'b1'),
    W2: param(randn([50, 10], { generator }).mul(Math.sqrt(2 / 50)), 'W2'),
    b2: param(zeros([10]), 'b2'),
  };
  return { params, generator };
}

const firstRows = (d: Dataset, n: number, name = 'x'): Record<string, unknown> => ({
  x: input(d.x.slice(`0:${n}`), name),
  t: d.t.slice(`0:${n}`),
});

// ---- the lessons ----

/** The variables a Run of lesson `id` sees. */
export async function lessonScope(id: string): Promise<Record<string, unknown>> {
  const generator = new Generator(0);
  const sample = (shape: number[]) => randn(shape, { generator });
  switch (id) {
    case 'apple':
      return {
        apple: scalar(100, 'apple'),
        apple_num: scalar(2, 'apple_num'),
        orange: scalar(150, 'orange'),
        orange_num: scalar(3, 'orange_num'),
        tax: scalar(1.1, 'tax'),
      };
    case 'neuron':
      return {
        x: input(tensor([[1, 0.5, -1]]), 'x'),
        w: param(tensor([[0.8], [-0.4], [0.3]]), 'w'),
        b: param(tensor([0.1]), 'b'),
      };
    case 'repeat-sum':
      return {
        x: param(tensor([[1, 2, 3, 4]]), 'x'),
        c: input(
          tensor([
            [1, 0, 0, 1],
            [0, 1, 0, 1],
            [0, 0, 1, 1],
          ]),
          'c',
        ),
      };
    case 'affine':
      return { x: input(sample([2, 3]), 'x'), W: param(sample([3, 4]), 'W'), b: param(zeros([4]), 'b') };
    case 'softmax':
      return {
        x: input(sample([2, 3]), 'x'),
        W: param(sample([3, 3]), 'W'),
        b: param(zeros([3]), 'b'),
        t: tensor([0, 2], { dtype: 'int32' }),
      };
    case 'spiral': {
      // A batch as training sees one: shuffled, so all three arms are in it.
      const points = spiral();
      const order = new Tensor(new Generator(1).permutation(points.x.shape[0]), [points.x.shape[0]]);
      const shuffled = { x: points.x.take(order, 0), t: points.t.take(order, 0) };
      return { ...firstRows(shuffled, SPIRAL_BATCH), ...spiralParams().params };
    }
    case 'mnist':
      return { ...firstRows((await loadMnist()).train, MNIST_BATCH), ...mnistParams().params };
    default:
      throw new Error(`no lesson named ${JSON.stringify(id)}`);
  }
}

/** The training of lesson `id`, or null for a lesson that does not train. */
export async function trainingSetup(id: string): Promise<TrainingSetup | null> {
  if (id === 'spiral') {
    const points = spiral();
    const { params, generator } = spiralParams();
    return {
      train: points,
      evaluation: points,
      params,
      batchSize: SPIRAL_BATCH,
      pointEvery: 10,
      view: 'boundary',
      generator,
    };
  }
  if (id === 'mnist') {
    const m = await loadMnist();
    const { params, generator } = mnistParams();
    return {
      train: m.train,
      evaluation: m.test,
      params,
      batchSize: MNIST_BATCH,
      pointEvery: 10,
      view: 'digits',
      generator,
    };
  }
  return null;
}
