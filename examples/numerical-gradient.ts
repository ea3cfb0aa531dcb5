/**
 * Numerical differentiation, gradients and gradient descent (seed 001, §3.3–3.4; the book's
 * §4.3–4.4).
 *
 * The book estimates derivatives by the central difference (f(x + h) − f(x − h)) / 2h with
 * h = 1e-4. @nn/autograd's `numericalGrad(f, inputs, eps)` is exactly that (one element at a
 * time, in float64, as the book's `numerical_gradient`), so this example uses it with eps = 1e-4
 * and prints autograd's exact gradient (`grad`) beside it:
 *
 * 1. the derivative of f(x) = 0.01x² + 0.1x at x = 5 and x = 10 (exactly 0.2 and 0.3), with the
 *    tangent lines (the book's figure 4-7);
 * 2. the gradient of f(x0, x1) = x0² + x1² at (3, 4), (0, 2) and (3, 0), and the field of negative
 *    gradients that points to the minimum (figure 4-9);
 * 3. gradient descent from (−3, 4) for 100 steps with learning rates 0.1 (reaches the minimum),
 *    10 (diverges) and 1e-10 (barely moves) — the book's point about choosing a learning rate —
 *    with the paths over the contours of f (figure 4-10).
 *
 * Run: node --import tsx examples/run.ts numerical-gradient [--steps 100] [--out dir]
 */
import { arange, tensor, type Tensor } from '@nn/tensor';
import { grad, type Variable } from '@nn/autograd';
import { numericalGrad } from '@nn/autograd/testing';
import { numberOption, outputDir, runIfMain, type ExampleOptions } from './lib/cli.js';
import { lineChart, pathPlot, saveChart, type TopLevelSpec } from './lib/plot.js';

const f64 = { dtype: 'float64' } as const;
/** The book's h: small enough for a good estimate, large enough that x + h ≠ x in float64 rounding. */
const h = 1e-4;

/** function_1 of the book: f(x) = 0.01x² + 0.1x. */
const function1 = (x: Variable): Variable => x.square().mul(0.01).add(x.mul(0.1));
/** function_2 of the book: f(x) = x0² + x1² (summed over the last axis for a batch of points). */
const function2 = (x: Variable): Variable => x.square().sum();

/**
 * The book's numerical_gradient: central differences, element by element, at a float64 point.
 * The point is passed as a float64 Tensor: numericalGrad rounds plain number arrays to float32
 * before it widens them to float64, which would perturb the digits this example reproduces.
 */
function numericalGradient(f: (x: Variable) => Variable, x: Tensor): Tensor {
  const [g] = numericalGrad(f, [x], h);
  if (!g) throw new Error('numericalGrad returned no gradient for a float input');
  return g;
}

/** The book's gradient_descent: x ← x − lr·∇f(x), step_num times. Returns every point visited. */
function gradientDescent(f: (x: Variable) => Variable, initX: Tensor, lr: number, stepNum: number): Tensor[] {
  const path = [initX];
  let x = initX;
  for (let i = 0; i < stepNum; i++) {
    x = x.sub(numericalGradient(f, x).mul(lr));
    path.push(x);
  }
  return path;
}

/** NumPy's way of printing a float64 array (8 significant digits, two-digit exponents). */
function formatArray(values: readonly number[]): string {
  const small = values.some((v) => v !== 0 && (Math.abs(v) < 1e-4 || Math.abs(v) >= 1e8));
  const one = (v: number) =>
    small ? v.toExponential(8).replace(/e([+-])(\d)$/, 'e$10$2') : String(Number(v.toFixed(8)));
  return `[${values.map(one).join(', ')}]`;
}

/** The figures main returns. */
export interface NumericalGradientResult {
  /** numerical f1'(5) and f1'(10) (book: 0.1999999999990898, 0.2999999999986347) and autograd's exact values. */
  derivative: { x: number; numerical: number; exact: number }[];
  /** numerical and exact gradients of x0² + x1² (book: [6, 8], [0, 4], [6, 0]). */
  gradient: { point: number[]; numerical: number[]; exact: number[] }[];
  /** Where gradient descent ends after `steps` steps from (−3, 4), per learning rate. */
  descent: { lr: number; steps: number; final: number[] }[];
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<NumericalGradientResult> {
  const dir = outputDir('numerical-gradient', options);
  const steps = numberOption(options, 'steps', 100);
  const files: string[] = [];
  const save = async (spec: TopLevelSpec, name: string) => {
    const saved = await saveChart(spec, `${dir}/numerical-gradient-${name}`);
    files.push(saved.svg, saved.png);
  };

  // ---- 1. The derivative of function_1 (§3.3.2) ------------------------------------------------
  const derivative = [5, 10].map((at) => ({
    x: at,
    numerical: numericalGradient(function1, tensor(at, f64)).item(),
    exact: grad(function1)(tensor(at, f64)).item(), // d/dx (0.01x² + 0.1x) = 0.02x + 0.1
  }));
  const bookDerivative = ['0.1999999999990898', '0.2999999999986347'];
  console.log('derivative of f(x) = 0.01x² + 0.1x, central difference with h = 1e-4');
  derivative.forEach((d, i) =>
    console.log(`  f'(${d.x}) ≈ ${d.numerical}   book: ${bookDerivative[i]}   exact (autograd): ${d.exact}`),
  );

  // The tangent line at x touches f there with slope f'(x): y = f'(x)·(t − x) + f(x) (the book's tangent_line).
  const xs = arange(0, 20, 0.1, f64);
  const f1Values = function1Tensor(xs);
  const tangents = derivative.map((d) => ({
    name: `tangent at x = ${d.x}`,
    x: xs.toArray() as number[],
    y: xs
      .sub(d.x)
      .mul(d.numerical)
      .add(function1Tensor(tensor(d.x, f64)))
      .toArray() as number[],
  }));
  await save(
    lineChart([{ name: 'f(x)', x: xs.toArray() as number[], y: f1Values.toArray() as number[] }, ...tangents], {
      title: 'f(x) = 0.01x² + 0.1x and its tangents (figure 4-7)',
      xLabel: 'x',
      yLabel: 'f(x)',
      yDomain: [-1, 6],
    }),
    'tangent',
  );

  // ---- 2. The gradient of function_2 (§3.3.3, §3.4) ----------------------------------------------
  const points = [
    [3, 4],
    [0, 2],
    [3, 0],
  ];
  const gradient = points.map((point) => ({
    point,
    numerical: numericalGradient(function2, tensor(point, f64)).toArray() as number[],
    exact: grad(function2)(tensor(point, f64)).data.toArray() as number[], // ∇f = (2x0, 2x1)
  }));
  const bookGradient = ['[6. 8.]', '[0. 4.]', '[6. 0.]'];
  console.log('\ngradient of f(x0, x1) = x0² + x1²');
  gradient.forEach((g, i) => {
    console.log(
      `  at (${g.point.join(', ')}): numerical [${g.numerical.join(', ')}]   book: ${bookGradient[i]}   exact (autograd): [${g.exact.join(', ')}]`,
    );
  });
  console.log(
    `  (the partial derivatives of §3.3.3 at (3, 4): ∂f/∂x0 ≈ ${gradient[0].numerical[0]}, ∂f/∂x1 ≈ ${gradient[0].numerical[1]})`,
  );

  // The field of −∇f on the book's grid (−2 … 2.25 in steps of 0.25): every arrow points to the
  // minimum at (0, 0), longer the farther away it starts. The book's numerical_gradient takes a
  // batch of points one row at a time; the gradient of Σ_rows f(row) gives each row's gradient at once.
  const ticks = arange(-2, 2.5, 0.25, f64).toArray() as number[];
  const grid = tensor(
    ticks.flatMap((x1) => ticks.map((x0) => [x0, x1])),
    f64,
  );
  const field = numericalGradient(function2, grid).toArray() as number[][];
  await save(
    vectorField(
      grid.toArray() as number[][],
      field.map(([g0, g1]) => [-g0, -g1]),
      'The gradient field −∇f of x0² + x1² (figure 4-9)',
    ),
    'field',
  );

  // ---- 3. Gradient descent (§3.4.1) ----------------------------------------------------------------
  const initX = tensor([-3.0, 4.0], f64);
  const runs = [0.1, 10, 1e-10].map((lr) => ({ lr, path: gradientDescent(function2, initX, lr, steps) }));
  const descent = runs.map(({ lr, path }) => ({ lr, steps, final: path[path.length - 1].toArray() as number[] }));
  const bookDescent: Record<number, string> = {
    0.1: '[-6.11110793e-10, 8.14814391e-10]',
    10: '[-2.58983747e+13, -1.29524862e+12]',
    1e-10: '[-2.99999994, 3.99999992]',
  };
  console.log(`\ngradient descent on x0² + x1² from (-3, 4), ${steps} steps`);
  for (const d of descent) {
    console.log(
      `  lr = ${String(d.lr).padEnd(5)}: x = ${formatArray(d.final)}${steps === 100 ? `   book: ${bookDescent[d.lr]}` : ''}`,
    );
  }
  // Why lr = 10 stops near 1e13 instead of growing as 19^100: each step multiplies x by about
  // 1 − 2·10 = −19, and f = x0² + x1² grows as x². Its rounding error (~|x|²·1e-16) soon swamps the
  // change 4·|x|·h that the central difference measures, so the estimates turn to noise; once
  // x ± 1e-4 rounds to x itself (|x| > ~1e12) they are exactly 0 and x stops moving (step 10).

  // For the picture, each path stops at its first point outside the frame: the lr = 10 path
  // reaches 1e13, and the PNG renderer drops a line whose coordinates are that far out.
  const xDomain: [number, number] = [-3.5, 3.5];
  const yDomain: [number, number] = [-4.5, 4.5];
  const inside = ([x0, x1]: number[]) => x0 >= xDomain[0] && x0 <= xDomain[1] && x1 >= yDomain[0] && x1 <= yDomain[1];
  const drawn = runs.map(({ lr, path }) => {
    const points = path.map((p) => p.toArray() as number[]);
    const firstOutside = points.findIndex((p) => !inside(p));
    const shown = firstOutside < 0 ? points : points.slice(0, firstOutside + 1);
    return { name: `lr = ${lr}`, x: shown.map((p) => p[0]), y: shown.map((p) => p[1]) };
  });
  await save(
    // lr = 10 first, so the lr = 0.1 path, which runs along the same line, is drawn on top of it.
    pathPlot([drawn[1], drawn[2], drawn[0]], {
      title: 'Gradient descent from (-3, 4) (figure 4-10)',
      contour: { f: (x0, x1) => x0 * x0 + x1 * x1, xDomain, yDomain },
    }),
    'path',
  );
  // The distance to the minimum per step, on a log scale: lr = 0.1 shrinks it by 0.8 every step;
  // lr = 10 multiplies it by 19 until the estimate collapses; lr = 1e-10 leaves it at 5.
  await save(
    lineChart(
      runs.map(({ lr, path }) => ({
        name: `lr = ${lr}`,
        y: path.map((p) => Math.hypot(...(p.toArray() as number[]))),
      })),
      { title: 'Distance to the minimum during gradient descent', xLabel: 'step', yLabel: '|x|', logY: true },
    ),
    'distance',
  );
  console.log(`\nwrote ${files.filter((f) => f.endsWith('.png')).join(', ')}`);

  return { derivative, gradient, descent, files };
}

/** function_1 on plain tensors, for drawing. */
function function1Tensor(x: Tensor): Tensor {
  return x.square().mul(0.01).add(x.mul(0.1));
}

/**
 * Arrows (the book's plt.quiver): a rule from each point along its vector plus a triangle at the
 * tip turned to the vector's direction. Vectors are scaled so the longest is 0.9 grid steps.
 */
function vectorField(at: number[][], vectors: number[][], title: string): TopLevelSpec {
  const longest = Math.max(...vectors.map(([u, v]) => Math.hypot(u, v)));
  const spacing = Math.abs(at[1][0] - at[0][0]);
  const scale = (0.9 * spacing) / longest;
  const arrows = at.map(([x, y], i) => {
    const [u, v] = vectors[i];
    // Vega turns a symbol clockwise from pointing up: the angle of (u, v) measured from +y towards +x.
    return {
      x,
      y,
      x2: x + scale * u,
      y2: y + scale * v,
      angle: (Math.atan2(u, v) * 180) / Math.PI,
      length: Math.hypot(u, v),
    };
  });
  const lo = Math.min(...at.flat()) - spacing;
  const hi = Math.max(...at.flat()) + spacing;
  const axis = (field: string, title: string) => ({
    field,
    type: 'quantitative',
    title,
    scale: { domain: [lo, hi], nice: false },
  });
  const color = { field: 'length', type: 'quantitative', title: '|∇f|', scale: { scheme: 'viridis' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 400,
    height: 400,
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', background: 'white' },
    data: { values: arrows },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x: axis('x', 'x0'), y: axis('y', 'x1'), x2: { field: 'x2' }, y2: { field: 'y2' }, color },
      },
      {
        mark: { type: 'point', shape: 'triangle-up', filled: true, size: 30 },
        encoding: {
          x: { field: 'x2', type: 'quantitative' },
          y: { field: 'y2', type: 'quantitative' },
          angle: { field: 'angle', type: 'quantitative', scale: null },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}

runIfMain(import.meta.url, main);
