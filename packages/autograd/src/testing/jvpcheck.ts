import { type Tensor, formatShape, sameShape } from '@nn/tensor';
// variable.js first, as in the package index: it loads function.js before the op modules that extend Function.
import { Variable } from '../variable.js';
import { AutogradError } from '../errors.js';
import { noGrad } from '../mode.js';
import { type Outputs, jvp } from '../transforms.js';

/**
 * Forward-mode checking: the tangents `jvp` computes (each node's `jvp` rule) against the
 * central-difference directional derivative (f(x + h·v) − f(x − h·v)) / 2h, in float64, with the
 * same step and tolerances as gradcheck (h = 1e-6, atol 1e-5, rtol 1e-3; see gradcheck.ts for
 * why float64 and this h). One jvp and two evaluations of f per check, whatever the sizes.
 */

/** A function under test: Variables in, a Variable or arrays / objects of Variables out. */
export type JvpcheckFunction = (...inputs: Variable[]) => Outputs;

/** Step and tolerances of `jvpcheck`. */
export interface JvpcheckOptions {
  /** Step of the central difference along the tangents (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5): an element passes when |jvp − numerical| ≤ atol + rtol·|numerical|. */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
}

/** The result for one output (a Variable of f's output tree). */
export interface JvpcheckOutputReport {
  /** Where the output sits in f's result: `output`, `output[1]`, `output.loss`. */
  path: string;
  shape: readonly number[];
  ok: boolean;
  /** max |jvp − numerical| over the elements (0 for an empty output). */
  maxAbsError: number;
  /** The tangent jvp computed (float64). */
  analytic: Tensor;
  /** The central-difference estimate (float64). */
  numerical: Tensor;
  /** What went wrong besides tolerance: a tangent of the wrong shape, an output jvp changed. */
  problems: string[];
}

/** What `jvpcheck` returns. */
export interface JvpcheckReport {
  ok: boolean;
  outputs: JvpcheckOutputReport[];
  options: Required<JvpcheckOptions>;
}

const DEFAULTS: Required<JvpcheckOptions> = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };

/** The Variables of an output tree with their paths, in order. */
function flatten(value: unknown, path = 'output', out: [string, Variable][] = []): [string, Variable][] {
  if (value instanceof Variable) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object')
    for (const [key, v] of Object.entries(value)) flatten(v, `${path}.${key}`, out);
  else throw new AutogradError(`jvpcheck: f returned ${typeof value} at ${path}; expected Variables`);
  return out;
}

/** f at `inputs` with `tangents` added `scale` times (float inputs only), without recording. */
function shifted(f: JvpcheckFunction, inputs: readonly Tensor[], tangents: readonly (Tensor | null)[], scale: number) {
  return noGrad(() =>
    flatten(
      f(
        ...inputs.map((x, i) => {
          const t = tangents[i];
          return new Variable(t === null ? x : x.add(t.mul(scale)), { requiresGrad: false });
        }),
      ),
    ),
  );
}

/**
 * The central-difference directional derivative of every output of `f` at `inputs` along
 * `tangents` (null for an input held fixed), in float64: one Tensor per output, in the order of
 * f's output tree.
 *
 * @example
 * numericalJvp((x) => x.square(), [tensor([1, 2], { dtype: 'float64' })], [tensor([1, 0], { dtype: 'float64' })]);
 * // [≈ [2, 0]]
 */
export function numericalJvp(
  f: JvpcheckFunction,
  inputs: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  eps = DEFAULTS.eps,
): Tensor[] {
  const xs = inputs.map((x) => (x.dtype === 'float32' ? x.astype('float64') : x));
  const ts = tangents.map((t) => (t === null ? null : t.astype('float64')));
  const plus = shifted(f, xs, ts, eps);
  const minus = shifted(f, xs, ts, -eps);
  return plus.map(([, y], k) =>
    y.data
      .astype('float64')
      .sub(minus[k][1].data.astype('float64'))
      .div(2 * eps),
  );
}

/**
 * Checks `jvp(f, inputs, tangents)` against `numericalJvp` in float64 (float32 inputs are
 * widened). Never throws for a wrong tangent; read `report.ok` (or use `assertJvpcheck`).
 *
 * @example
 * const x = tensor([0.5, 1], { dtype: 'float64' });
 * jvpcheck((v) => v.tanh(), [x], [tensor([1, -2], { dtype: 'float64' })]).ok; // true
 */
export function jvpcheck(
  f: JvpcheckFunction,
  inputs: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  options: JvpcheckOptions = {},
): JvpcheckReport {
  const settings = { ...DEFAULTS, ...options };
  const xs = inputs.map((x) => (x.dtype === 'float32' ? x.astype('float64') : x));
  const ts = tangents.map((t) => (t === null ? null : t.astype('float64')));
  const primals = xs.map((x) => new Variable(x, { requiresGrad: false }));
  const [outputs, outputTangents] = jvp(f, primals, ts);
  const values = flatten(outputs);
  const analytic = flatten(outputTangents);
  const reference = shifted(f, xs, ts, 0);
  const numerical = numericalJvp(f, xs, ts, settings.eps);
  const reports = values.map(([path, y], k): JvpcheckOutputReport => {
    const problems: string[] = [];
    const t = analytic[k][1];
    const want = numerical[k];
    const fits = sameShape(t.shape, y.shape);
    if (!fits) problems.push(`the tangent has shape ${formatShape(t.shape)}, the output ${formatShape(y.shape)}`);
    const same = reference[k][1].data;
    if (!sameShape(same.shape, y.shape) || (same.size > 0 && same.sub(y.data).abs().max().item() !== 0))
      problems.push('jvp changed the output value (it must equal f at the primals)');
    const got = fits ? t.data.astype('float64') : want.mul(0);
    const diff = got.sub(want).abs();
    const limit = want.abs().mul(settings.rtol).add(settings.atol);
    const bad = diff.gt(limit).astype('int32').sum().item();
    const maxAbsError = diff.size === 0 ? 0 : diff.max().item();
    return {
      path,
      shape: y.shape,
      ok: bad === 0 && problems.length === 0,
      maxAbsError,
      analytic: got,
      numerical: want,
      problems,
    };
  });
  return { ok: reports.every((r) => r.ok), outputs: reports, options: settings };
}

/** Thrown by `assertJvpcheck`: the message names each failing output; `report` has the values. */
export class JvpcheckError extends AutogradError {
  override name = 'JvpcheckError';
  constructor(
    message: string,
    readonly report: JvpcheckReport,
  ) {
    super(message);
  }
  /** The message without the report's tensors (see GradcheckError.toJSON). */
  toJSON(): { name: string; message: string; stack: string | undefined } {
    return { name: this.name, message: this.message, stack: this.stack };
  }
}

/**
 * `jvpcheck`, throwing a `JvpcheckError` that shows the tangents side by side when it fails.
 *
 * @example
 * assertJvpcheck((a, b) => a.matmul(b), [A, B], [dA, dB]);
 */
export function assertJvpcheck(
  f: JvpcheckFunction,
  inputs: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  options: JvpcheckOptions = {},
): JvpcheckReport {
  const report = jvpcheck(f, inputs, tangents, options);
  if (report.ok) return report;
  const lines = report.outputs
    .filter((r) => !r.ok)
    .map(
      (r) =>
        `${r.path} ${formatShape(r.shape)}: max |jvp − numerical| = ${r.maxAbsError.toExponential(2)}${r.problems.map((p) => `; ${p}`).join('')}\n  jvp:       ${JSON.stringify(r.analytic.toArray())}\n  numerical: ${JSON.stringify(r.numerical.toArray())}`,
    );
  throw new JvpcheckError(
    `jvpcheck failed (eps ${report.options.eps}, atol ${report.options.atol}, rtol ${report.options.rtol}):\n${lines.join('\n')}`,
    report,
  );
}
