/**
 * Float32 sums in WebAssembly SIMD, accumulated in float64 exactly as the JavaScript reduce kernel
 * (src/kernels/reduce.ts) does, so that the results are the same bits: a row is folded into four
 * running totals (element j into total j mod 4, the tail past the last multiple of four into the
 * first), which start from the accumulator's value and zeros and are merged first to last; a
 * column sum adds each row's value in row order. The JavaScript side (src/kernels/wasm/reduce.ts)
 * copies the input in, in chunks of whole rows, or of whole multiples of four for a row longer
 * than a chunk, whose four totals then wait in memory between calls.
 */

/** Two float64 lanes of totals: f32 values promoted two at a time. */
@inline
function promoteLow(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline
function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/**
 * Adds the n values at x into the four totals at `lanes` (float64: totals 0 and 1, then 2 and
 * 3): four at a time, then the last n mod 4 into total 0.
 */
export function foldIntoLanes(x: usize, n: i32, lanes: usize): void {
  let low = v128.load(lanes);
  let high = v128.load(lanes, 16);
  const end = x + (<usize>(n & ~3) << 2);
  for (; x < end; x += 16) {
    const v = v128.load(x);
    low = f64x2.add(low, promoteLow(v));
    high = f64x2.add(high, promoteHigh(v));
  }
  let first = f64x2.extract_lane(low, 0);
  for (let k = 0; k < (n & 3); k++) first += <f64>load<f32>(x + (<usize>k << 2));
  v128.store(lanes, f64x2.replace_lane(low, 0, first));
  v128.store(lanes, high, 16);
}

/** The four totals at `lanes` merged first to last. */
export function mergeLanes(lanes: usize): f64 {
  return load<f64>(lanes) + load<f64>(lanes, 8) + load<f64>(lanes, 16) + load<f64>(lanes, 24);
}

/**
 * acc[(firstRow + r) mod period] = fold of row r into it, for the `rows` rows of `length` values
 * at x (period 1: every row into acc[0]; period = rows: one total per row). `lanes` is scratch.
 */
export function sumRowsF32(x: usize, rows: i32, length: i32, firstRow: i32, period: i32, acc: usize, lanes: usize): void {
  const rowBytes = <usize>length << 2;
  let slot = firstRow % period;
  for (let r = 0; r < rows; r++, x += rowBytes) {
    const target = acc + (<usize>slot << 3);
    v128.store(lanes, f64x2.replace_lane(f64x2.splat(0), 0, load<f64>(target)));
    v128.store(lanes, f64x2.splat(0), 16);
    foldIntoLanes(x, length, lanes);
    store<f64>(target, mergeLanes(lanes));
    if (++slot == period) slot = 0;
  }
}

/** acc[c] += x[r][c] for the `rows` rows of `cols` values at x, row after row. */
export function sumColumnsF32(x: usize, rows: i32, cols: i32, acc: usize): void {
  const vectorBytes = <usize>(cols & ~3) << 3;
  for (let r = 0; r < rows; r++) {
    let a = acc;
    const end = acc + vectorBytes;
    for (; a < end; a += 32, x += 16) {
      const v = v128.load(x);
      v128.store(a, f64x2.add(v128.load(a), promoteLow(v)));
      v128.store(a, f64x2.add(v128.load(a, 16), promoteHigh(v)), 16);
    }
    for (let c = cols & ~3; c < cols; c++, a += 8, x += 4) store<f64>(a, load<f64>(a) + <f64>load<f32>(x));
  }
}
