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
const compiled = new Map<string, ReduceLoop>();

/**
 * Inner loop when the innermost axis is reduced: four independent running values (so each add
 * need not wait for the previous one) kept in locals, folded together and stored once per row.
 * Every combine rule is associative, so the partial results can be merged with the same rule.
 */
function foldRowSource(combine: string): string {
  const step = (k: number, offset: string) => `a = a${k}; x = d1[p1${offset}]; a${k} = ${combine};`;
  const merge = (k: number) => `x = a${k}; a = a0; a0 = ${combine};`;
  return `
    let a0 = d0[p0], a1 = a0, a2 = a0, a3 = a0, a = a0, x = a0;
    a1 = a2 = a3 = ${'INITIAL'};
    let j = 0;
    for (; j + 3 < inner; j += 4) {
      ${step(0, '')} ${step(1, ' + s1')} ${step(2, ' + 2 * s1')} ${step(3, ' + 3 * s1')}
      p1 += 4 * s1;
    }
    for (; j < inner; j++) { ${step(0, '')} p1 += s1; }
    ${merge(1)} ${merge(2)} ${merge(3)}
    d0[p0] = a0;`;
}

/** Inner loop when the innermost axis is kept: each element updates its own accumulator slot. */
function foldColumnsSource(combine: string): string {
  return `
    for (let j = 0; j < inner; j++) {
      const a = d0[p0], x = d1[p1];
      d0[p0] = ${combine};
      p0 += s0; p1 += s1;
    }`;
}

function compile(op: ReduceOp, rowFold: boolean): ReduceLoop {
  const combine = REDUCE_COMBINE[op];
  // Operand 0 is the accumulator, operand 1 the input.
  const innerLoop = rowFold
    ? foldRowSource(combine).replace('INITIAL', String(REDUCE_INITIAL[op]))
    : foldColumnsSource(combine);
  return new Function(...stridedParams(2), stridedLoopSource(2, { innerLoop })) as ReduceLoop;
}

/**
 * One loop per (op, inner-axis kind, input storage type): V8 specialises a loop to the typed
 * arrays it sees, and a loop shared by Float32Array and Float64Array inputs runs slower for both.
 */
function loopFor(op: ReduceOp, rowFold: boolean, input: StridedArray): ReduceLoop {
  const key = `${op}:${rowFold}:${input.data.constructor.name}`;
  let loop = compiled.get(key);
  if (!loop) compiled.set(key, (loop = compile(op, rowFold)));
  return loop;
}

/**
 * Folds `input` (strides broadcast to `shape`) into `accumulator`, whose strides are 0 on the
 * reduced axes. The caller fills the accumulator with `REDUCE_INITIAL[op]` first.
 */
export function reduce(op: ReduceOp, shape: readonly number[], accumulator: StridedArray, input: StridedArray): void {
  if (shape.length <= 1) {
    const loop = loopFor(op, shape.length === 0 || accumulator.strides[0] === 0, input);
    loop(shape, accumulator.data, accumulator.offset, accumulator.strides, input.data, input.offset, input.strides);
    return;
  }
  const operands = [accumulator, input];
  const merged = coalesce(
    shape,
    operands.map((o) => o.strides),
  );
  const innermost = merged.strides[0].length - 1;
  const loop = loopFor(op, innermost < 0 || merged.strides[0][innermost] === 0, input);
  loop(...stridedArgs(merged.shape, operands, merged.strides));
}
