import type { Storage } from '../dtype.js';

/**
 * What every kernel receives: a typed array plus the view that reads it. Strides are in elements
 * and already broadcast to the shape being iterated (0 on broadcast dimensions).
 */
export interface StridedArray {
  data: Storage;
  offset: number;
  strides: readonly number[];
}

/**
 * The loop skeleton shared by the generated kernels: a tight innermost loop over the last
 * dimension, and an odometer over the outer ones that moves each operand's base offset by its
 * stride. `{{setup}}`, `{{body}}` and `{{finish}}` are filled in per kernel; operand k is read
 * through `d{k}` at offset `p{k}`, which advances by `s{k}` per inner step.
 */
export function stridedLoopSource(
  operands: number,
  parts: { setup: string; body: string; finish: string } | { innerLoop: string },
): string {
  const ks = Array.from({ length: operands }, (_, k) => k);
  const each = (f: (k: number) => string, sep = '\n') => ks.map(f).join(sep);
  return `
    const nd = shape.length;
    let size = 1;
    for (let d = 0; d < nd; d++) size *= shape[d];
    if (size === 0) return;
    const inner = nd === 0 ? 1 : shape[nd - 1];
    const outer = size / inner;
    ${each((k) => `const s${k} = nd === 0 ? 0 : t${k}[nd - 1]; let b${k} = o${k};`)}
    const index = nd > 1 ? new Array(nd - 1).fill(0) : [];
    for (let r = 0; r < outer; r++) {
      ${each((k) => `let p${k} = b${k};`)}
      ${
        'innerLoop' in parts
          ? parts.innerLoop
          : `${parts.setup}
      for (let j = 0; j < inner; j++) {
        ${parts.body}
        ${each((k) => `p${k} += s${k};`)}
      }
      ${parts.finish}`
      }
      for (let d = nd - 2; d >= 0; d--) {
        ${each((k) => `b${k} += t${k}[d];`)}
        if (++index[d] < shape[d]) break;
        index[d] = 0;
        ${each((k) => `b${k} -= t${k}[d] * shape[d];`)}
      }
    }`;
}

/** Parameter list `shape, d0, o0, t0, d1, o1, t1, ...` of a generated loop over `operands` arrays. */
export function stridedParams(operands: number): string[] {
  const params = ['shape'];
  for (let k = 0; k < operands; k++) params.push(`d${k}`, `o${k}`, `t${k}`);
  return params;
}

/** Flattens operands into the argument order of `stridedParams`. */
export function stridedArgs(
  shape: readonly number[],
  operands: readonly StridedArray[],
  strides: readonly (readonly number[])[],
): unknown[] {
  const args: unknown[] = [shape];
  operands.forEach((operand, k) => args.push(operand.data, operand.offset, strides[k]));
  return args;
}
