import { coalesce } from '../shape.js';
import { erf } from './erf.js';
import { stridedArgs, stridedLoopSource, stridedParams, type StridedArray } from './strided.js';

/**
 * Elementwise kernels: out[i] = f(x[i], y[i], ...) over strided, possibly broadcast operands.
 *
 * Why generated code: a loop that calls `f` through a function value runs ~20× slower in V8 than
 * the same loop with the expression written inline, because one shared loop sees many `f`s and
 * stops inlining. So each op is a one-line expression over `x`, `y`, `z`, compiled once into
 * its own loop by `new Function` when first used.
 */
const UNARY = {
  copy: 'x',
  toBool: 'x !== 0 ? 1 : 0',
  neg: '-x',
  abs: 'Math.abs(x)',
  sign: 'x > 0 ? 1 : x < 0 ? -1 : x',
  exp: 'Math.exp(x)',
  log: 'Math.log(x)',
  // log(1 + x) and e^x − 1 without the rounding of 1 + x (exact near 0, where GELU/softplus live).
  log1p: 'Math.log1p(x)',
  expm1: 'Math.expm1(x)',
  // Math has no erf: a helper (kernels/erf.ts) passed into the compiled loop.
  erf: 'erf(x)',
  // GELU in one pass (x·Φ(x), Φ(x) = ½(1 + erf(x/√2))), and its tanh approximation
  // ½x(1 + tanh(√(2/π)(x + 0.044715x³))): one rounding per element instead of five temporaries.
  gelu: '0.5 * x * (1 + erf(x * 0.7071067811865476))',
  geluTanh: '0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
  sqrt: 'Math.sqrt(x)',
  square: 'x * x',
  squareInt: 'Math.imul(x, x)',
  reciprocal: '1 / x',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  tanh: 'Math.tanh(x)',
  // exp of a large positive number overflows; use exp(x) / (1 + exp(x)) for negative x instead.
  sigmoid: 'x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))',
  // Without a data-dependent branch, which real activations (signs at random) mispredict half
  // the time, making relu 4× slower than add: x is parked in a scratch cell and picked by index.
  // `!(x <= 0)` holds for NaN, so NaN propagates as in NumPy and PyTorch; -0 and -∞ give 0.
  relu: '(scratch[1] = x, scratch[+!(x <= 0)])',
  step: '+(x > 0)',
  // Truth tests compare with 0 so that NaN counts as true, as in NumPy.
  logicalNot: 'x !== 0 ? 0 : 1',
} as const;

const BINARY = {
  add: 'x + y',
  sub: 'x - y',
  mul: 'x * y',
  // Math.imul keeps int32 products exact; a double product loses the low bits past 2^53.
  mulInt: 'Math.imul(x, y)',
  div: 'x / y',
  pow: 'Math.pow(x, y)',
  // Integer powers by repeated squaring with Math.imul, so they wrap like C instead of losing
  // low bits in a double; negative exponents truncate toward zero (only ±1 survive).
  powInt:
    'y < 0 ? Math.trunc(Math.pow(x, y)) : ((b, e) => { let r = 1; while (e > 0) { if (e & 1) r = Math.imul(r, b); b = Math.imul(b, b); e = Math.floor(e / 2); } return r; })(x, y)',
  maximum: 'x > y || x !== x ? x : y',
  minimum: 'x < y || x !== x ? x : y',
  eq: 'x === y',
  ne: 'x !== y',
  lt: 'x < y',
  le: 'x <= y',
  gt: 'x > y',
  ge: 'x >= y',
  logicalAnd: 'x !== 0 && y !== 0 ? 1 : 0',
  logicalOr: 'x !== 0 || y !== 0 ? 1 : 0',
  // relu's gradient x·[y > 0], branch-free as relu itself, and 0 (not NaN) for an infinite x.
  reluBackward: '(scratch[1] = x, scratch[+(y > 0)])',
  // sigmoid's gradient from its output y, in one pass (one rounding instead of three).
  sigmoidBackward: 'x * y * (1 - y)',
  // GELU's gradient dy·(Φ(x) + x·φ(x)) from dy (x here) and the input (y here), in one pass;
  // φ(x) = e^(−x²/2)/√(2π).
  geluBackward: 'x * (0.5 * (1 + erf(y * 0.7071067811865476)) + y * 0.3989422804014327 * Math.exp(-0.5 * y * y))',
  // The tanh form's gradient, t = tanh(√(2/π)(y + 0.044715y³)):
  // dy·(½(1 + t) + ½y(1 − t²)·√(2/π)(1 + 3·0.044715y²)).
  geluTanhBackward:
    '((t) => x * (0.5 * (1 + t) + 0.5 * y * (1 - t * t) * 0.7978845608028654 * (1 + 0.134145 * y * y)))(Math.tanh(0.7978845608028654 * (y + 0.044715 * y * y * y)))',
} as const;

const TERNARY = {
  where: 'x !== 0 ? y : z',
  clip: 'x < y ? y : x > z ? z : x',
} as const;

export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;
export type TernaryOp = keyof typeof TERNARY;
export type MapOp = UnaryOp | BinaryOp | TernaryOp;

const MAP_EXPRESSIONS: Record<MapOp, string> = { ...UNARY, ...BINARY, ...TERNARY };

type MapLoop = (...args: unknown[]) => void;
const compiled = new Map<string, MapLoop>();
const NAMES = ['x', 'y', 'z'];

function compile(op: MapOp): MapLoop {
  const expression = MAP_EXPRESSIONS[op];
  const inputs = mapArity(op);
  // Operand 0 is the output; operands 1..n are the inputs.
  const reads = NAMES.slice(0, inputs)
    .map((name, k) => `const ${name} = d${k + 1}[p${k + 1}];`)
    .join(' ');
  const source = stridedLoopSource(inputs + 1, { setup: '', body: `${reads} d0[p0] = ${expression};`, finish: '' });
  const scratch = expression.includes('scratch') ? 'const scratch = new Float64Array(2);' : '';
  if (!expression.includes('erf(')) return new Function(...stridedParams(inputs + 1), scratch + source) as MapLoop;
  // The helper is bound as a closure constant of the loop, which V8 inlines like Math.* calls.
  const factory = new Function('erf', `return function (${stridedParams(inputs + 1).join(', ')}) { ${source} };`);
  return factory(erf) as MapLoop;
}

/**
 * One loop per op and storage types: V8 specialises a loop to the typed arrays it sees, and a
 * loop shared by Float32Array and Float64Array operands runs slower for both.
 */
function loopFor(op: MapOp, out: StridedArray, inputs: readonly StridedArray[]): MapLoop {
  let key: string = op + ':' + out.data.constructor.name;
  for (const input of inputs) key += ',' + input.data.constructor.name;
  let loop = compiled.get(key);
  if (!loop) compiled.set(key, (loop = compile(op)));
  return loop;
}

/** Number of inputs the op reads. */
export function mapArity(op: MapOp): number {
  return op in TERNARY ? 3 : op in BINARY ? 2 : 1;
}

/**
 * Writes op(inputs) into `out` over `shape`. Input strides must already be broadcast to `shape`;
 * `out` may be any strided view (a fresh contiguous tensor, or a slice being assigned into).
 */
export function map(op: MapOp, shape: readonly number[], out: StridedArray, inputs: readonly StridedArray[]): void {
  const loop = loopFor(op, out, inputs);
  // Zero- and one-dimensional work has nothing to merge: skip coalescing, which dominates the
  // cost of the tiny ops autograd runs on scalars.
  if (shape.length <= 1) {
    callDirect(loop, shape, out, inputs);
    return;
  }
  const operands = [out, ...inputs];
  const merged = coalesce(
    shape,
    operands.map((o) => o.strides),
  );
  loop(...stridedArgs(merged.shape, operands, merged.strides));
}

function callDirect(loop: MapLoop, shape: readonly number[], out: StridedArray, inputs: readonly StridedArray[]): void {
  const [x, y, z] = inputs;
  if (inputs.length === 1) loop(shape, out.data, out.offset, out.strides, x.data, x.offset, x.strides);
  else if (inputs.length === 2)
    loop(shape, out.data, out.offset, out.strides, x.data, x.offset, x.strides, y.data, y.offset, y.strides);
  else
    loop(
      shape,
      out.data,
      out.offset,
      out.strides,
      x.data,
      x.offset,
      x.strides,
      y.data,
      y.offset,
      y.strides,
      z.data,
      z.offset,
      z.strides,
    );
}

/**
 * y ← a·y + b·x in place, elementwise over two typed arrays of one length (BLAS's axpby): the
 * update optimizers apply to a parameter's storage (SGD: a = 1 − η·λ, b = −η). Each element is
 * computed in double precision and rounded once.
 *
 * @example
 * const w = new Float32Array([1, 2]);
 * axpby(w, new Float32Array([10, 20]), 1, -0.1); // w = [0, 0]
 */
export function axpby(y: Float32Array | Float64Array, x: Float32Array | Float64Array, a: number, b: number): void {
  if (x.length !== y.length) throw new RangeError(`axpby: x has ${x.length} elements, y ${y.length}`);
  for (let i = 0; i < y.length; i++) y[i] = a * y[i] + b * x[i];
}
