import type { Tensor } from './tensor.js';

/** What `toArray()` returns: nested arrays of numbers (or booleans for a bool tensor). */
export type Nested = number | boolean | Nested[];

/** Walks the view in row-major order and calls `visit` on each element's storage index. */
function nest<T>(t: Tensor, leaf: (index: number) => T): T | unknown[] {
  const build = (d: number, offset: number): T | unknown[] => {
    if (d === t.ndim) return leaf(offset);
    return Array.from({ length: t.shape[d] }, (_, i) => build(d + 1, offset + i * t.strides[d]));
  };
  return build(0, t.offset);
}

export function toNested(t: Tensor): Nested {
  const read = (i: number): number | boolean => (t.dtype === 'bool' ? t.data[i] !== 0 : t.data[i]);
  return nest(t, read) as Nested;
}

const EDGE_ITEMS = 3;
const SUMMARY_THRESHOLD = 1000;

function formatFloat(v: number, digits: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.`;
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) return v.toExponential(digits).replace(/\.?0+e/, 'e');
  return v.toFixed(digits).replace(/0+$/, '');
}

/** Fewest significant digits that read back as the same float32, as NumPy prints float32. */
function float32Digits(v: number): number {
  for (let p = 1; p < 9; p++) if (Math.fround(Number(v.toPrecision(p))) === v) return Number(v.toPrecision(p));
  return v;
}

/** Formats one element as NumPy would print it. */
function formatElement(t: Tensor, v: number): string {
  if (t.dtype === 'bool') return v ? 'True' : 'False';
  if (t.dtype === 'int32') return String(v);
  return formatFloat(t.dtype === 'float32' ? float32Digits(v) : v, 8);
}

/**
 * Pads cells so that a column lines up at the decimal point, as NumPy prints it:
 * `[ 1.5 , -2.25]` rather than right-aligned `[  1.5, -2.25]`.
 */
function aligner(cells: readonly string[]): (cell: string) => string {
  // Only plain decimals line up at the point; nan, inf and exponents are right-aligned.
  const isDecimal = (cell: string) => cell.includes('.') && !cell.includes('e');
  const split = (cell: string): [string, string] => {
    const dot = cell.indexOf('.');
    return [cell.slice(0, dot), cell.slice(dot)];
  };
  let left = 0;
  let right = 0;
  let other = 1;
  for (const cell of cells) {
    if (!isDecimal(cell)) {
      other = Math.max(other, cell.length);
      continue;
    }
    const [whole, fraction] = split(cell);
    left = Math.max(left, whole.length);
    right = Math.max(right, fraction.length);
  }
  const total = Math.max(left + right, other);
  return (cell) => {
    if (!isDecimal(cell)) return cell.padStart(total);
    const [whole, fraction] = split(cell);
    return whole.padStart(total - right) + fraction.padEnd(right);
  };
}

/**
 * NumPy-style repr: `array([[1., 2.], [3., 4.]], dtype=float32)`. Large tensors are summarised
 * with `...`, keeping three items at each edge, as NumPy does past 1000 elements.
 */
export function formatTensor(t: Tensor): string {
  const summarise = t.size > SUMMARY_THRESHOLD;
  const cells = nest(t, (i) => formatElement(t, t.data[i]));
  const flat = ([] as unknown[]).concat(cells).flat(Infinity) as string[];
  const pad = aligner(flat);
  const render = (node: unknown, depth: number): string => {
    if (!Array.isArray(node)) return pad(node as string);
    const items =
      summarise && node.length > 2 * EDGE_ITEMS
        ? [
            ...node.slice(0, EDGE_ITEMS).map((n) => render(n, depth + 1)),
            '...',
            ...node.slice(-EDGE_ITEMS).map((n) => render(n, depth + 1)),
          ]
        : node.map((n) => render(n, depth + 1));
    const separator =
      depth === t.ndim - 1 ? ', ' : ',' + '\n'.repeat(Math.max(1, t.ndim - 1 - depth)) + ' '.repeat(depth + 7);
    return `[${items.join(separator)}]`;
  };
  const body = t.ndim === 0 ? (cells as string) : render(cells, 0);
  return `array(${body}, dtype=${t.dtype})`;
}
