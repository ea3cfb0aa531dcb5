import { coalesce } from '../shape.js';
import { stridedArgs, stridedLoopSource, stridedParams, type StridedArray } from './strided.js';

/**
 * Reduction kernels. The accumulator is a Float64Array laid over the input's shape with stride 0
 * on the reduced axes, so the input is read once in memory order whichever axes are reduced
 * (summing the columns of a row-major matrix then streams rows instead of striding down columns).
 * Float32 inputs are accumulated in doubles, which keeps sums of 10⁶ elements exact to float32.
 */
export const REDUCE_COMBINE = {
  sum: 'a + x',
  prod: 'a * x',
  // A NaN, once seen, wins: `x > a` is false for NaN on either side.
  max: 'x > a || x !== x ? x : a',
  min: 'x < a || x !== x ? x : a',
  // Compared with 0 so that NaN counts as true, as in NumPy.
  any: 'a !== 0 || x !== 0 ? 1 : 0',
  all: 'a !== 0 && x !== 0 ? 1 : 0',
} as const;

export type ReduceOp = keyof typeof REDUCE_COMBINE;

export const REDUCE_INITIAL: Record<ReduceOp, number> = {
  sum: 0,
  prod: 1,
  max: -Infinity,
  min: Infinity,
  any: 0,
  all: 1,
};

type ReduceLoop = (...args: unknown[]) => void;
const compiled = new Map<ReduceOp, ReduceLoop>();

function compile(op: ReduceOp): ReduceLoop {
  const combine = REDUCE_COMBINE[op];
  // Operand 0 is the accumulator. When the innermost axis is reduced (s0 === 0) the running value
  // stays in a local instead of going through memory on every element; otherwise each step
  // updates its own accumulator slot (the inner block's `a` shadows the outer one).
  const source = stridedLoopSource(2, {
    setup: 'let a = d0[p0];',
    body: `const x = d1[p1]; if (s0 === 0) { a = ${combine}; } else { let a = d0[p0]; d0[p0] = ${combine}; }`,
    finish: 'if (s0 === 0) d0[p0] = a;',
  });
  return new Function(...stridedParams(2), source) as ReduceLoop;
}

/**
 * Folds `input` (strides broadcast to `shape`) into `accumulator`, whose strides are 0 on the
 * reduced axes. The caller fills the accumulator with `REDUCE_INITIAL[op]` first.
 */
export function reduce(op: ReduceOp, shape: readonly number[], accumulator: StridedArray, input: StridedArray): void {
  let loop = compiled.get(op);
  if (!loop) compiled.set(op, (loop = compile(op)));
  if (shape.length <= 1) {
    loop(shape, accumulator.data, accumulator.offset, accumulator.strides, input.data, input.offset, input.strides);
    return;
  }
  const operands = [accumulator, input];
  const merged = coalesce(shape, operands.map((o) => o.strides));
  loop(...stridedArgs(merged.shape, operands, merged.strides));
}
