import fc, { type Arbitrary } from 'fast-check';
import { type DType, Tensor, formatShape, tensor } from '@nn/tensor';
// variable.js first, as in the package index: it loads function.js before the op modules that extend Function.
import { Variable } from '../variable.js';
import { where } from '../ops/elementwise.js';
import { AutogradError } from '../errors.js';
import { noGrad } from '../mode.js';

/**
 * fast-check arbitraries for property-testing gradients: shapes, broadcast-compatible shape
 * tuples, tensors, and whole random expression graphs. Values print as code you can paste
 * (`tensor([...], { dtype: 'float64' })`), so a shrunk counterexample is readable.
 *
 * @example
 * fc.assert(fc.property(tensorOfShapeArb(shapeArb()), (x) => gradcheck((v) => swish(v), [x]).ok));
 */

// ---- shapes ----------------------------------------------------------------------------------------

/** Bounds of a random shape. */
export interface ShapeArbOptions {
  /** Fewest axes (default 0: scalars included). */
  minRank?: number;
  /** Most axes (default 3). */
  maxRank?: number;
  /** Smallest size of an axis (default 1; 0 allows empty tensors). */
  minSize?: number;
  /** Largest size of an axis (default 4). Keep it small: gradcheck costs 2 evaluations per element. */
  maxSize?: number;
}

function shapeBounds(options: ShapeArbOptions): Required<ShapeArbOptions> {
  const bounds = {
    minRank: options.minRank ?? 0,
    maxRank: options.maxRank ?? 3,
    minSize: options.minSize ?? 1,
    maxSize: options.maxSize ?? 4,
  };
  if (bounds.minRank < 0 || bounds.maxRank < bounds.minRank || bounds.minSize < 0 || bounds.maxSize < bounds.minSize) {
    throw new AutogradError(
      `shapeArb: need 0 ≤ minRank ≤ maxRank and 0 ≤ minSize ≤ maxSize, got ${JSON.stringify(bounds)}`,
    );
  }
  return bounds;
}

/**
 * Random shapes: `minRank`..`maxRank` axes, each of size `minSize`..`maxSize`. Shrinks toward
 * fewer and smaller axes.
 *
 * @example
 * shapeArb({ minRank: 1, maxRank: 2 });  // e.g. [3], [1, 4], [2, 2]
 */
export function shapeArb(options: ShapeArbOptions = {}): Arbitrary<number[]> {
  const { minRank, maxRank, minSize, maxSize } = shapeBounds(options);
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minRank, maxLength: maxRank });
}

/** Options of `broadcastShapesArb`: the bounds of the broadcast result and how many operands. */
export interface BroadcastShapesArbOptions extends ShapeArbOptions {
  /** How many shapes (default 2). */
  count?: number;
}

/**
 * Tuples of shapes that broadcast together (NumPy rules): each operand takes the trailing axes of
 * a common shape, some of them replaced by 1, so the tuples mix rank differences and size-1 axes
 * (e.g. `[[2, 1, 3], [4, 1]]`). With `minSize: 0`, empty axes appear too (broadcast against 1).
 *
 * @example
 * fc.property(broadcastShapesArb({ count: 3 }), ([a, b, c]) => { ... });
 */
export function broadcastShapesArb(options: BroadcastShapesArbOptions = {}): Arbitrary<number[][]> {
  const { minRank, maxRank, minSize, maxSize } = shapeBounds(options);
  const count = options.count ?? 2;
  if (!Number.isInteger(count) || count < 1)
    throw new AutogradError(`broadcastShapesArb: count must be a positive integer, got ${count}`);
  return shapeArb({ minRank, maxRank, minSize, maxSize }).chain((full) => {
    const rank = full.length;
    const operand = fc
      .record({
        // Each operand has at least minRank axes, at most the full rank: leading axes are dropped.
        rank: fc.integer({ min: Math.min(minRank, rank), max: rank }),
        // 1 in 4 axes becomes size 1: frequent enough to test broadcasting, rare enough to keep sizes.
        ones: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: rank, maxLength: rank }),
      })
      .map(({ rank: r, ones }) => full.slice(rank - r).map((dim, d) => (ones[rank - r + d] === 0 ? 1 : dim)));
    return fc.array(operand, { minLength: count, maxLength: count });
  });
}

// ---- tensors ---------------------------------------------------------------------------------------

/** How `tensorArb` draws elements. */
export interface TensorArbOptions {
  /** Element type (default float64, what gradcheck computes in). */
  dtype?: DType;
  /** Smallest element (default −2). */
  min?: number;
  /** Largest element (default 2). */
  max?: number;
  /**
   * Points to keep away from by at least `margin`, e.g. `[0]` for ReLU or Abs, whose derivative
   * jumps there: an element closer than `margin` is moved out to p ± margin. Keep the points more
   * than 2·margin apart.
   */
  avoid?: readonly number[];
  /** Distance kept from the `avoid` points (default 0.1). */
  margin?: number;
  /**
   * Decimal places of the elements (default 3: values like 0.125, −1.732), so a counterexample
   * reads well and shrinks toward short numbers; `null` draws any double in [min, max],
   * subnormals included.
   */
  decimals?: number | null;
  /**
   * When set, all elements are distinct with at least this gap between any two (drawn from a grid
   * on [min, max]), e.g. for Max/Min, whose gradient is only defined without ties.
   */
  distinct?: number;
}

/**
 * Random tensors of a given shape with elements in [min, max] (float64 by default).
 *
 * @example
 * tensorArb([2, 3]);                                  // float64 in [−2, 2]
 * tensorArb([4], { min: 0.1, max: 3 });               // positive, for log and sqrt
 * tensorArb([3, 3], { avoid: [0], margin: 0.05 });    // away from ReLU's kink
 * tensorArb([5], { distinct: 0.1 });                  // no ties, for max/min
 */
export function tensorArb(shape: readonly number[], options: TensorArbOptions = {}): Arbitrary<Tensor> {
  const dims = [...shape];
  const size = dims.reduce((a, b) => a * b, 1);
  const dtype = options.dtype ?? 'float64';
  const min = options.min ?? -2;
  const max = options.max ?? 2;
  if (!(min <= max)) throw new AutogradError(`tensorArb: need min ≤ max, got min=${min}, max=${max}`);
  if (
    options.decimals !== undefined &&
    options.decimals !== null &&
    !(Number.isInteger(options.decimals) && options.decimals >= 0)
  ) {
    throw new AutogradError(`tensorArb: decimals must be a non-negative integer or null, got ${options.decimals}`);
  }
  const margin = options.margin ?? 0.1;
  const avoid = options.avoid ?? [];
  const fixed = (values: readonly number[]): number[] => values.map((v) => pushAway(v, avoid, margin));
  let elements: Arbitrary<number[]>;
  if (dtype === 'bool') {
    elements = fc.array(fc.boolean(), { minLength: size, maxLength: size }).map((bs) => bs.map(Number));
  } else if (dtype === 'int32') {
    elements = fc
      .array(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), { minLength: size, maxLength: size })
      .map(fixed);
  } else if (options.distinct !== undefined) {
    const gap = options.distinct;
    const grid: number[] = [];
    for (let k = 0; min + k * gap <= max; k++) {
      const v = min + k * gap;
      if (avoid.every((p) => Math.abs(v - p) >= margin)) grid.push(Number(v.toPrecision(12)));
    }
    if (grid.length < size) {
      throw new AutogradError(
        `tensorArb: ${size} distinct elements ${gap} apart do not fit in [${min}, ${max}]; widen the range or lower distinct`,
      );
    }
    elements = fc.shuffledSubarray(grid, { minLength: size, maxLength: size });
  } else {
    const decimals = options.decimals === undefined ? 3 : options.decimals;
    const scale = decimals === null ? 0 : 10 ** decimals;
    // Fall back to doubles when the grid would have no point in [min, max].
    const element =
      decimals !== null && Math.ceil(min * scale) <= Math.floor(max * scale)
        ? fc.integer({ min: Math.ceil(min * scale), max: Math.floor(max * scale) }).map((k) => k / scale)
        : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    elements = fc.array(element, { minLength: size, maxLength: size }).map(fixed);
  }
  return elements.map((values) => printable(tensor(values, { dtype, shape: dims })));
}

/**
 * Random tensors whose shape comes from another arbitrary (e.g. `shapeArb`).
 *
 * @example
 * fc.property(tensorOfShapeArb(shapeArb({ maxRank: 2 }), { min: 0.1 }), (x) => gradcheck((v) => v.log().sum(), [x]).ok);
 */
export function tensorOfShapeArb(
  shapes: Arbitrary<readonly number[]>,
  options: TensorArbOptions = {},
): Arbitrary<Tensor> {
  return shapes.chain((shape) => tensorArb(shape, options));
}

/** Moves v out of the ±margin neighbourhood of each avoided point. */
function pushAway(v: number, avoid: readonly number[], margin: number): number {
  for (const p of avoid) {
    if (Math.abs(v - p) < margin) v = v >= p ? p + margin : p - margin;
  }
  return v;
}

/**
 * Code that recreates the tensor, for fast-check's counterexample messages (tensors drawn by
 * `tensorArb` print this way).
 *
 * @example
 * tensorToCode(tensor([[1, 2]], { dtype: 'float64' })); // "tensor([[1,2]], { dtype: 'float64' })"
 */
export function tensorToCode(t: Tensor): string {
  return `tensor(${JSON.stringify(t.toArray())}, { dtype: '${t.dtype}' })`;
}

/** Gives `t` a fast-check printer (a non-enumerable symbol property; the tensor is otherwise unchanged). */
function printable(t: Tensor): Tensor {
  Object.defineProperty(t, fc.toStringMethod, { value: () => tensorToCode(t), enumerable: false });
  return t;
}

// ---- expression graphs ---------------------------------------------------------------------------------

/**
 * The operations an expression graph is built from (F.* names; `powScalar` is pow by a constant).
 *
 * @example
 * expressionGraphArb({ ops: EXPRESSION_OPS.filter((op) => op !== 'where') });
 */
export const EXPRESSION_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'where',
  'neg',
  'exp',
  'log',
  'sqrt',
  'sin',
  'cos',
  'square',
  'abs',
  'clip',
  'powScalar',
  'tanh',
  'sigmoid',
  'relu',
  'softmax',
  'logSoftmax',
  'sum',
  'mean',
  'max',
  'min',
] as const;

/** One of `EXPRESSION_OPS`. */
export type ExpressionOp = (typeof EXPRESSION_OPS)[number];

/** Bounds of `expressionGraphArb`. */
export interface ExpressionGraphArbOptions {
  /** Fewest input Variables (default 1). */
  minInputs?: number;
  /** Most input Variables (default 3). */
  maxInputs?: number;
  /** Fewest random steps (default 1). Guards may add steps; unsafe steps are dropped. */
  minSteps?: number;
  /** Most random steps (default 6). */
  maxSteps?: number;
  /** Most axes of an input (default 3). */
  maxRank?: number;
  /** Largest size of an axis (default 3). */
  maxSize?: number;
  /** The operations to draw from (default: all of `EXPRESSION_OPS`). */
  ops?: readonly ExpressionOp[];
  /**
   * Distance every intermediate value keeps from kinks and domain edges (default 0.1): log and
   * sqrt inputs ≥ margin, |divisor| ≥ margin, ReLU/Abs inputs ≥ margin from 0, Clip inputs from
   * its bounds, and a max/min at least margin above/below the runner-up.
   */
  margin?: number;
}

/** A random differentiable program, ready for `gradcheck(graph.f, graph.inputs)`. */
export interface ExpressionGraph {
  /** The input values (float64). */
  inputs: Tensor[];
  /** Replays the program on Variables of the inputs' shapes; returns a non-scalar output in general. */
  f: (...xs: Variable[]) => Variable;
  /** The program, one line per step (`v3 = log(v2)`), with the input values as code. */
  description: string;
  /** The operations used, in order (for statistics and coverage). */
  ops: ExpressionOp[];
}

/** One step of a program: an operation on earlier values (by index) and an optional constant. */
interface Step {
  op: ExpressionOp;
  args: number[];
  /** Second operand of add/pow when it is a constant (a guard), exponent of powScalar. */
  constant?: number;
  axis?: number | undefined;
  bounds?: readonly [number, number];
  condition?: Tensor;
}

/** What fast-check draws for a step; turned into concrete Steps by `build`. */
interface Choice {
  op: ExpressionOp;
  a: number;
  b: number;
  k: number;
}

const SCALAR_EXPONENTS = [2, 3, 0.5, -1, 1.5] as const;
const CLIP_BOUNDS = [
  [-1, 1],
  [-0.5, 0.5],
  [0, 1],
  [-2, 0.3],
] as const;
/** Intermediate values stay below this magnitude, so rounding in the differences stays small. */
const BOUND = 100;

/**
 * Random expression graphs: 1–3 inputs of broadcast-compatible shapes and a short program of
 * elementwise unary/binary operations, softmaxes and keepdims reductions over them. Each step is
 * evaluated while the graph is built and kept only where it is differentiable (see `margin`):
 * log/sqrt/pow/div get a positive or non-zero operand (x² + 0.5 when the drawn one is not),
 * ReLU/Abs/Clip/Max/Min steps that would sit on a kink are dropped, exp is applied to tanh(x)
 * when x is large. Every value that no later step uses is added into the output, so every input
 * and every step matters. The result prints as its program.
 *
 * @example
 * fc.assert(fc.property(expressionGraphArb(), (g) => gradcheck(g.f, g.inputs).ok), { numRuns: 50 });
 */
export function expressionGraphArb(options: ExpressionGraphArbOptions = {}): Arbitrary<ExpressionGraph> {
  const ops = options.ops ?? EXPRESSION_OPS;
  if (ops.length === 0) throw new AutogradError('expressionGraphArb: ops must not be empty');
  const margin = options.margin ?? 0.1;
  const choice: Arbitrary<Choice> = fc.record({
    op: fc.constantFrom(...ops),
    a: fc.nat(99),
    b: fc.nat(99),
    k: fc.nat(99),
  });
  return fc
    .integer({ min: options.minInputs ?? 1, max: options.maxInputs ?? 3 })
    .chain((count) =>
      broadcastShapesArb({
        count,
        minRank: 0,
        maxRank: options.maxRank ?? 3,
        minSize: 1,
        maxSize: options.maxSize ?? 3,
      }),
    )
    .chain((shapes) =>
      fc.tuple(
        fc.tuple(...shapes.map((shape) => tensorArb(shape, { min: -2, max: 2, avoid: [0], margin }))),
        fc.array(choice, { minLength: options.minSteps ?? 1, maxLength: options.maxSteps ?? 6 }),
      ),
    )
    .map(([inputs, choices]) => build(inputs, choices, margin));
}

function build(inputs: Tensor[], choices: readonly Choice[], margin: number): ExpressionGraph {
  const steps: Step[] = [];
  // Values computed so far (inputs first), evaluated without recording to vet each step.
  const values: Variable[] = inputs.map((x) => new Variable(x, { requiresGrad: false }));
  const used = new Set<number>();
  const push = (step: Step): number | null => {
    const value = noGrad(() => apply(step, values));
    if (!withinBound(value.data)) return null;
    steps.push(step);
    values.push(value);
    for (const a of step.args) used.add(a);
    return values.length - 1;
  };
  /** An operand ≥ margin: the value itself if it is, else v² + 0.5 (two extra steps). */
  const positive = (at: number): number | null => {
    if (min(values[at].data) >= margin) return at;
    const squared = push({ op: 'square', args: [at] });
    return squared === null ? null : push({ op: 'add', args: [squared], constant: 0.5 });
  };
  for (const { op, a, b, k } of choices) {
    // Operands are counted back from the newest value, so shrinking (toward 0) gives deep chains.
    const x = values.length - 1 - (a % values.length);
    const y = values.length - 1 - (b % values.length);
    const data = values[x].data;
    switch (op) {
      case 'add':
      case 'sub':
      case 'mul':
        push({ op, args: [x, y] });
        break;
      case 'div': {
        const divisor = minAbs(values[y].data) >= margin ? y : positive(y);
        if (divisor !== null) push({ op, args: [x, divisor] });
        break;
      }
      case 'pow': {
        const base = positive(x);
        if (base !== null) push({ op, args: [base, y] });
        break;
      }
      case 'powScalar': {
        const exponent = SCALAR_EXPONENTS[k % SCALAR_EXPONENTS.length];
        const base = Number.isInteger(exponent) && exponent > 0 ? x : positive(x);
        if (base !== null) push({ op, args: [base], constant: exponent });
        break;
      }
      case 'where':
        // The condition is a constant mask (taken from x's sign pattern now), not differentiated.
        push({ op, args: [x, y], condition: data.gt(0) });
        break;
      case 'log':
      case 'sqrt': {
        const operand = positive(x);
        if (operand !== null) push({ op, args: [operand] });
        break;
      }
      case 'exp': {
        const operand = max(data) <= 4 ? x : push({ op: 'tanh', args: [x] });
        if (operand !== null) push({ op, args: [operand] });
        break;
      }
      case 'relu':
      case 'abs':
        if (minAbs(data) >= margin) push({ op, args: [x] });
        break;
      case 'clip': {
        const bounds = CLIP_BOUNDS[k % CLIP_BOUNDS.length];
        if (minAbs(data.sub(bounds[0])) >= margin && minAbs(data.sub(bounds[1])) >= margin)
          push({ op, args: [x], bounds });
        break;
      }
      case 'softmax':
      case 'logSoftmax':
        if (data.ndim > 0) push({ op, args: [x], axis: (k % data.ndim) - data.ndim });
        break;
      case 'sum':
      case 'mean':
      case 'max':
      case 'min': {
        // k picks an axis or (k % (ndim + 1) === ndim) all of them; keepdims keeps values broadcastable.
        const pick = k % (data.ndim + 1);
        const axis = pick === data.ndim ? undefined : pick;
        if ((op === 'max' || op === 'min') && extremeGap(data, axis, op) < margin) break;
        push({ op, args: [x], axis });
        break;
      }
      default:
        push({ op, args: [x] });
    }
  }
  // Add up every value nothing consumed, so each input and step reaches the output.
  const dangling = values.map((_, i) => i).filter((i) => !used.has(i));
  let out = dangling[0];
  for (const next of dangling.slice(1)) {
    const sum = push({ op: 'add', args: [out, next] });
    if (sum === null) break;
    out = sum;
  }
  const inputCount = inputs.length;
  const program = steps.slice();
  const f = (...xs: Variable[]): Variable => {
    if (xs.length !== inputCount)
      throw new AutogradError(`expression graph: expected ${inputCount} inputs, got ${xs.length}`);
    const vs = xs.slice();
    for (const step of program) vs.push(apply(step, vs));
    return vs[vs.length - 1];
  };
  const description = describe(inputs, program);
  return {
    inputs,
    f,
    description,
    ops: program.map((s) => s.op),
    toString: () => description,
    [fc.toStringMethod]: () => description,
  } as ExpressionGraph;
}

function apply(step: Step, vs: readonly Variable[]): Variable {
  const x = vs[step.args[0]];
  const y = step.args.length > 1 ? vs[step.args[1]] : null;
  const other = y ?? step.constant ?? 0;
  const keepdims = { keepdims: true };
  switch (step.op) {
    case 'add':
      return x.add(other);
    case 'sub':
      return x.sub(other);
    case 'mul':
      return x.mul(other);
    case 'div':
      return x.div(other);
    case 'pow':
      return x.pow(other);
    case 'powScalar':
      return x.pow(step.constant!);
    case 'where':
      return where(step.condition!, x, y!);
    case 'neg':
      return x.neg();
    case 'exp':
      return x.exp();
    case 'log':
      return x.log();
    case 'sqrt':
      return x.sqrt();
    case 'sin':
      return x.sin();
    case 'cos':
      return x.cos();
    case 'square':
      return x.square();
    case 'abs':
      return x.abs();
    case 'clip':
      return x.clip(step.bounds![0], step.bounds![1]);
    case 'tanh':
      return x.tanh();
    case 'sigmoid':
      return x.sigmoid();
    case 'relu':
      return x.relu();
    case 'softmax':
      return x.softmax(step.axis);
    case 'logSoftmax':
      return x.logSoftmax(step.axis);
    case 'sum':
      return x.sum(step.axis, keepdims);
    case 'mean':
      return x.mean(step.axis, keepdims);
    case 'max':
      return x.max(step.axis, keepdims);
    case 'min':
      return x.min(step.axis, keepdims);
  }
}

function describe(inputs: readonly Tensor[], steps: readonly Step[]): string {
  const name = (i: number): string => (i < inputs.length ? `x${i}` : `v${i}`);
  const lines = [`expression graph with ${inputs.length} input${inputs.length === 1 ? '' : 's'}:`];
  inputs.forEach((x, i) => lines.push(`  x${i} = ${tensorToCode(x)}  // shape ${formatShape(x.shape)}`));
  steps.forEach((step, s) => {
    const args = step.args.map(name);
    if (step.constant !== undefined) args.push(String(step.constant));
    if (step.bounds) args.push(String(step.bounds[0]), String(step.bounds[1]));
    if (step.condition) args.unshift(`${name(step.args[0])} > 0 (frozen)`);
    if (step.op === 'softmax' || step.op === 'logSoftmax') args.push(`axis ${step.axis}`);
    if (step.op === 'sum' || step.op === 'mean' || step.op === 'max' || step.op === 'min')
      args.push(step.axis === undefined ? 'all axes, keepdims' : `axis ${step.axis}, keepdims`);
    lines.push(`  ${name(inputs.length + s)} = ${step.op}(${args.join(', ')})`);
  });
  lines.push(`  output: ${name(inputs.length + steps.length - 1)}`);
  return lines.join('\n');
}

// ---- value checks ------------------------------------------------------------------------------------

function elements(t: Tensor): ArrayLike<number> {
  return t.toTypedArray();
}

function min(t: Tensor): number {
  let m = Infinity;
  for (const v of Array.from(elements(t))) m = Math.min(m, v);
  return m;
}

function max(t: Tensor): number {
  let m = -Infinity;
  for (const v of Array.from(elements(t))) m = Math.max(m, v);
  return m;
}

function minAbs(t: Tensor): number {
  let m = Infinity;
  for (const v of Array.from(elements(t))) m = Math.min(m, Math.abs(v));
  return m;
}

function withinBound(t: Tensor): boolean {
  for (const v of Array.from(elements(t))) if (!(Math.abs(v) <= BOUND)) return false;
  return true;
}

/**
 * The smallest gap between the extreme and the runner-up over the slices a max/min over `axis`
 * reduces (Infinity when every slice has one element): the reduction is differentiable with
 * margin `gap` when it is positive.
 */
function extremeGap(t: Tensor, axis: number | undefined, kind: 'max' | 'min'): number {
  const sign = kind === 'max' ? 1 : -1;
  // Move the reduced axis last, so each slice is a contiguous row.
  const rows =
    axis === undefined
      ? t.reshape([1, t.size])
      : t
          .transpose([...t.shape.keys()].filter((d) => d !== axis).concat(axis))
          .contiguous()
          .reshape([-1, t.shape[axis]]);
  const [count, length] = rows.shape;
  const data = rows.toTypedArray();
  let gap = Infinity;
  for (let r = 0; r < count; r++) {
    let best = -Infinity;
    let second = -Infinity;
    for (let j = 0; j < length; j++) {
      const v = sign * data[r * length + j];
      if (v > best) [best, second] = [v, best];
      else if (v > second) second = v;
    }
    if (length > 1) gap = Math.min(gap, best - second);
  }
  return gap;
}
