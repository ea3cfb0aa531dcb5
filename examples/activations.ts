/**
 * Activation functions (seed 001, §2.2 and §2.5; the book's figures 3-6, 3-7 and 3-9).
 *
 * The step function, sigmoid and ReLU (plus tanh and the identity) evaluated with @nn/tensor over
 * the book's range, x = −5.0 … 4.9 in steps of 0.1, and drawn. Then the softmax overflow guard of
 * §2.5.2: exp(1010) is Infinity in float64, so the naive softmax of [1010, 1000, 990] is
 * Infinity/Infinity = NaN, while subtracting the maximum first gives the right probabilities.
 *
 * Run: node --import tsx examples/run.ts activations [--out dir]
 */
import { arange, tensor, type Tensor } from '@nn/tensor';
import { runIfMain, outputDir, type ExampleOptions } from './lib/cli.js';
import { lineChart, saveChart, type Series } from './lib/plot.js';

/** The book's naive softmax (§2.5.1): exp(a) / Σ exp(a). Overflows for large a. */
function naiveSoftmax(a: Tensor): Tensor {
  const expA = a.exp();
  return expA.div(expA.sum());
}

/** The book's guarded softmax (§2.5.2), written out: exp(a − max(a)) / Σ exp(a − max(a)). */
function guardedSoftmax(a: Tensor): Tensor {
  const expA = a.sub(a.max()).exp(); // the largest exponent is now exp(0) = 1: no overflow
  return expA.div(expA.sum());
}

/** The figures main returns. */
export interface ActivationsResult {
  /** sigmoid([-1, 1, 2]) (the book prints [0.26894142 0.73105858 0.88079708]). */
  sigmoidOfBookInput: number[];
  /** A few values of each function at x = −1, 0, 1, 2. */
  table: { x: number[]; step: number[]; sigmoid: number[]; relu: number[]; tanh: number[]; identity: number[] };
  /** softmax([0.3, 2.9, 4.0]) (the book: [0.01821127 0.24519181 0.73659691]) and its sum (1). */
  softmaxOfBookInput: number[];
  softmaxSum: number;
  /** softmax([1010, 1000, 990]) without and with the guard. */
  naiveSoftmax: number[];
  guardedSoftmax: number[];
  /** Tensor.softmax() (the library's, which guards too) on the same input. */
  librarySoftmax: number[];
  /** The three-layer network of §2.4.3 with the book's weights (the book: [0.31682708 0.69627909]). */
  threeLayerOutput: number[];
  files: string[];
}

/** A signal through §2.4's three-layer network: sigmoid in the hidden layers, identity at the output. */
function threeLayerNetwork(): number[] {
  const f64 = { dtype: 'float64' } as const;
  const W1 = tensor(
    [
      [0.1, 0.3, 0.5],
      [0.2, 0.4, 0.6],
    ],
    f64,
  );
  const b1 = tensor([0.1, 0.2, 0.3], f64);
  const W2 = tensor(
    [
      [0.1, 0.4],
      [0.2, 0.5],
      [0.3, 0.6],
    ],
    f64,
  );
  const b2 = tensor([0.1, 0.2], f64);
  const W3 = tensor(
    [
      [0.1, 0.3],
      [0.2, 0.4],
    ],
    f64,
  );
  const b3 = tensor([0.1, 0.2], f64);
  const x = tensor([1.0, 0.5], f64);
  const z1 = x.matmul(W1).add(b1).sigmoid();
  const z2 = z1.matmul(W2).add(b2).sigmoid();
  const y = z2.matmul(W3).add(b3); // identity_function: the output layer of a regression passes a3 through
  return y.toArray() as number[];
}

export async function main(options: ExampleOptions = {}): Promise<ActivationsResult> {
  const dir = outputDir('activations', options);
  const f64 = { dtype: 'float64' } as const;

  // np.arange(-5.0, 5.0, 0.1): 100 points, −5.0 … 4.9.
  const x = arange(-5, 5, 0.1, f64);
  const curves: Record<'step' | 'sigmoid' | 'relu' | 'tanh' | 'identity', Tensor> = {
    step: x.step(), // the book's np.array(x > 0, dtype=int): 1 where x > 0, else 0
    sigmoid: x.sigmoid(), // 1 / (1 + exp(−x))
    relu: x.relu(), // max(0, x)
    tanh: x.tanh(),
    identity: x,
  };

  const sigmoidOfBookInput = tensor([-1.0, 1.0, 2.0], f64).sigmoid().toArray() as number[];
  console.log(
    `sigmoid([-1, 1, 2]) = [${sigmoidOfBookInput.map((v) => v.toFixed(8)).join(', ')}]   book: [0.26894142 0.73105858 0.88079708]`,
  );

  const at = tensor([-1, 0, 1, 2], f64);
  const table = {
    x: at.toArray() as number[],
    step: at.step().toArray() as number[],
    sigmoid: at.sigmoid().toArray() as number[],
    relu: at.relu().toArray() as number[],
    tanh: at.tanh().toArray() as number[],
    identity: at.toArray() as number[],
  };
  console.log('\n     x |  step  sigmoid     relu     tanh');
  table.x.forEach((v, i) => {
    const cells = [table.step[i], table.sigmoid[i], table.relu[i], table.tanh[i]].map((c) => c.toFixed(6).padStart(8));
    console.log(`${v.toFixed(1).padStart(6)} | ${cells.join(' ')}`);
  });

  const softmaxOfBookInput = tensor([0.3, 2.9, 4.0], f64).softmax().toArray() as number[];
  const softmaxSum = softmaxOfBookInput.reduce((s, v) => s + v, 0);
  console.log(
    `\nsoftmax([0.3, 2.9, 4.0]) = [${softmaxOfBookInput.map((v) => v.toFixed(8)).join(', ')}]   book: [0.01821127 0.24519181 0.73659691]`,
  );
  console.log(`its sum = ${softmaxSum}   book: 1.0`);

  // The overflow guard (§2.5.2). Subtracting any constant from every a_k leaves softmax unchanged
  // (it cancels between numerator and denominator); subtracting the maximum keeps exp ≤ 1.
  const big = tensor([1010, 1000, 990], f64);
  const naive = naiveSoftmax(big).toArray() as number[];
  const guarded = guardedSoftmax(big).toArray() as number[];
  const library = big.softmax().toArray() as number[];
  // NumPy's notation (two-digit exponents), so the numbers read like the book's.
  const sci = (e: number) => (Number.isNaN(e) ? 'nan' : e.toExponential(8).replace(/e([+-])(\d)$/, 'e$10$2'));
  const show = (v: number[]) => `[${v.map(sci).join(', ')}]`;
  console.log(`\nnaive   softmax([1010, 1000, 990]) = ${show(naive)}   book: [nan, nan, nan]`);
  console.log(
    `guarded softmax([1010, 1000, 990]) = ${show(guarded)}   book: [9.99954600e-01, 4.53978686e-05, 2.06106005e-09]`,
  );
  console.log(`Tensor.softmax()                   = ${show(library)}`);

  const threeLayerOutput = threeLayerNetwork();
  console.log(
    `\nthree-layer network (§2.4.3), y = [${threeLayerOutput.map((v) => v.toFixed(8)).join(', ')}]   book: [0.31682708 0.69627909]`,
  );

  // Pictures: the book's three figures, and all five functions together.
  const xs = x.toArray() as number[];
  const series = (name: keyof typeof curves): Series => ({ name, x: xs, y: curves[name].toArray() as number[] });
  const charts: [string, ReturnType<typeof lineChart>][] = [
    [
      'step',
      lineChart([series('step')], {
        title: 'Step function (figure 3-6)',
        xLabel: 'x',
        yLabel: 'h(x)',
        yDomain: [-0.1, 1.1],
      }),
    ],
    [
      'sigmoid',
      lineChart([series('sigmoid')], {
        title: 'Sigmoid (figure 3-7)',
        xLabel: 'x',
        yLabel: 'h(x)',
        yDomain: [-0.1, 1.1],
      }),
    ],
    [
      'step-vs-sigmoid',
      lineChart([series('step'), series('sigmoid')], {
        title: 'Step vs sigmoid (figure 3-8)',
        xLabel: 'x',
        yLabel: 'h(x)',
        yDomain: [-0.1, 1.1],
      }),
    ],
    [
      'relu',
      lineChart([series('relu')], { title: 'ReLU (figure 3-9)', xLabel: 'x', yLabel: 'h(x)', yDomain: [-1, 5.5] }),
    ],
    [
      'all',
      lineChart((['identity', 'tanh', 'step', 'sigmoid', 'relu'] as const).map(series), {
        title: 'Activation functions on [-5, 5]',
        xLabel: 'x',
        yLabel: 'h(x)',
        yDomain: [-1.5, 2.5],
      }),
    ],
  ];
  const files: string[] = [];
  for (const [name, spec] of charts) {
    const saved = await saveChart(spec, `${dir}/activations-${name}`);
    files.push(saved.svg, saved.png);
  }
  console.log(`\nwrote ${files.filter((f) => f.endsWith('.png')).join(', ')}`);

  return {
    sigmoidOfBookInput,
    table,
    softmaxOfBookInput,
    softmaxSum,
    naiveSoftmax: naive,
    guardedSoftmax: guarded,
    librarySoftmax: library,
    threeLayerOutput,
    files,
  };
}

runIfMain(import.meta.url, main);
