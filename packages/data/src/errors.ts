import { DTypeError, NNError, ShapeError, Tensor, formatShape } from '@nn/tensor';

/**
 * A dataset file that cannot be used: missing, truncated, not IDX, an unsupported element type,
 * or sizes that disagree. The message starts with the function that failed and names the file.
 *
 * @example
 * try { readIdx(new Uint8Array(2), 'broken.idx'); }
 * catch (e) { if (e instanceof DataError) console.error(e.message); } // "readIdx: broken.idx is too short ..."
 */
export class DataError extends NNError {
  override name = 'DataError';
}

/** Number of examples (length of axis 0) shared by `x` and `t`; a ShapeError naming both shapes if they differ. */
export function rowCount(op: string, x: Tensor, t: Tensor): number {
  for (const [name, value] of [['x', x] as const, ['t', t] as const]) {
    if (!(value instanceof Tensor)) throw new DTypeError(`${op}: ${name} must be a Tensor, got ${describe(value)}`);
  }
  if (x.ndim === 0 || t.ndim === 0 || x.shape[0] !== t.shape[0]) {
    throw new ShapeError(
      `${op}: x and t must have the same number of examples along axis 0, got x ${formatShape(x.shape)} and t ${formatShape(t.shape)}`,
    );
  }
  return x.shape[0];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
