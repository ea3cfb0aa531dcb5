import { Generator, type NestedInput, Tensor, formatShape, randn, tensor, zeros, sameShape } from '@nn/tensor';
// variable.js first, as in the package index: it loads function.js before the op modules that extend Function.
import { Variable } from '../variable.js';
import { gradients } from '../engine.js';
import { AutogradError } from '../errors.js';
import { enableGrad } from '../mode.js';

/**
 * Gradient checking: compare the gradients the engine computes (each node's `backward`) with
 * gradients estimated by central differences, (f(x + h) − f(x − h)) / 2h, the seeds'
 * `numerical_gradient` (001 §3.4, §4.7.3). Everything runs in float64: with h = 1e-6 the
 * truncation error of a central difference is O(h²) ≈ 1e-12 and its rounding error about
 * ε·|f|/h ≈ 1e-10·|f|, both far below the tolerances; in float32 (ε ≈ 1e-7) the rounding error
 * alone would be ~0.1·|f| and no tolerance could tell a right backward from a wrong one.
 */

/** A function under test: Variables in, one Variable out (any shape; see `numericalGrad`). */
export type GradcheckFunction = (...inputs: Variable[]) => Variable;

/**
 * An input to check. Floating Tensors, numbers and nested arrays are differentiated (as float64
 * copies); a Variable with `requiresGrad: false` and integer or bool tensors (indices, masks) are
 * passed through as constants.
 */
export type GradcheckInput = Variable | Tensor | NestedInput;

/** Options shared by `numericalGrad`, `gradcheck` and `gradgradcheck`. */
export interface NumericalGradOptions {
  /**
   * Seed of the fixed random projection that reduces a non-scalar output to a scalar (default 0).
   * The same seed gives the same projection, so numerical and analytic sides agree on it.
   */
  seed?: number;
}

/** Tolerances of `gradcheck` (PyTorch's defaults). */
export interface GradcheckOptions extends NumericalGradOptions {
  /** Step of the central difference (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). An element passes when |analytic − numerical| ≤ atol + rtol·|numerical|. */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /**
   * How far two runs of backward on the same inputs may differ (default 0: bit-identical). The
   * engine is deterministic, so any difference means a node keeps state between calls.
   */
  nondetTol?: number;
}

/** The result for one input of `gradcheck`. */
export interface GradcheckInputReport {
  /** Position among the arguments of `f`. */
  index: number;
  /** The Variable's name, or `x0`, `x1`, ... */
  name: string;
  shape: readonly number[];
  /** False when an element is out of tolerance or a problem was found. */
  ok: boolean;
  /** max |analytic − numerical| over the elements (0 for an empty input). */
  maxAbsError: number;
  /** max |analytic − numerical| / max(|analytic|, |numerical|), elements where both are 0 excluded. */
  maxRelError: number;
  /**
   * Index of the element furthest out of tolerance, i.e. with the largest
   * |analytic − numerical| / (atol + rtol·|numerical|); null for an empty input.
   */
  worstIndex: number[] | null;
  /** The engine's gradient (float64; zeros where backward gave none). */
  analytic: Tensor;
  /** The central-difference estimate (float64). */
  numerical: Tensor;
  /** What went wrong besides tolerance: a gradient of the wrong shape or dtype, NaN, nondeterminism. */
  problems: string[];
}

/** What `gradcheck` and `gradgradcheck` return. */
export interface GradcheckReport {
  /** True when every checked input passed and no problem was found. */
  ok: boolean;
  /** `'gradcheck'` or `'gradgradcheck'`. */
  kind: 'gradcheck' | 'gradgradcheck';
  /** One entry per differentiated input (constants are skipped). */
  inputs: GradcheckInputReport[];
  /** The shape of f's output. */
  outputShape: readonly number[];
  /** Problems that concern the whole check, e.g. an output that is not float64. */
  problems: string[];
  /** The tolerances used. */
  options: Required<GradcheckOptions>;
}

/**
 * Thrown by `assertGradcheck` and `assertGradgradcheck`; the message is the failure table and
 * `report` the full report.
 *
 * @example
 * try { assertGradcheck(f, [x]); } catch (e) { if (e instanceof GradcheckError) console.log(e.report.inputs[0].worstIndex); }
 */
export class GradcheckError extends AutogradError {
  override name = 'GradcheckError';
  constructor(
    message: string,
    readonly report: GradcheckReport,
  ) {
    super(message);
  }

  /**
   * The message without the report's tensors. Test runners serialise thrown errors by walking
   * every property and getter; a Tensor's `T` getter returns a new Tensor each time, so walking a
   * report never ends (vitest dies with "Maximum call stack size exceeded").
   */
  toJSON(): { name: string; message: string; stack: string | undefined } {
    return { name: this.name, message: this.message, stack: this.stack };
  }
}

const DEFAULTS: Required<GradcheckOptions> = { eps: 1e-6, atol: 1e-5, rtol: 1e-3, nondetTol: 0, seed: 0 };

// ---- inputs ----------------------------------------------------------------------------------------

/** An argument of f, ready to be wrapped again and again in fresh Variables. */
interface Prepared {
  /** float64, contiguous, offset 0, owned by us (perturbed in place) when `differentiable`. */
  data: Tensor;
  differentiable: boolean;
  name: string;
}

function prepare(inputs: readonly GradcheckInput[]): Prepared[] {
  return inputs.map((input, i) => {
    const name = (input instanceof Variable ? input.name : null) ?? `x${i}`;
    // Plain numbers and arrays go straight to float64: through float32 they would lose their low digits.
    const source =
      input instanceof Variable ? input.data : input instanceof Tensor ? input : tensor(input, { dtype: 'float64' });
    const floating = source.dtype === 'float32' || source.dtype === 'float64';
    const constant = !floating || (input instanceof Variable && !input.requiresGrad);
    // astype always copies into fresh contiguous storage, so perturbing it never touches the caller's data.
    const data = floating ? source.astype('float64') : source;
    return { data, differentiable: !constant, name };
  });
}

/** Fresh leaves over the prepared data: a new graph for every evaluation of f. */
function leaves(prepared: readonly Prepared[]): Variable[] {
  return prepared.map((p) => new Variable(p.data, { name: p.name, requiresGrad: p.differentiable }));
}

function callF(f: GradcheckFunction, xs: Variable[], what: string): Variable {
  const y = f(...xs);
  if (!(y instanceof Variable)) {
    throw new AutogradError(`${what}: f must return a Variable, got ${y === null ? 'null' : typeof y}`);
  }
  return y;
}

/**
 * The weights that reduce a non-scalar output y to the scalar Σ y·w; null for a one-element
 * output (used as is). Random rather than all ones: Σ y alone would hide an error that cancels in
 * the sum — the gradient of Σ softmax(x) is 0 whatever softmax's backward does.
 */
function projectionFor(shape: readonly number[], seed: number): Tensor | null {
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 1) return null;
  return randn(shape, { dtype: 'float64', generator: new Generator(seed + 0x5eed) });
}

function scalarOf(y: Variable, projection: Tensor | null): number {
  if (projection === null) return y.data.item();
  const values = y.data.toTypedArray();
  const weights = projection.data;
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] * weights[i];
  return total;
}

// ---- numerical gradients -----------------------------------------------------------------------------

function numerical(
  f: GradcheckFunction,
  prepared: readonly Prepared[],
  projection: Tensor | null,
  outputShape: readonly number[],
  eps: number,
): (Tensor | null)[] {
  const evaluate = (): number => {
    const y = callF(f, leaves(prepared), 'numericalGrad');
    if (!sameShape(y.shape, outputShape)) {
      throw new AutogradError(
        `numericalGrad: f's output changed shape from ${formatShape(outputShape)} to ${formatShape(y.shape)} when an input moved by ${eps}`,
      );
    }
    return scalarOf(y, projection);
  };
  return prepared.map((p) => {
    if (!p.differentiable) return null;
    const values = p.data.data as Float64Array;
    const out = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) {
      const original = values[j];
      values[j] = original + eps;
      const plus = evaluate();
      values[j] = original - eps;
      const minus = evaluate();
      values[j] = original;
      out[j] = (plus - minus) / (2 * eps);
    }
    return new Tensor(out, p.data.shape);
  });
}

/**
 * The gradient of `f` at `inputs` by central differences, one element at a time, as the seeds'
 * `numerical_gradient`: ∂f/∂xⱼ ≈ (f(x + h·eⱼ) − f(x − h·eⱼ)) / 2h. Inputs are converted to
 * float64 copies first (the caller's data is never touched) and f is evaluated with recording on,
 * so it may itself call backward (this is how `gradgradcheck` differentiates a gradient).
 *
 * f should return a scalar. A non-scalar output y is reduced to Σ y·w with a fixed random `w`
 * (standard normal, drawn from `options.seed`), the same for every evaluation; `gradcheck` seeds
 * backward with the same `w`, so both sides compute the same vector–Jacobian product.
 *
 * Returns one float64 Tensor per input, or null for an input passed as a constant (an integer
 * tensor, or a Variable with `requiresGrad: false`). Costs 2 evaluations of f per element.
 *
 * @example
 * numericalGrad((x) => x.mul(x), [3])[0]?.item();                 // ≈ 6
 * numericalGrad((x) => x.mul(x).sum(), [[3, 4]])[0]?.toArray();  // ≈ [6, 8]
 */
export function numericalGrad(
  f: GradcheckFunction,
  inputs: readonly GradcheckInput[],
  eps = DEFAULTS.eps,
  options: NumericalGradOptions = {},
): (Tensor | null)[] {
  checkEps(eps);
  const prepared = prepare(inputs);
  return enableGrad(() => {
    const outputShape = callF(f, leaves(prepared), 'numericalGrad').shape;
    return numerical(f, prepared, projectionFor(outputShape, options.seed ?? DEFAULTS.seed), outputShape, eps);
  });
}

function checkEps(eps: number): void {
  if (!(eps > 0) || !Number.isFinite(eps))
    throw new AutogradError(`gradcheck: eps must be a positive finite number, got ${eps}`);
}

// ---- analytic gradients ------------------------------------------------------------------------------

interface Analytic {
  outputShape: readonly number[];
  outputDtype: string;
  grads: (Tensor | null)[];
  problems: string[][];
}

function analytic(f: GradcheckFunction, prepared: readonly Prepared[], seed: number): Analytic {
  const xs = leaves(prepared);
  const y = callF(f, xs, 'gradcheck');
  const projection = projectionFor(y.shape, seed);
  const problems = prepared.map((): string[] => []);
  const wanted = xs.filter((_, i) => prepared[i].differentiable);
  // An output that does not require grad does not depend on any input through the graph: all
  // gradients are zero as far as the engine knows (the numerical side will say if that is wrong).
  const found = y.requiresGrad
    ? gradients(y, wanted, projection === null ? {} : { gradOutputs: [projection] })
    : wanted.map(() => null);
  let k = 0;
  const grads = prepared.map((p, i) => {
    if (!p.differentiable) return null;
    const g = found[k++];
    if (g === null) return zeros(p.data.shape, { dtype: 'float64' });
    if (!sameShape(g.shape, p.data.shape)) {
      problems[i].push(`the gradient has shape ${formatShape(g.shape)}, the input ${formatShape(p.data.shape)}`);
      return zeros(p.data.shape, { dtype: 'float64' });
    }
    if (g.dtype !== 'float64') problems[i].push(`the gradient has dtype ${g.dtype} for a float64 input`);
    return g.data.astype('float64');
  });
  return { outputShape: y.shape, outputDtype: y.dtype, grads, problems };
}

// ---- gradcheck ---------------------------------------------------------------------------------------

/**
 * Checks the gradients of `f` at `inputs`: the engine's (backward of every node in f's graph)
 * against central differences, in float64. Never throws for a wrong gradient; read `report.ok`
 * and `report.inputs[i]` (or use `assertGradcheck`, which throws a readable table).
 *
 * An element passes when |analytic − numerical| ≤ atol + rtol·|numerical| (defaults eps 1e-6,
 * atol 1e-5, rtol 1e-3, as PyTorch's gradcheck). A non-scalar output is checked through a fixed
 * random projection (see `numericalGrad`). Backward also runs twice and the two results must agree
 * within `nondetTol`.
 *
 * @example
 * const report = gradcheck((x, W) => x.matmul(W).tanh().sum(), [randn([2, 3]), randn([3, 4])]);
 * report.ok;                     // true
 * report.inputs[1].maxAbsError;  // ~1e-10
 */
export function gradcheck(
  f: GradcheckFunction,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions = {},
): GradcheckReport {
  return check('gradcheck', f, prepare(inputs), options);
}

function check(
  kind: GradcheckReport['kind'],
  f: GradcheckFunction,
  prepared: Prepared[],
  options: GradcheckOptions,
): GradcheckReport {
  const settings: Required<GradcheckOptions> = { ...DEFAULTS, ...definedOnly(options) };
  checkEps(settings.eps);
  if (!prepared.some((p) => p.differentiable)) {
    throw new AutogradError(
      `${kind}: no input to differentiate (all are integer tensors or Variables with requiresGrad false)`,
    );
  }
  return enableGrad(() => {
    const first = analytic(f, prepared, settings.seed);
    const second = analytic(f, prepared, settings.seed);
    const problems: string[] = [];
    if (first.outputDtype !== 'float64') {
      problems.push(
        `f returned a ${first.outputDtype} output although its inputs are float64 (a float32 constant inside f?); the check needs float64 throughout`,
      );
    }
    const projection = projectionFor(first.outputShape, settings.seed);
    const estimates = numerical(f, prepared, projection, first.outputShape, settings.eps);
    const reports: GradcheckInputReport[] = [];
    prepared.forEach((p, i) => {
      if (!p.differentiable) return;
      const a = first.grads[i]!;
      const n = estimates[i]!;
      const inputProblems = first.problems[i].slice();
      const drift = maxAbsDifference(a, second.grads[i]!);
      if (!(drift <= settings.nondetTol)) {
        inputProblems.push(
          `backward is not deterministic: two runs differ by ${drift.toExponential(2)} (nondetTol ${settings.nondetTol})`,
        );
      }
      reports.push(compare(i, p, a, n, settings, inputProblems));
    });
    return {
      ok: problems.length === 0 && reports.every((r) => r.ok),
      kind,
      inputs: reports,
      outputShape: first.outputShape,
      problems,
      options: settings,
    };
  });
}

function compare(
  index: number,
  p: Prepared,
  a: Tensor,
  n: Tensor,
  settings: Required<GradcheckOptions>,
  problems: string[],
): GradcheckInputReport {
  const av = a.data;
  const nv = n.data;
  let maxAbsError = 0;
  let maxRelError = 0;
  let worst = -1;
  let worstRatio = -1;
  let failures = 0;
  let nonFinite = false;
  for (let j = 0; j < av.length; j++) {
    const diff = Math.abs(av[j] - nv[j]);
    // NaN compares false everywhere: count it as the worst possible error.
    const error = Number.isNaN(diff) ? Infinity : diff;
    if (!Number.isFinite(av[j]) || !Number.isFinite(nv[j])) nonFinite = true;
    const scale = Math.max(Math.abs(av[j]), Math.abs(nv[j]));
    const allowed = settings.atol + settings.rtol * Math.abs(nv[j]);
    const ratio = error / allowed;
    if (error > maxAbsError) maxAbsError = error;
    if (scale > 0 && error / scale > maxRelError) maxRelError = error / scale;
    if (Number.isNaN(scale)) maxRelError = Infinity;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = j;
    }
    if (!(error <= allowed)) failures++;
  }
  if (nonFinite)
    problems.push('NaN or infinity in the analytic or numerical gradient (is the input in the domain of every op?)');
  return {
    index,
    name: p.name,
    shape: p.data.shape,
    ok: failures === 0 && problems.length === 0,
    maxAbsError,
    maxRelError,
    worstIndex: worst < 0 ? null : unravel(worst, p.data.shape),
    analytic: a,
    numerical: n,
    problems,
  };
}

// ---- gradgradcheck -----------------------------------------------------------------------------------

/**
 * Checks second derivatives: the gradient, computed by the engine with `createGraph`, is itself
 * differentiated by the engine and compared with central differences of that first-order gradient.
 * Concretely it gradchecks g(x) = Σᵢ Σ (∂(Σ f(x)·w)/∂xᵢ) · vᵢ, with w (for a non-scalar output) and
 * each vᵢ fixed random float64 tensors drawn from `options.seed`. Passing needs every backward on
 * the path to be written in differentiable operations (see STYLE.md, "backward is written in
 * graph ops"). The first-order check is not repeated: run `gradcheck` as well.
 *
 * @example
 * gradgradcheck((x) => x.sin().mul(x).sum(), [randn([3])]).ok; // true
 */
export function gradgradcheck(
  f: GradcheckFunction,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const seed = options.seed ?? DEFAULTS.seed;
  const prepared = prepare(inputs);
  const directions = prepared.map((p, i) =>
    p.differentiable ? randn(p.data.shape, { dtype: 'float64', generator: new Generator(seed + 1000 + i) }) : null,
  );
  const firstOrder: GradcheckFunction = (...xs) => {
    const y = callF(f, xs, 'gradgradcheck');
    const projection = projectionFor(y.shape, seed);
    const wanted = xs.filter((_, i) => prepared[i].differentiable);
    const grads = y.requiresGrad
      ? gradients(y, wanted, { createGraph: true, ...(projection === null ? {} : { gradOutputs: [projection] }) })
      : wanted.map(() => null);
    let total: Variable | null = null;
    let k = 0;
    prepared.forEach((p, i) => {
      if (!p.differentiable) return;
      const g = grads[k++];
      if (g === null) return;
      const term = g.mul(directions[i]!).sum();
      total = total === null ? term : total.add(term);
    });
    // No input reaches the output: g is the constant 0 (and so are its derivatives).
    return total ?? new Variable(zeros([], { dtype: 'float64' }), { requiresGrad: false });
  };
  return check('gradgradcheck', firstOrder, prepared, options);
}

// ---- assertions and formatting -------------------------------------------------------------------------

/**
 * `gradcheck` that throws a `GradcheckError` with a table of the failing inputs (worst element,
 * analytic vs numerical value) when the check fails, and returns the report when it passes.
 *
 * @example
 * it('Swish has a correct backward', () => {
 *   assertGradcheck((x) => swish(x).sum(), [randn([3, 4])]);
 * });
 */
export function assertGradcheck(
  f: GradcheckFunction,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions = {},
): GradcheckReport {
  return assertReport(gradcheck(f, inputs, options));
}

/**
 * `gradgradcheck` that throws a `GradcheckError` with a readable table when the check fails.
 *
 * @example
 * assertGradgradcheck((x) => x.tanh().sum(), [randn([4])]);
 */
export function assertGradgradcheck(
  f: GradcheckFunction,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions = {},
): GradcheckReport {
  return assertReport(gradgradcheck(f, inputs, options));
}

function assertReport(report: GradcheckReport): GradcheckReport {
  if (!report.ok) throw new GradcheckError(formatGradcheckReport(report), report);
  return report;
}

/**
 * The report as a table, one row per input (✓ or ✗), with the worst element's analytic and
 * numerical values, followed by any problems.
 *
 * @example
 * console.log(formatGradcheckReport(gradcheck(f, inputs)));
 * // gradcheck passed (eps 1e-6, atol 1e-5, rtol 0.001), output shape (2,3)
 * //    input  shape  max abs err  max rel err  worst index  analytic   numerical
 * // ✓  x      (2,3)  1.6e-10      9.1e-10      [0, 0]       0.0598303  0.0598303
 */
export function formatGradcheckReport(report: GradcheckReport): string {
  const { eps, atol, rtol } = report.options;
  const tolerance = (v: number): string => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v));
  const head = `${report.kind} ${report.ok ? 'passed' : 'FAILED'} (eps ${tolerance(eps)}, atol ${tolerance(atol)}, rtol ${tolerance(rtol)}), output shape ${formatShape(report.outputShape)}`;
  const rows = [['', 'input', 'shape', 'max abs err', 'max rel err', 'worst index', 'analytic', 'numerical']];
  for (const r of report.inputs) {
    const at = r.worstIndex === null ? null : flatIndex(r.worstIndex, r.shape);
    rows.push([
      r.ok ? '✓' : '✗',
      r.name,
      formatShape(r.shape),
      r.maxAbsError.toExponential(1),
      r.maxRelError.toExponential(1),
      r.worstIndex === null ? '-' : `[${r.worstIndex.join(', ')}]`,
      at === null ? '-' : formatNumber(r.analytic.data[at]),
      at === null ? '-' : formatNumber(r.numerical.data[at]),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = [
    head,
    ...rows.map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    ),
  ];
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  for (const r of report.inputs) for (const problem of r.problems) lines.push(`  ${r.name}: ${problem}`);
  return lines.join('\n');
}

// ---- helpers ---------------------------------------------------------------------------------------------

function formatNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}

function maxAbsDifference(a: Tensor, b: Tensor): number {
  let max = 0;
  for (let j = 0; j < a.data.length; j++) {
    const d = Math.abs(a.data[j] - b.data[j]);
    if (!(d <= max)) max = d; // NaN wins
  }
  return max;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return index;
}

function flatIndex(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
  return flat;
}

function definedOnly(options: GradcheckOptions): Partial<GradcheckOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<GradcheckOptions>;
}
