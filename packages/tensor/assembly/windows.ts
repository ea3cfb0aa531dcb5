/**
 * Float32 sliding-window kernels in WebAssembly SIMD: unfold (one image's filter windows as the
 * columns of a (C·FH·FW, OH·OW) matrix) and its adjoint fold. The same loops as the JavaScript
 * kernels in src/kernels/im2col.ts, which they must match bit for bit; the JavaScript side
 * (src/kernels/wasm/windows.ts) copies one image in, calls these, and copies the result out.
 *
 * Why in wasm: in JavaScript these loops cost about 3 ns per element (bounds-checked scalar
 * copies of OW-long runs), as much as the convolution's products; here a run of stride-1
 * inputs moves four floats per instruction.
 */

/** Zeros at [dst, dst + 4·count). A loop, not memory.fill: runs here are a few values long, and
 * memory.fill is a call into the engine that costs more than storing them. */
@inline
function zero(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), i32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** Copies `count` float32 values from src (stepping `stride` values) to consecutive dst. */
@inline
function copyRun(dst: usize, src: usize, count: i32, stride: i32): void {
  let i = 0;
  if (stride == 1) {
    for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
    for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
    return;
  }
  const step = <usize>stride << 2;
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + <usize>i * step));
}

/** Adds `count` consecutive float32 values at src into dst (stepping `stride` values). */
@inline
function addRun(dst: usize, src: usize, count: i32, stride: i32): void {
  let i = 0;
  if (stride == 1) {
    for (; i + 4 <= count; i += 4) {
      const at = dst + (<usize>i << 2);
      v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>i << 2))));
    }
    for (; i < count; i++) {
      const at = dst + (<usize>i << 2);
      store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>i << 2)));
    }
    return;
  }
  const step = <usize>stride << 2;
  for (; i < count; i++) {
    const at = dst + <usize>i * step;
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>i << 2)));
  }
}

/** First output column whose tap fw reads inside the image (not padding). */
@inline
function insideStart(fw: i32, pad: i32, stride: i32): i32 {
  return pad > fw ? (pad - fw + stride - 1) / stride : 0;
}

/** One past the last output column whose tap fw reads inside the image, at least `start`. */
@inline
function insideEnd(fw: i32, pad: i32, stride: i32, size: i32, outputs: i32, start: i32): i32 {
  const reach = size - 1 + pad - fw;
  const end = reach < 0 ? 0 : min(outputs, reach / stride + 1);
  return max(start, end);
}

/**
 * One image x (C, H, W) at `x` → its columns (C·FH·FW, OH·OW) at `col`: row (c, fh, fw), column
 * (oh, ow) = x[c, oh·strideH − padH + fh, ow·strideW − padW + fw], 0 in the padding.
 */
export function unfold(
  x: usize, C: i32, H: i32, W: i32, FH: i32, FW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, OH: i32, OW: i32, col: usize,
): void {
  const rowBytes = <usize>OW << 2;
  let o = col;
  for (let c = 0; c < C; c++) {
    const channel = x + (<usize>(c * H * W) << 2);
    for (let fh = 0; fh < FH; fh++) {
      for (let fw = 0; fw < FW; fw++) {
        const owStart = insideStart(fw, padW, strideW);
        const owEnd = insideEnd(fw, padW, strideW, W, OW, owStart);
        for (let oh = 0; oh < OH; oh++, o += rowBytes) {
          const ih = oh * strideH - padH + fh;
          if (ih < 0 || ih >= H) {
            zero(o, OW);
            continue;
          }
          zero(o, owStart);
          const src = channel + (<usize>(ih * W + owStart * strideW - padW + fw) << 2);
          copyRun(o + (<usize>owStart << 2), src, owEnd - owStart, strideW);
          zero(o + (<usize>owEnd << 2), OW - owEnd);
        }
      }
    }
  }
}

/** The adjoint of unfold: adds the columns at `col` back into the image at `x` (C, H, W). */
export function fold(
  col: usize, C: i32, H: i32, W: i32, FH: i32, FW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, OH: i32, OW: i32, x: usize,
): void {
  foldRows(col, OH * OW, C, H, W, FH, FW, strideH, strideW, padH, padW, OH, OW, x);
}

/** fold for columns whose rows (one per filter tap) start `rowStride` floats apart (≥ OH·OW). */
export function foldRows(
  col: usize, rowStride: i32, C: i32, H: i32, W: i32, FH: i32, FW: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, OH: i32, OW: i32, x: usize,
): void {
  const rowBytes = <usize>OW << 2;
  let tap = 0;
  for (let c = 0; c < C; c++) {
    const channel = x + (<usize>(c * H * W) << 2);
    for (let fh = 0; fh < FH; fh++) {
      for (let fw = 0; fw < FW; fw++, tap++) {
        const owStart = insideStart(fw, padW, strideW);
        const owEnd = insideEnd(fw, padW, strideW, W, OW, owStart);
        let o = col + (<usize>(tap * rowStride) << 2);
        for (let oh = 0; oh < OH; oh++, o += rowBytes) {
          const ih = oh * strideH - padH + fh;
          if (ih < 0 || ih >= H) continue;
          const dst = channel + (<usize>(ih * W + owStart * strideW - padW + fw) << 2);
          addRun(dst, o + (<usize>owStart << 2), owEnd - owStart, strideW);
        }
      }
    }
  }
}

/**
 * Max pooling over 2×2 windows without padding (any stride), for `planes` (C, H, W) planes at `x`:
 * out (planes, OH, OW) at `out` and, at `argmax`, each maximum's index into the planes plus
 * `firstIndex`. As the JavaScript maxPool2x2: the first maximum in row-major window order wins
 * ties; a NaN wins and its first occurrence is the index. With stride 2 across (the usual pool)
 * four windows are done at once in SIMD; `select`/`bitselect` keep both paths free of branches on
 * the data (which mispredict half the time on real activations).
 */
export function maxPool2x2(x: usize, planes: i32, H: i32, W: i32, strideH: i32, strideW: i32, OH: i32, OW: i32, firstIndex: i32, out: usize, argmax: usize): void {
  let o: usize = 0;
  const vectorOW = strideW == 2 ? OW & ~3 : 0;
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) {
      const top = p * H * W + oh * strideH * W;
      let ow = 0;
      for (; ow < vectorOW; ow += 4, o += 16) poolFourWindows(x, top + 2 * ow, W, firstIndex, out + o, argmax + o);
      for (; ow < OW; ow++, o += 4) poolOneWindow(x, top + ow * strideW, W, firstIndex, out + o, argmax + o);
    }
  }
}

/** The window whose top-left element is x[i0]. */
@inline
function poolOneWindow(x: usize, i0: i32, W: i32, firstIndex: i32, out: usize, argmax: usize): void {
  const a0 = load<f32>(x + (<usize>i0 << 2));
  const a1 = load<f32>(x + (<usize>i0 << 2), 4);
  const a2 = load<f32>(x + (<usize>(i0 + W) << 2));
  const a3 = load<f32>(x + (<usize>(i0 + W) << 2), 4);
  let at = i0;
  let best = a0;
  if ((a0 != a0) | (a1 != a1) | (a2 != a2) | (a3 != a3)) {
    at = a0 != a0 ? i0 : a1 != a1 ? i0 + 1 : a2 != a2 ? i0 + W : i0 + W + 1;
    best = NaN;
  } else {
    const a1Wins = a1 > best;
    at = select<i32>(i0 + 1, at, a1Wins);
    best = select<f32>(a1, best, a1Wins);
    const a2Wins = a2 > best;
    at = select<i32>(i0 + W, at, a2Wins);
    best = select<f32>(a2, best, a2Wins);
    const a3Wins = a3 > best;
    at = select<i32>(i0 + W + 1, at, a3Wins);
    best = select<f32>(a3, best, a3Wins);
  }
  store<f32>(out, best);
  store<i32>(argmax, at + firstIndex);
}

/**
 * Four side-by-side windows with stride 2, the first at x[i0]: the two rows' eight values split
 * into even and odd columns give each window's four candidates lane by lane, compared in the
 * scalar order. Windows holding a NaN go through poolOneWindow (the rule for NaN is per element).
 */
@inline
function poolFourWindows(x: usize, i0: i32, W: i32, firstIndex: i32, out: usize, argmax: usize): void {
  const upper = x + (<usize>i0 << 2);
  const lower = x + (<usize>(i0 + W) << 2);
  const u0 = v128.load(upper);
  const u1 = v128.load(upper, 16);
  const l0 = v128.load(lower);
  const l1 = v128.load(lower, 16);
  const a0 = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6);
  const a1 = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
  const a2 = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6);
  const a3 = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7);
  const nan = v128.or(v128.or(f32x4.ne(a0, a0), f32x4.ne(a1, a1)), v128.or(f32x4.ne(a2, a2), f32x4.ne(a3, a3)));
  if (v128.any_true(nan)) {
    for (let k = 0; k < 4; k++) poolOneWindow(x, i0 + 2 * k, W, firstIndex, out + (<usize>k << 2), argmax + (<usize>k << 2));
    return;
  }
  // Each lane's window starts at `first`; a1, a2, a3 sit 1, W and W + 1 past it.
  const first = i32x4.add(i32x4.splat(i0 + firstIndex), i32x4(0, 2, 4, 6));
  let at = first;
  let best = a0;
  let wins = f32x4.gt(a1, best);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(1)), at, wins);
  best = v128.bitselect(a1, best, wins);
  wins = f32x4.gt(a2, best);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(W)), at, wins);
  best = v128.bitselect(a2, best, wins);
  wins = f32x4.gt(a3, best);
  at = v128.bitselect(i32x4.add(first, i32x4.splat(W + 1)), at, wins);
  best = v128.bitselect(a3, best, wins);
  v128.store(out, best);
  v128.store(argmax, at);
}

/**
 * The max-pool gradient for a piece of `planes` channel planes: zeros the piece's planeSize·planes
 * floats at `gx`, then adds each of the `count` values at `gy` at its argmax position (read from
 * `argmax`, minus `firstIndex`, the piece's first element), in the JavaScript scatter's order.
 * Returns how many positions fell outside the piece (they are skipped): indices not made by max
 * pooling, which the caller then scatters in JavaScript instead.
 */
export function maxPoolScatter(gy: usize, argmax: usize, count: i32, firstIndex: i32, planeSize: i32, planes: i32, gx: usize): i32 {
  const size = planeSize * planes;
  memory.fill(gx, 0, <usize>size << 2);
  let outside = 0;
  for (let i = 0; i < count; i++) {
    const position = load<i32>(argmax + (<usize>i << 2)) - firstIndex;
    if (<u32>position >= <u32>size) {
      outside++;
      continue;
    }
    const at = gx + (<usize>position << 2);
    store<f32>(at, load<f32>(at) + load<f32>(gy + (<usize>i << 2)));
  }
  return outside;
}
