/**
 * Float32 elementwise kernels in WebAssembly SIMD for the ops training runs most (arithmetic,
 * relu and its gradient, sigmoid), over contiguous chunks that the JavaScript side
 * (src/kernels/wasm/elementwise.ts) copies in and out. Each op but sigmoid gives the same result
 * as its JavaScript expression in src/kernels/elementwise.ts: IEEE arithmetic on float32 is
 * correctly rounded either way, and the selects below reproduce the JavaScript NaN and −0 cases.
 * Sigmoid has no correctly rounded SIMD form (JavaScript's Math.exp works in float64, one element
 * at a time): its polynomial exp is within a few ulps of it, at a tenth of the cost.
 *
 * Lengths are rounded up to whole vectors: the caller's buffers are padded to a multiple of 4.
 */

// Op codes; the JavaScript side keeps the same table (UNARY_CODES, BINARY_CODES).
const NEG = 0;
const ABS = 1;
const SQRT = 2;
const RELU = 3;
const STEP = 4;
const SIGMOID = 5;

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const RELU_BACKWARD = 4;
const MAXIMUM = 5;
const MINIMUM = 6;

// e^t = 2^n · e^r with n = round(t / ln 2) and |r| ≤ ln 2 / 2; ln 2 split in two so that n·LN2_HI
// is exact (LN2_HI has 9 significant bits, n at most 159 in magnitude).
const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// Below this e^t is under half the smallest subnormal: the result rounds to 0 anyway.
const EXP_FLOOR: f32 = -110;
const ROUNDING_SHIFT: f32 = 12582912;
const ROUNDING_SHIFT_BITS: i32 = 0x4b400000;

/**
 * sigmoidF32's constants, read from memory once per call: V8 does not hoist vector constants out
 * of a loop, and written inline (binaryen folds locals holding constants back into the loop) each
 * cost three instructions per vector, as many as the arithmetic.
 */
const EXP_CONSTANTS = memory.data<f32>([
  1, EXP_FLOOR, LOG2E, ROUNDING_SHIFT, reinterpret<f32>(ROUNDING_SHIFT_BITS), LN2_HI, LN2_LO,
  <f32>(1.0 / 5040), <f32>(1.0 / 720), <f32>(1.0 / 120), <f32>(1.0 / 24), <f32>(1.0 / 6), 0.5, reinterpret<f32>(127),
]);
const ONE = 0;
const FLOOR = 1;
const LOG2E_AT = 2;
const SHIFT = 3;
const SHIFT_BITS = 4;
const LN2_HI_AT = 5;
const LN2_LO_AT = 6;
const C7 = 7;
const C6 = 8;
const C5 = 9;
const C4 = 10;
const C3 = 11;
const C2 = 12;
const EXPONENT_BIAS = 13;

@inline
function constant(index: i32): v128 {
  return v128.load32_splat(EXP_CONSTANTS + (<usize>index << 2));
}

/**
 * out[i] = 1/(1 + e^−x[i]) over `bytes` of float32, computed as 1/(1 + e) for x ≥ 0 and
 * e/(1 + e) below, with e = e^−|x| ≤ 1: no overflow, and full relative accuracy in the far
 * negative tail. NaN gives NaN (the comparison is false).
 *
 * e^t for t ≤ 0 (NaN stays NaN) is within a few float32 ulps down into the subnormals: the
 * Taylor series of e^r to degree 7 (truncation under 1e-8 for |r| ≤ 0.35), and 2^n applied as
 * two factors so that neither leaves the normal range when n is below −126.
 */
function sigmoidF32(out: usize, x: usize, bytes: usize): void {
  const zero = f32x4.splat(0);
  const one = constant(ONE);
  const floor = constant(FLOOR);
  const log2e = constant(LOG2E_AT);
  const shift = constant(SHIFT);
  const shiftBits = constant(SHIFT_BITS);
  const ln2Hi = constant(LN2_HI_AT);
  const ln2Lo = constant(LN2_LO_AT);
  const c7 = constant(C7);
  const c6 = constant(C6);
  const c5 = constant(C5);
  const c4 = constant(C4);
  const c3 = constant(C3);
  const c2 = constant(C2);
  const exponentBias = constant(EXPONENT_BIAS);
  for (let i: usize = 0; i < bytes; i += 16) {
    const v = v128.load(x + i);
    // t = −|x|; pmax is a plain maxps, which keeps a NaN t (NaN < floor is false).
    const t = f32x4.pmax(f32x4.neg(f32x4.abs(v)), floor);
    // Adding 1.5·2^23 rounds t/ln 2 to an integer n and leaves n in the low mantissa bits.
    const shifted = f32x4.add(f32x4.mul(t, log2e), shift);
    const n = f32x4.sub(shifted, shift);
    const k = i32x4.sub(shifted, shiftBits);
    const r = f32x4.sub(f32x4.sub(t, f32x4.mul(n, ln2Hi)), f32x4.mul(n, ln2Lo));
    let p = f32x4.add(f32x4.mul(c7, r), c6);
    p = f32x4.add(f32x4.mul(p, r), c5);
    p = f32x4.add(f32x4.mul(p, r), c4);
    p = f32x4.add(f32x4.mul(p, r), c3);
    p = f32x4.add(f32x4.mul(p, r), c2);
    p = f32x4.add(f32x4.mul(p, r), one);
    p = f32x4.add(f32x4.mul(p, r), one);
    const half = i32x4.shr_s(k, 1);
    const scale1 = i32x4.shl(i32x4.add(half, exponentBias), 23);
    const scale2 = i32x4.shl(i32x4.add(i32x4.sub(k, half), exponentBias), 23);
    const e = f32x4.mul(f32x4.mul(p, scale1), scale2);
    v128.store(out + i, f32x4.div(v128.bitselect(one, e, f32x4.ge(v, zero)), f32x4.add(one, e)));
  }
}

@inline
function unaryVector(op: i32, x: v128): v128 {
  const zero = f32x4.splat(0);
  switch (op) {
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case SQRT: return f32x4.sqrt(x);
    // x unless x ≤ 0 (so NaN passes, and −0 and −∞ give +0).
    case RELU: return v128.bitselect(zero, x, f32x4.le(x, zero));
    // 1 where x > 0, else 0.
    default: return v128.and(f32x4.gt(x, zero), f32x4.splat(1));
  }
}

@inline
function binaryVector(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    // x where y > 0, else +0.
    case RELU_BACKWARD: return v128.and(x, f32x4.gt(y, f32x4.splat(0)));
    // x if x > y or x is NaN, else y (JavaScript's `x > y || x !== x ? x : y`).
    case MAXIMUM: return v128.bitselect(x, y, v128.or(f32x4.gt(x, y), f32x4.ne(x, x)));
    default: return v128.bitselect(x, y, v128.or(f32x4.lt(x, y), f32x4.ne(x, x)));
  }
}

/** out[i] = op(x[i]) for i < n (rounded up to a multiple of 4); out may be x. */
export function unaryF32(op: i32, out: usize, x: usize, n: i32): void {
  const bytes = <usize>(n + 3 & ~3) << 2;
  // One loop per op: the switch is resolved outside the loop after inlining.
  switch (op) {
    case NEG: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, unaryVector(NEG, v128.load(x + i))); break;
    case ABS: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, unaryVector(ABS, v128.load(x + i))); break;
    case SQRT: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, unaryVector(SQRT, v128.load(x + i))); break;
    case RELU: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, unaryVector(RELU, v128.load(x + i))); break;
    case SIGMOID: sigmoidF32(out, x, bytes); break;
    default: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, unaryVector(STEP, v128.load(x + i)));
  }
}

/** out[i] = op(x[i], y[i]) for i < n (rounded up to a multiple of 4); out may be x or y. */
export function binaryF32(op: i32, out: usize, x: usize, y: usize, n: i32): void {
  const bytes = <usize>(n + 3 & ~3) << 2;
  switch (op) {
    case ADD: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(ADD, v128.load(x + i), v128.load(y + i))); break;
    case SUB: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(SUB, v128.load(x + i), v128.load(y + i))); break;
    case MUL: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(MUL, v128.load(x + i), v128.load(y + i))); break;
    case DIV: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(DIV, v128.load(x + i), v128.load(y + i))); break;
    case RELU_BACKWARD: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(RELU_BACKWARD, v128.load(x + i), v128.load(y + i))); break;
    case MAXIMUM: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(MAXIMUM, v128.load(x + i), v128.load(y + i))); break;
    default: for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, binaryVector(MINIMUM, v128.load(x + i), v128.load(y + i)));
  }
}

/**
 * y[i] = a·y[i] + b·x[i] for i < n (rounded up to a multiple of 4): an optimizer's update of a
 * parameter y from its gradient x (SGD: a = 1 − η·λ, b = −η), in float32 arithmetic.
 */
export function axpbyF32(y: usize, x: usize, a: f32, b: f32, n: i32): void {
  const bytes = <usize>(n + 3 & ~3) << 2;
  const av = f32x4.splat(a);
  const bv = f32x4.splat(b);
  for (let i: usize = 0; i < bytes; i += 16) v128.store(y + i, f32x4.add(f32x4.mul(av, v128.load(y + i)), f32x4.mul(bv, v128.load(x + i))));
}


/**
 * c[i·n + j] = a[i]·b[j] for i < m, j < n: an outer product (a GEMM with K = 1), one correctly
 * rounded float32 product per element as in the JavaScript loop. Each row is stored in whole
 * vectors; the few lanes past a row's end land on the next row, which overwrites them, so c needs
 * room for 3 values past m·n and b for 3 past n.
 */
export function outerF32(a: usize, b: usize, c: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  const vectorBytes = <usize>(n + 3 & ~3) << 2;
  for (let i: usize = 0; i < <usize>m; i++) {
    const ai = f32x4.splat(load<f32>(a + (i << 2)));
    const row = c + i * rowBytes;
    for (let j: usize = 0; j < vectorBytes; j += 16) v128.store(row + j, f32x4.mul(ai, v128.load(b + j)));
  }
}
