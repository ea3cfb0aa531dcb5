/**
 * Float32 elementwise kernels in WebAssembly SIMD for the ops training runs most (arithmetic,
 * relu and its gradient), over contiguous chunks that the JavaScript side
 * (src/kernels/wasm/elementwise.ts) copies in and out. Each op gives the same result as its
 * JavaScript expression in src/kernels/elementwise.ts: IEEE arithmetic on float32 is correctly
 * rounded either way, and the selects below reproduce the JavaScript NaN and −0 cases.
 *
 * Lengths are rounded up to whole vectors: the caller's buffers are padded to a multiple of 4.
 */

// Op codes; the JavaScript side keeps the same table (UNARY_CODES, BINARY_CODES).
const NEG = 0;
const ABS = 1;
const SQRT = 2;
const RELU = 3;
const STEP = 4;

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const RELU_BACKWARD = 4;
const MAXIMUM = 5;
const MINIMUM = 6;

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
