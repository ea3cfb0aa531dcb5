/**
 * Error classes thrown by @nn. Every message starts with the name of the operation that failed
 * and names the offending shapes, axis, dtype or index, so a user can find the line at fault.
 *
 * @example
 * try { add(zeros([2, 3]), zeros([4, 3])); }
 * catch (e) { if (e instanceof ShapeError) console.log(e.message); } // "add: cannot broadcast (2,3) with (4,3)"
 */
export class NNError extends Error {
  constructor(message: string) {
    super(message);
    // A user's subclass is named by its class; ours also set `name` by hand (see below).
    this.name = new.target === NNError ? 'NNError' : new.target.name;
  }
}

/** Shapes that do not fit: broadcasting, matmul inner dimensions, reshape sizes, ragged arrays. */
export class ShapeError extends NNError {
  // Set by name, not read from the class: a bundler may rename the class (ShapeError2).
  override name = 'ShapeError';
}

/** A dtype an operation cannot take (float index tensors, unknown dtype names, mixed dtypes where they matter). */
export class DTypeError extends NNError {
  override name = 'DTypeError';
}

/** An index or axis outside its valid range. */
export class IndexError extends NNError {
  override name = 'IndexError';
}

/** An argument with the right type but a bad value (negative sizes, non-finite numbers, bad options). */
export class ValueError extends NNError {
  override name = 'ValueError';
}

/**
 * Something this JavaScript environment cannot do: writing files in a browser, say. The message
 * names the operation and what to use there instead.
 */
export class PlatformError extends NNError {
  override name = 'PlatformError';
}

/** Formats a shape the way NumPy prints it, without the trailing comma: (2,3), (5), (). */
export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(',')})`;
}

/**
 * A user's argument as they wrote it, for messages: NaN stays NaN (JSON would print null), strings
 * keep their quotes, arrays and objects print as JSON.
 *
 * @example describeValue('1') // "'1'"; describeValue(NaN) // 'NaN'; describeValue([0, 1]) // '[0,1]'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol')
    return String(value);
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  } catch {
    return Object.prototype.toString.call(value);
  }
}
