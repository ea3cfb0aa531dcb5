import { type DType, allocate, allocateForOutput, floatResultType } from '../dtype.js';
import { ShapeError, formatShape } from '../errors.js';
import { REDUCE_INITIAL, type ReduceOp, kernels } from '../kernels/index.js';
import type { FloatArray } from '../kernels/matmul.js';
import { broadcastStrides, contiguousStrides, normalizeAxes, normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { exp, log, sqrt, sub, square, where, div } from './elementwise.js';
import { stridedView } from './elementwise.js';

/** One axis, several, or all of them (undefined / null). Negative axes count from the end. */
export type AxisSpec = number | readonly number[] | null | undefined;

export interface ReduceOptions {
  /** Keep reduced axes as size 1, so the result broadcasts against the input (default false). */
  keepdims?: boolean;
}

export interface VarianceOptions extends ReduceOptions {
  /** Delta degrees of freedom: divide by n − ddof (default 0, NumPy's; 1 gives the sample variance). */
  ddof?: number;
}

type DTypeRule = (input: DType) => DType;
const sumType: DTypeRule = (d) => (d === 'bool' ? 'int32' : d);
const sameType: DTypeRule = (d) => d;
const boolType: DTypeRule = () => 'bool';

/** Shape after reducing `axes`, with size-1 placeholders when keepdims. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  // A plain loop: flatMap costs ~1 µs here, which shows in autograd's scalar graphs.
  const out: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (!axes.includes(d)) out.push(shape[d]);
    else if (keepdims) out.push(1);
  }
  return out;
}

function reduceWith(
  name: string,
  op: ReduceOp,
  x: Tensor,
  axis: AxisSpec,
  options: ReduceOptions,
  rule: DTypeRule,
): Tensor {
  const axes = normalizeAxes(name, axis, x.ndim);
  const kept = reducedShape(x.shape, axes, true);
  if ((op === 'max' || op === 'min') && x.size === 0 && axes.some((d) => x.shape[d] === 0)) {
    throw new ShapeError(
      `${name}: cannot reduce over a zero-size axis of shape ${formatShape(x.shape)} (no identity for ${name})`,
    );
  }
  const accumulator = new Float64Array(kept.reduce((a, b) => a * b, 1)).fill(REDUCE_INITIAL[op]);
  if (accumulator.length === 1 && x.isContiguous) {
    // Everything folds into one value: read the storage as one flat run.
    kernels().reduce(
      op,
      [x.size],
      { data: accumulator, offset: 0, strides: [0] },
      { data: x.data, offset: x.offset, strides: [1] },
    );
  } else {
    const accumulatorStrides = broadcastStrides(kept, contiguousStrides(kept), x.shape);
    kernels().reduce(op, x.shape, { data: accumulator, offset: 0, strides: accumulatorStrides }, stridedView(x));
  }
  const data = allocate(rule(x.dtype), accumulator.length);
  data.set(accumulator);
  return new Tensor(data, reducedShape(x.shape, axes, options.keepdims ?? false));
}

/** Number of elements folded into each output of a reduction over `axis`. */
function reducedCount(x: Tensor, axis: AxisSpec): number {
  return normalizeAxes('reduce', axis, x.ndim).reduce((n, d) => n * x.shape[d], 1);
}

/** Sum over axes (all by default). Float32 is accumulated in float64. @example x.sum(0, { keepdims: true }) */
export const sum = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('sum', 'sum', x, axis, options, sumType);
export const prod = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('prod', 'prod', x, axis, options, sumType);
/** Largest element over axes; NaN wins. An empty axis is an error (there is no identity). */
export const max = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('max', 'max', x, axis, options, sameType);
export const min = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('min', 'min', x, axis, options, sameType);
export const any = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('any', 'any', x, axis, options, boolType);
export const all = (x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor =>
  reduceWith('all', 'all', x, axis, options, boolType);

/** Arithmetic mean over axes; integer inputs give float32. */
export function mean(x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor {
  const total = reduceWith('mean', 'sum', x, axis, options, () => 'float64');
  return div(total, reducedCount(x, axis)).astype(floatResultType(x.dtype));
}

/** Variance over axes, two-pass (mean first) for accuracy; `ddof` 1 gives the sample variance. */
export function variance(x: Tensor, axis?: AxisSpec, options: VarianceOptions = {}): Tensor {
  const { ddof = 0, keepdims = false } = options;
  normalizeAxes('var', axis, x.ndim);
  const centered = sub(x, mean(x, axis, { keepdims: true }));
  const n = reducedCount(x, axis);
  const total = reduceWith('var', 'sum', square(centered), axis, { keepdims }, (d) => d);
  return div(total, Math.max(n - ddof, 0));
}

export function std(x: Tensor, axis?: AxisSpec, options: VarianceOptions = {}): Tensor {
  normalizeAxes('std', axis, x.ndim);
  return sqrt(variance(x, axis, options));
}

/** log Σ exp(x), shifted by the maximum so large inputs do not overflow. */
export function logsumexp(x: Tensor, axis?: AxisSpec, options: ReduceOptions = {}): Tensor {
  const axes = normalizeAxes('logsumexp', axis, x.ndim);
  const { shift, logTotal } = shiftedLogSum(x, axes);
  const result = logTotal.add(shift);
  return options.keepdims ? result : result.reshape(reducedShape(x.shape, axes, false));
}

/** x itself if it is float, else as float32 (what softmax and logsumexp compute in). */
function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float64' || x.dtype === 'float32' ? x : x.astype('float32');
}

/** The maximum (kept as size-1 axes) and log Σ exp(x − maximum): the stable core of logsumexp. */
function shiftedLogSum(x: Tensor, axes: number[]): { shift: Tensor; logTotal: Tensor } {
  const floats = asFloat(x);
  const peak = max(floats, axes, { keepdims: true });
  // An all −∞ row would give (−∞) − (−∞) = NaN; shifting it by 0 keeps the answer −∞.
  const shift = where(peak.abs().lt(Infinity), peak, 0);
  const logTotal = log(sum(exp(sub(floats, shift)), axes, { keepdims: true }));
  return { shift, logTotal };
}

/** Softmax along `axis`, subtracting the maximum first (the seeds' overflow guard). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('softmax', axis, x.ndim);
  const floats = asFloat(x);
  if (x.size === 0) return floats.clone(); // nothing to normalise; max would have no identity
  if (at === x.ndim - 1 && floats.isContiguous) return lastAxisInto(floats, 'probabilities');
  const e = exp(sub(floats, max(floats, axis, { keepdims: true })));
  return div(e, sum(e, axis, { keepdims: true }));
}

/** log(softmax(x)) computed as x − logsumexp(x), stable where softmax underflows to 0. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  // (x − max) − log Σ exp(x − max): subtracting the shift first keeps float32 precision for
  // large inputs, where x − logsumexp(x) would round logsumexp to the scale of x.
  const at = normalizeAxis('logSoftmax', axis, x.ndim);
  if (x.size === 0) return x.dtype === 'float64' ? x.clone() : x.astype('float32');
  const floats = asFloat(x);
  if (at === x.ndim - 1 && floats.isContiguous) return lastAxisInto(floats, 'logProbabilities');
  const { shift, logTotal } = shiftedLogSum(floats, [at]);
  return sub(sub(floats, shift), logTotal);
}

/**
 * softmax and log(softmax) of `x` along `axis` from one pass over the exponentials: what a
 * softmax cross-entropy needs (the loss from the logarithms, the gradient from the
 * probabilities), for half the exponentials of logSoftmax followed by exp. The probabilities are
 * exp of the logarithms as logSoftmax computes them (shifted by 0 in a row whose maximum is ±∞).
 *
 * @example
 * const { probabilities, logProbabilities } = softmaxWithLog(scores); // scores: (batch, classes)
 */
export function softmaxWithLog(x: Tensor, axis = -1): { probabilities: Tensor; logProbabilities: Tensor } {
  const at = normalizeAxis('softmaxWithLog', axis, x.ndim);
  const floats = asFloat(x);
  if (x.size === 0 || at !== x.ndim - 1 || !floats.isContiguous) {
    const logProbabilities = logSoftmax(floats, at);
    return { probabilities: exp(logProbabilities), logProbabilities };
  }
  const [probabilities, logProbabilities] = [
    allocateForOutput(floats.dtype, x.size) as FloatArray,
    allocateForOutput(floats.dtype, x.size) as FloatArray,
  ];
  lastAxisSoftmax(floats, { probabilities, logProbabilities });
  return { probabilities: new Tensor(probabilities, x.shape), logProbabilities: new Tensor(logProbabilities, x.shape) };
}

/** One of lastAxisSoftmax's outputs, as a tensor of x's shape. */
function lastAxisInto(x: Tensor, output: 'probabilities' | 'logProbabilities'): Tensor {
  const out = allocateForOutput(x.dtype, x.size) as FloatArray;
  lastAxisSoftmax(x, { [output]: out });
  return new Tensor(out, x.shape);
}

/**
 * softmax and/or log(softmax) along the last axis of a contiguous, non-empty float tensor into
 * the arrays given, one row at a time: max, the exponentials of x − max and their sum, then the
 * outputs, in float64 with one rounding at the end. The general path takes ten whole-tensor ops,
 * and a classifier's loss runs this on small (batch, classes) scores, where each op's fixed cost
 * outweighed the arithmetic. Same shifts as the general paths: softmax alone by the row's
 * maximum, with logarithms by 0 where that maximum is ±∞.
 */
function lastAxisSoftmax(x: Tensor, into: { probabilities?: FloatArray; logProbabilities?: FloatArray }): void {
  const { probabilities, logProbabilities } = into;
  const classes = x.shape[x.ndim - 1];
  const source = x.data;
  const exps = new Float64Array(classes);
  for (let start = 0; start < x.size; start += classes) {
    const first = x.offset + start;
    let peak = -Infinity;
    for (let k = 0; k < classes; k++) if (source[first + k] > peak) peak = source[first + k] as number;
    const shift = logProbabilities && !Number.isFinite(peak) ? 0 : peak;
    let total = 0;
    for (let k = 0; k < classes; k++) total += exps[k] = Math.exp((source[first + k] as number) - shift);
    if (logProbabilities) {
      const logTotal = Math.log(total);
      for (let k = 0; k < classes; k++) logProbabilities[start + k] = (source[first + k] as number) - shift - logTotal;
    }
    if (!probabilities) continue;
    // Unshifted exponentials of a row with an infinite maximum overflow where the logarithms did not.
    if (shift === peak) for (let k = 0; k < classes; k++) probabilities[start + k] = exps[k] / total;
    else for (let k = 0; k < classes; k++) probabilities[start + k] = Math.exp(logProbabilities![start + k]);
  }
}

// ---- arg reductions -------------------------------------------------------------------------------

function argReduce(
  name: string,
  x: Tensor,
  axis: number | undefined,
  options: ReduceOptions,
  better: (v: number, best: number) => boolean,
): Tensor {
  const flat = axis === undefined;
  const source = flat ? x.reshape([-1]) : x;
  const d = normalizeAxis(name, flat ? 0 : axis, source.ndim);
  const length = source.shape[d];
  if (length === 0)
    throw new ShapeError(`${name}: cannot take ${name} of an empty axis ${d} of shape ${formatShape(x.shape)}`);
  // Moving the axis last and copying gives each output one contiguous row to scan.
  const order = [...source.shape.keys()].filter((k) => k !== d).concat(d);
  const rows = source.transpose(order).contiguous();
  const count = rows.size / length;
  const out = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const base = rows.offset + r * length;
    let best = rows.data[base];
    let at = 0;
    for (let i = 1; i < length && best === best; i++) {
      const v = rows.data[base + i];
      if (better(v, best)) [best, at] = [v, i];
    }
    out[r] = at;
  }
  const shape = flat
    ? options.keepdims
      ? x.shape.map(() => 1)
      : []
    : reducedShape(x.shape, [d], options.keepdims ?? false);
  return new Tensor(out, shape);
}

/** Index of the largest element along `axis` (over the flattened tensor when no axis); first wins ties, NaN wins all. */
export function argmax(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argReduce('argmax', x, axis, options, (v, best) => v > best || v !== v);
}

export function argmin(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argReduce('argmin', x, axis, options, (v, best) => v < best || v !== v);
}
