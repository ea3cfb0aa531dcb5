/**
 * Newton's method with second derivatives from autograd (the seeds' sequel, DeZero steps 28–29
 * and 33; docs/transforms.md).
 *
 * Gradient descent steps along −∇f with a learning rate you must guess; Newton's method steps
 * to the minimum of the local quadratic model, x ← x − H⁻¹·∇f, using the Hessian H. Near a
 * minimum it doubles the number of correct digits each step. `hessian(f, x)` computes H by
 * forward-over-reverse (a jvp of the gradient per input element), `grad(f)` gives ∇f.
 *
 * 1. f(x) = x⁴ − 2x² from x = 2 (DeZero step 29): Newton reaches the minimum x = 1 in 7 steps;
 *    gradient descent with lr = 0.01 needs over a hundred.
 * 2. Rosenbrock's function 100·(x1 − x0²)² + (x0 − 1)² from (0, 2) (DeZero step 28): its
 *    Hessian there is [[−798, 0], [0, 200]] (not even positive definite), yet Newton reaches the
 *    minimum (1, 1) in a handful of steps, where gradient descent with lr = 0.001 crawls along
 *    the curved valley for thousands. Both paths are drawn over the contours of f.
 *
 * Run: node --import tsx examples/run.ts newton [--descent-steps 10000] [--smoke] [--out dir]
 */
import { tensor, type Tensor } from '@nn/tensor';
import { type Variable, grad, hessian, hvp } from '@nn/autograd';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, pathPlot, saveChart } from './lib/plot.js';

const f64 = { dtype: 'float64' } as const;

/** DeZero's f(x) = x⁴ − 2x², minima at x = ±1. */
const quartic = (x: Variable): Variable => x.pow(4).sub(x.square().mul(2));

/** Rosenbrock's function of a point x of shape (2): minimum 0 at (1, 1), at the bottom of a curved valley. */
const rosenbrock = (x: Variable): Variable => {
  const [x0, x1] = [x.getItem(0), x.getItem(1)];
  return x1.sub(x0.square()).square().mul(100).add(x0.sub(1).square());
};
const rosenbrockAt = (x0: number, x1: number) => 100 * (x1 - x0 * x0) ** 2 + (x0 - 1) ** 2;

/** Solves H·s = g for s by Gaussian elimination with partial pivoting (H small and dense). */
function solve(H: number[][], g: number[]): number[] {
  const n = g.length;
  const A = H.map((row, i) => [...row, g[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[pivot][c])) pivot = r;
    [A[c], A[pivot]] = [A[pivot], A[c]];
    for (let r = c + 1; r < n; r++) {
      const m = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= m * A[c][k];
    }
  }
  const s = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = A[r][n];
    for (let k = r + 1; k < n; k++) v -= A[r][k] * s[k];
    s[r] = v / A[r][r];
  }
  return s;
}

/** Newton's method: x ← x − H⁻¹·∇f(x), until the step is below `tol`. Returns every point visited. */
function newton(f: (x: Variable) => Variable, start: Tensor, maxSteps: number, tol = 1e-12): Tensor[] {
  const path = [start];
  let x = start;
  for (let i = 0; i < maxSteps; i++) {
    const n = x.size;
    const g = Array.from(grad(f)(x).data.toTypedArray());
    const H = hessian(f, x).data.reshape([n, n]).toArray() as number[][];
    const step = solve(H, g);
    x = x.sub(tensor(step, f64).reshape([...x.shape]));
    path.push(x);
    if (Math.max(...step.map(Math.abs)) < tol) break;
  }
  return path;
}

/** Gradient descent with a fixed learning rate, keeping every `keep`-th point (and the last). */
function gradientDescent(f: (x: Variable) => Variable, start: Tensor, lr: number, steps: number, keep = 1): Tensor[] {
  const path = [start];
  let x = start;
  for (let i = 1; i <= steps; i++) {
    x = x.sub(grad(f)(x).data.mul(lr));
    if (i % keep === 0 || i === steps) path.push(x);
  }
  return path;
}

/** The figures main returns. */
export interface NewtonResult {
  /** Newton's iterates on x⁴ − 2x² from 2 (DeZero: 2, 1.4545…, 1.1510…, 1.0253…, 1.0009…, 1.0000012…, 1.00000000000228…, 1). */
  quarticNewton: number[];
  /** Gradient descent steps (lr 0.01) on x⁴ − 2x² until |x − 1| < 1e-10. */
  quarticDescentSteps: number;
  /** Rosenbrock's Hessian at (0, 2), and its product with (1, 1) by hvp. */
  hessianAt02: number[][];
  hvpAt02: number[];
  /** Newton's iterates on Rosenbrock from (0, 2). */
  rosenbrockNewton: number[][];
  /** Where gradient descent (lr 0.001) is after `descentSteps` steps. */
  descentSteps: number;
  descentFinal: number[];
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<NewtonResult> {
  const dir = outputDir('newton', options);
  const descentSteps = numberOption(options, 'descentSteps', options.smoke ? 2000 : 10000);
  const files: string[] = [];

  // ---- 1. x⁴ − 2x² (DeZero step 29) ------------------------------------------------------------
  const quarticPath = newton(quartic, tensor(2, f64), 10);
  const quarticNewton = quarticPath.map((x) => x.item());
  console.log("Newton's method on f(x) = x⁴ − 2x² from x = 2 (x ← x − f'(x)/f''(x), f'' by hessian):");
  quarticNewton.forEach((x, i) => console.log(`  ${i}: ${x}`));
  let x = tensor(2, f64);
  let quarticDescentSteps = 0;
  while (Math.abs(x.item() - 1) >= 1e-10 && quarticDescentSteps < 100000) {
    x = x.sub(grad(quartic)(x).data.mul(0.01));
    quarticDescentSteps++;
  }
  console.log(`  gradient descent (lr 0.01) needs ${quarticDescentSteps} steps for the same 10 digits`);

  // ---- 2. Rosenbrock (DeZero step 28) ----------------------------------------------------------
  const start = tensor([0, 2], f64);
  const hessianAt02 = hessian(rosenbrock, start).data.toArray() as number[][];
  const hvpAt02 = hvp(rosenbrock, start, tensor([1, 1], f64)).data.toArray() as number[];
  console.log(
    `\nRosenbrock's function at (0, 2): Hessian ${JSON.stringify(hessianAt02)}, H·(1, 1) = ${JSON.stringify(hvpAt02)}`,
  );
  const newtonPath = newton(rosenbrock, start, 50);
  const rosenbrockNewton = newtonPath.map((p) => p.toArray() as number[]);
  console.log(`Newton's method from (0, 2): ${rosenbrockNewton.length - 1} steps`);
  rosenbrockNewton.forEach((p, i) => console.log(`  ${i}: (${p[0]}, ${p[1]})`));
  const keep = Math.max(1, Math.floor(descentSteps / 400));
  const descentPath = gradientDescent(rosenbrock, start, 0.001, descentSteps, keep);
  const descentFinal = descentPath[descentPath.length - 1].toArray() as number[];
  console.log(`gradient descent (lr 0.001), ${descentSteps} steps: (${descentFinal[0]}, ${descentFinal[1]})`);

  // ---- pictures ----------------------------------------------------------------------------------
  const paths = [
    {
      name: `gradient descent, lr 0.001 (${descentSteps} steps)`,
      points: descentPath.map((p) => p.toArray() as number[]),
    },
    { name: `Newton with hessian (${rosenbrockNewton.length - 1} steps)`, points: rosenbrockNewton },
  ];
  const saved = await saveChart(
    pathPlot(
      paths.map((p) => ({ name: p.name, x: p.points.map((q) => q[0]), y: p.points.map((q) => q[1]) })),
      {
        title: "Rosenbrock's function from (0, 2): Newton's method against gradient descent",
        xLabel: 'x0',
        yLabel: 'x1',
        // log(1 + f): the valley's contours are visible beside the steep walls.
        contour: { f: (a, b) => Math.log1p(rosenbrockAt(a, b)), xDomain: [-2, 2], yDomain: [-1, 3], levels: 14 },
      },
    ),
    `${dir}/newton-rosenbrock`,
  );
  files.push(saved.svg, saved.png);
  const distance = (points: number[][]) => points.map(([a, b]) => Math.max(Math.hypot(a - 1, b - 1), 1e-16));
  const convergence = await saveChart(
    lineChart(
      [
        {
          name: 'Newton (per step)',
          x: rosenbrockNewton.map((_, i) => Math.log10(1 + i)),
          y: distance(rosenbrockNewton).map(Math.log10),
        },
        {
          name: 'gradient descent (per step)',
          x: descentPath.map((_, i) => Math.log10(1 + Math.min(i * keep, descentSteps))),
          y: distance(descentPath.map((p) => p.toArray() as number[])).map(Math.log10),
        },
      ],
      {
        title: 'Distance to the minimum (1, 1), log10',
        // Newton takes 6 steps, gradient descent thousands: steps on a log scale show both.
        xLabel: 'log10(1 + step)',
        yLabel: 'log10 |x − (1, 1)|',
      },
    ),
    `${dir}/newton-distance`,
  );
  files.push(convergence.svg, convergence.png);
  console.log(`\npictures: ${files.filter((f) => f.endsWith('.svg')).join(', ')}`);

  return {
    quarticNewton,
    quarticDescentSteps,
    hessianAt02,
    hvpAt02,
    rosenbrockNewton,
    descentSteps,
    descentFinal,
    files,
  };
}

runIfMain(import.meta.url, main);
