/**
 * Charts for the examples: each builder returns a Vega-Lite spec (so a caller can tweak it before
 * saving); `saveChart` renders it to SVG with `vega` in Node and to PNG with `@resvg/resvg-js`.
 *
 * @example
 * const spec = lineChart([{ name: 'train', y: trainLoss }, { name: 'test', y: testLoss }], { title: 'Loss', logY: true });
 * await saveChart(spec, `${dir}/loss`); // writes loss.svg and loss.png
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateSync } from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

/** One line of a line chart; `x` defaults to 0..n-1. */
export interface Series {
  name: string;
  x?: readonly number[];
  y: readonly number[];
}

/** Points to scatter, with an optional class label per point (colours them). */
export interface Points {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  label?: ArrayLike<number>;
}

// ---- Shared look: one place for fonts and sizes. -----------------------------------------------

// Fonts a plain Linux box has (fc-list shows DejaVu and Liberation); resvg takes the first it finds.
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const WIDTH = 480;
const HEIGHT = 300;
const config = {
  font: FONT,
  background: 'white',
  title: { fontSize: 15 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  // Without a canvas, vega estimates text widths generously and would cut a label such as
  // "Batch Normalization" at its default limit of 160 px.
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
  view: { stroke: '#ccc' },
};

/** What every top-level spec shares: schema, config, and an optional title. */
function top(title: string | undefined, spec: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config,
    ...(title ? { title } : {}),
    ...spec,
  } as TopLevelSpec;
}

const quantitative = (field: string, title: string, scale: Record<string, unknown> = { zero: false }) => ({
  field,
  type: 'quantitative',
  title,
  scale,
});

// ---- Charts. ------------------------------------------------------------------------------------

/**
 * Line chart of one or more series (loss, accuracy), one colour per series.
 * @example lineChart([{ name: 'train', y: [0.5, 0.8, 0.9] }, { name: 'test', y: [0.4, 0.7, 0.8] }], { title: 'Accuracy', yDomain: [0, 1] })
 */
export function lineChart(
  series: readonly Series[],
  options: {
    title?: string;
    xLabel?: string;
    yLabel?: string;
    logY?: boolean;
    yDomain?: [number, number];
    width?: number;
    height?: number;
    points?: boolean;
  } = {},
): TopLevelSpec {
  const values = series.flatMap((s) => Array.from(s.y, (y, i) => ({ series: s.name, x: s.x ? s.x[i] : i, y })));
  const yScale = {
    ...(options.logY ? { type: 'log' } : { zero: false }),
    ...(options.yDomain ? { domain: options.yDomain } : {}),
  };
  return top(options.title, {
    width: options.width ?? WIDTH,
    height: options.height ?? HEIGHT,
    data: { values },
    mark: { type: 'line', point: options.points ?? false, clip: true },
    encoding: {
      x: quantitative('x', options.xLabel ?? 'step'),
      y: quantitative('y', options.yLabel ?? '', yScale),
      color: { field: 'series', type: 'nominal', title: null, sort: series.map((s) => s.name) },
    },
  });
}

/** The bars of one histogram (a unit spec without the top-level parts), binned here so there are exactly `bins` bars. */
function histogramUnit(
  values: ArrayLike<number>,
  bins: number,
  [lo, hi]: [number, number],
  xLabel: string,
  yLabel: string,
  width: number,
  height: number,
) {
  const counts = new Array<number>(bins).fill(0);
  const step = (hi - lo) / bins || 1;
  // Values outside the domain (and NaN) are left out, as numpy's histogram does; `hi` falls in the last bin.
  for (const v of Array.from(values)) if (v >= lo && v <= hi) counts[Math.min(bins - 1, Math.floor((v - lo) / step))]++;
  return {
    width,
    height,
    data: { values: counts.map((count, i) => ({ start: lo + i * step, end: lo + (i + 1) * step, count })) },
    // Plain x/x2 rather than `bin: { binned: true }`, whose ticks sit on bin edges (−4.1, −3.0, …).
    mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: quantitative('start', xLabel, { domain: [lo, hi], nice: false }),
      x2: { field: 'end' },
      y: { field: 'count', type: 'quantitative', title: yLabel },
      y2: { datum: 0 },
    },
  };
}

function extent(arrays: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    for (let i = 0; i < a.length; i++)
      if (Number.isFinite(a[i])) {
        lo = Math.min(lo, a[i]);
        hi = Math.max(hi, a[i]);
      }
  return lo <= hi ? (lo < hi ? [lo, hi] : [lo - 0.5, hi + 0.5]) : [0, 1];
}

/**
 * Histogram of `values` in `bins` equal bins over `domain` (default: the data's range).
 * @example histogram(weights, { title: 'Initial weights', bins: 50 })
 */
export function histogram(
  values: ArrayLike<number>,
  options: {
    title?: string;
    bins?: number;
    domain?: [number, number];
    xLabel?: string;
    width?: number;
    height?: number;
  } = {},
): TopLevelSpec {
  const domain = options.domain ?? extent([values]);
  return top(
    options.title,
    histogramUnit(
      values,
      options.bins ?? 30,
      domain,
      options.xLabel ?? 'value',
      'count',
      options.width ?? WIDTH,
      options.height ?? HEIGHT,
    ),
  );
}

/**
 * Small histograms side by side over one shared domain (e.g. the activations of each layer).
 * @example histograms(activations.map((a, i) => ({ title: `${i + 1}-layer`, values: a })), { bins: 30, domain: [0, 1] })
 */
export function histograms(
  panels: readonly { title: string; values: ArrayLike<number> }[],
  options: { bins?: number; domain?: [number, number]; columns?: number } = {},
): TopLevelSpec {
  const domain = options.domain ?? extent(panels.map((p) => p.values));
  return top(undefined, {
    columns: options.columns ?? panels.length,
    concat: panels.map((p) => ({
      title: p.title,
      ...histogramUnit(p.values, options.bins ?? 30, domain, '', '', 160, 140),
    })),
  });
}

/** The point layer shared by the scatter and decision-region plots; coloured by class if labelled. */
function pointLayer(points: Points) {
  return {
    data: {
      values: Array.from({ length: points.x.length }, (_, i) => ({
        x: points.x[i],
        y: points.y[i],
        class: points.label?.[i],
      })),
    },
    mark: { type: 'circle', size: 30, opacity: 0.9, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative' },
      y: { field: 'y', type: 'quantitative' },
      ...(points.label ? { color: { field: 'class', type: 'nominal', title: 'class' } } : {}),
    },
  };
}

/**
 * Scatter plot of points, coloured by class label when given.
 * @example scatterPlot({ x: [0, 1, 2], y: [1, 0, 1], label: [0, 1, 0] }, { title: 'Data' })
 */
export function scatterPlot(
  points: Points,
  options: { title?: string; xLabel?: string; yLabel?: string; width?: number; height?: number } = {},
): TopLevelSpec {
  const layer = pointLayer(points);
  return top(options.title, {
    width: options.width ?? 400,
    height: options.height ?? 400,
    ...layer,
    encoding: {
      ...layer.encoding,
      x: quantitative('x', options.xLabel ?? 'x'),
      y: quantitative('y', options.yLabel ?? 'y'),
    },
  });
}

/** Axis over exactly the given range, without grid lines (they would show through translucent cells). */
const edgeToEdge = (field: string, domain: [number, number], title = field) => ({
  ...quantitative(field, title, { domain, nice: false, zero: false }),
  axis: { grid: false },
});

/**
 * The cells of a grid as rects, with equal neighbours along a row merged into one (a 100×100
 * grid of 3 classes becomes a few hundred rects instead of 10 000). `xs`, `ys` are cell centres.
 */
function gridRects(xs: readonly number[], ys: readonly number[], classAt: (ix: number, iy: number) => number) {
  const edges = (c: readonly number[], i: number): [number, number] => {
    const half = (c.length > 1 ? c[1] - c[0] : 1) / 2;
    return [i > 0 ? (c[i - 1] + c[i]) / 2 : c[0] - half, i < c.length - 1 ? (c[i] + c[i + 1]) / 2 : c[i] + half];
  };
  const rects: { x: number; x2: number; y: number; y2: number; class: number }[] = [];
  for (let iy = 0; iy < ys.length; iy++) {
    const [y, y2] = edges(ys, iy);
    for (let start = 0; start < xs.length;) {
      let end = start;
      while (end + 1 < xs.length && classAt(end + 1, iy) === classAt(start, iy)) end++;
      rects.push({ x: edges(xs, start)[0], x2: edges(xs, end)[1], y, y2, class: classAt(start, iy) });
      start = end + 1;
    }
  }
  return rects;
}

/**
 * Decision regions of a classifier (the predicted class over a grid, lightly shaded) with the
 * labelled data points on top. Give the grid as `classOf(x, y)` or as `classes` row-major over ys × xs.
 * The axes are titled `xLabel` and `yLabel` (default 'x' and 'y').
 * @example decisionRegions({ xs: grid, ys: grid, classOf: (x, y) => predict(x, y) }, { x, y, label }, { title: 'Spiral', xLabel: 'x1', yLabel: 'x2' })
 */
export function decisionRegions(
  grid:
    | { xs: readonly number[]; ys: readonly number[]; classOf: (x: number, y: number) => number }
    | { xs: readonly number[]; ys: readonly number[]; classes: ArrayLike<number> },
  points: { x: ArrayLike<number>; y: ArrayLike<number>; label: ArrayLike<number> },
  options: { title?: string; xLabel?: string; yLabel?: string } = {},
): TopLevelSpec {
  const { xs, ys } = grid;
  const classAt =
    'classOf' in grid
      ? (ix: number, iy: number) => grid.classOf(xs[ix], ys[iy])
      : (ix: number, iy: number) => grid.classes[iy * xs.length + ix];
  const cells = gridRects(xs, ys, classAt);
  const range = (key: 'x' | 'y'): [number, number] => [
    Math.min(...cells.map((c) => c[key])),
    Math.max(...cells.map((c) => c[`${key}2`])),
  ];
  // Both layers colour by the field `class`, so they share one colour scale and one legend.
  const regions = {
    data: { values: cells },
    mark: { type: 'rect', opacity: 0.3 },
    encoding: {
      x: edgeToEdge('x', range('x'), options.xLabel),
      x2: { field: 'x2' },
      y: edgeToEdge('y', range('y'), options.yLabel),
      y2: { field: 'y2' },
      color: { field: 'class', type: 'nominal', title: 'class' },
    },
  };
  return top(options.title, { width: 400, height: 400, layer: [regions, pointLayer(points)] });
}

/**
 * Iso-lines of a function sampled on a grid, by marching squares: in each cell, each level's line
 * enters and leaves where the corners differ in side; returns the pieces as segments.
 */
function isoLines(
  f: (x: number, y: number) => number,
  xDomain: [number, number],
  yDomain: [number, number],
  levels: number,
  n = 60,
) {
  const at = ([lo, hi]: [number, number], i: number) => lo + (i * (hi - lo)) / (n - 1);
  const values = Array.from({ length: n * n }, (_, k) => f(at(xDomain, k % n), at(yDomain, Math.floor(k / n))));
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  // Levels at quantiles of f over the grid, so the lines are spread over the whole picture.
  const thresholds = Array.from({ length: levels }, (_, k) => sorted[Math.floor(((k + 0.5) * sorted.length) / levels)]);
  const segments: { x: number; y: number; x2: number; y2: number }[] = [];
  for (let iy = 0; iy + 1 < n; iy++)
    for (let ix = 0; ix + 1 < n; ix++) {
      const corners = [
        [ix, iy],
        [ix + 1, iy],
        [ix + 1, iy + 1],
        [ix, iy + 1],
      ].map(([i, j]) => ({ i, j, v: values[j * n + i] }));
      for (const t of thresholds) {
        const crossings: [number, number][] = [];
        for (let e = 0; e < 4; e++) {
          const [p, q] = [corners[e], corners[(e + 1) % 4]];
          if (p.v >= t === q.v >= t) continue;
          const s = (t - p.v) / (q.v - p.v);
          crossings.push([at(xDomain, p.i + s * (q.i - p.i)), at(yDomain, p.j + s * (q.j - p.j))]);
        }
        // Two crossings make one piece; four (a saddle) make two, paired around the cell.
        for (let c = 0; c + 1 < crossings.length; c += 2)
          segments.push({ x: crossings[c][0], y: crossings[c][1], x2: crossings[c + 1][0], y2: crossings[c + 1][1] });
      }
    }
  return segments;
}

/** One vertex of a clipped path: `piece` numbers the visible runs, `order` is the drawing order. */
export interface PathVertex {
  x: number;
  y: number;
  piece: number;
  order: number;
}

/**
 * The parts of a path (points joined in order) that lie inside the box xDomain × yDomain: each
 * segment is cut where it crosses the box (Liang–Barsky), and a path that leaves the box and comes
 * back becomes separate pieces. Non-finite points break the path. Drawing only these keeps every
 * coordinate near the picture: a diverging descent reaches 1e13, and the renderers drop (or choke
 * on) lines that far out even when the chart clips them.
 * @example clipPath([0, 2], [0, 0], [-1, 1], [-1, 1]) // [{ x: 0, y: 0, piece: 0, order: 0 }, { x: 1, y: 0, piece: 0, order: 1 }]
 */
export function clipPath(
  xs: readonly number[],
  ys: readonly number[],
  [xMin, xMax]: [number, number],
  [yMin, yMax]: [number, number],
): PathVertex[] {
  const vertices: PathVertex[] = [];
  let piece = -1;
  let open = false; // whether the last vertex pushed is the unclipped end of the previous segment
  const push = (x: number, y: number) => vertices.push({ x, y, piece, order: vertices.length });
  const inside = (x: number, y: number) => x >= xMin && x <= xMax && y >= yMin && y <= yMax;
  if (xs.length === 1 && inside(xs[0], ys[0])) {
    piece = 0;
    push(xs[0], ys[0]);
  }
  for (let i = 0; i + 1 < xs.length; i++) {
    const [x0, y0, x1, y1] = [xs[i], ys[i], xs[i + 1], ys[i + 1]];
    if (![x0, y0, x1, y1].every(Number.isFinite)) {
      open = false;
      continue;
    }
    const [dx, dy] = [x1 - x0, y1 - y0];
    let [t0, t1] = [0, 1];
    // For each edge: p·t ≤ q keeps the point on the inner side of that edge.
    for (const [p, q] of [
      [-dx, x0 - xMin],
      [dx, xMax - x0],
      [-dy, y0 - yMin],
      [dy, yMax - y0],
    ]) {
      if (p === 0) {
        if (q < 0) t0 = Infinity; // parallel to the edge and outside it
      } else if (p < 0) t0 = Math.max(t0, q / p);
      else t1 = Math.min(t1, q / p);
    }
    if (t0 > t1) {
      open = false;
      continue;
    }
    if (!(open && t0 === 0)) {
      piece++;
      push(t0 === 0 ? x0 : x0 + t0 * dx, t0 === 0 ? y0 : y0 + t0 * dy);
    }
    push(t1 === 1 ? x1 : x0 + t1 * dx, t1 === 1 ? y1 : y0 + t1 * dy);
    open = t1 === 1;
  }
  return vertices;
}

/**
 * Optimisation paths (one line per optimiser, in step order, a dot on every step), optionally over
 * iso-lines of `f`. With a contour (or `xDomain`/`yDomain`) the picture covers exactly that box
 * and each path is clipped to it (see `clipPath`); otherwise the axes fit the finite points.
 * @example pathPlot([{ name: 'SGD', x: xs, y: ys }], { contour: { f: (x, y) => x * x / 20 + y * y, xDomain: [-10, 10], yDomain: [-5, 5] } })
 */
export function pathPlot(
  paths: readonly { name: string; x: readonly number[]; y: readonly number[] }[],
  options: {
    title?: string;
    xLabel?: string;
    yLabel?: string;
    xDomain?: [number, number];
    yDomain?: [number, number];
    contour?: {
      f: (x: number, y: number) => number;
      xDomain: [number, number];
      yDomain: [number, number];
      levels?: number;
    };
  } = {},
): TopLevelSpec {
  // Without a given box: the finite points' range and 5% more on each side, so no dot sits on the frame.
  const padded = (values: readonly (readonly number[])[]): [number, number] => {
    const [lo, hi] = extent(values);
    return [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  };
  const xDomain = options.contour?.xDomain ?? options.xDomain ?? padded(paths.map((p) => p.x));
  const yDomain = options.contour?.yDomain ?? options.yDomain ?? padded(paths.map((p) => p.y));
  const [xLabel, yLabel] = [options.xLabel ?? 'x', options.yLabel ?? 'y'];
  const encoding = {
    x: edgeToEdge('x', xDomain, xLabel),
    y: edgeToEdge('y', yDomain, yLabel),
    color: { field: 'path', type: 'nominal', title: null, sort: paths.map((p) => p.name) },
  };
  const lineLayer = {
    data: {
      values: paths.flatMap((p) =>
        clipPath(p.x, p.y, xDomain, yDomain).map((v) => ({ path: p.name, ...v, piece: `${p.name}/${v.piece}` })),
      ),
    },
    mark: { type: 'line', clip: true, strokeWidth: 1.5 },
    encoding: {
      ...encoding,
      detail: { field: 'piece', type: 'nominal' },
      order: { field: 'order', type: 'quantitative' },
    }, // follow the steps, not increasing x
  };
  const inBox = (x: number, y: number) => x >= xDomain[0] && x <= xDomain[1] && y >= yDomain[0] && y <= yDomain[1];
  const pointLayer = {
    data: {
      values: paths.flatMap((p) =>
        Array.from(p.x, (x, step) => ({ path: p.name, step, x, y: p.y[step] })).filter((v) => inBox(v.x, v.y)),
      ),
    },
    mark: { type: 'point', filled: true, size: 16, opacity: 1 },
    encoding,
  };
  if (!options.contour) return top(options.title, { width: WIDTH, height: HEIGHT, layer: [lineLayer, pointLayer] });

  const { f, levels = 10 } = options.contour;
  const contourLayer = {
    data: { values: isoLines(f, xDomain, yDomain, levels) },
    mark: { type: 'rule', color: '#999', strokeWidth: 1, aria: false }, // no per-segment aria labels: they would double the SVG
    encoding: { x: encoding.x, y: encoding.y, x2: { field: 'x2' }, y2: { field: 'y2' } },
  };
  // Equal units on both axes, within reason, so circles look round.
  const height = Math.round(
    Math.min(480, Math.max(200, (WIDTH * (yDomain[1] - yDomain[0])) / (xDomain[1] - xDomain[0]))),
  );
  return top(options.title, { width: WIDTH, height, layer: [contourLayer, lineLayer, pointLayer] });
}

// ---- Image grids: each image becomes a small PNG in a data: URL, shown by an `image` mark. ----

const crcTable = Array.from({ length: 256 }, (_, n) => {
  for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
  return n >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An 8-bit grayscale PNG of `gray` (0..255, row-major), each pixel enlarged to `scale`×`scale`. */
function grayPng(gray: Uint8Array, height: number, width: number, scale: number): Buffer {
  const w = width * scale;
  const rows = Buffer.alloc((w + 1) * height * scale); // each row starts with filter byte 0 (none)
  for (let r = 0; r < height * scale; r++)
    for (let c = 0; c < w; c++) rows[r * (w + 1) + 1 + c] = gray[Math.floor(r / scale) * width + Math.floor(c / scale)];
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13); // width, height, bit depth 8, colour type 0 (gray), then zeros
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(height * scale, 4);
  header[8] = 8;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A grid of grayscale images (digits, conv filters); `data` holds `count` images of
 * height × width, row-major. Bright = high. `normalize` maps each image's range ('per-image',
 * the default), the range of all ('global'), or nothing ('none', values clamped to 0..1) to black..white.
 * @example imageGrid({ data: x.data, count: 20, height: 28, width: 28 }, { columns: 10, labels: t.map(String) })
 */
export function imageGrid(
  images: { data: ArrayLike<number>; count: number; height: number; width: number },
  options: {
    columns?: number;
    labels?: readonly string[];
    title?: string;
    scale?: number;
    normalize?: 'per-image' | 'global' | 'none';
  } = {},
): TopLevelSpec {
  const { data, count, height, width } = images;
  const size = height * width;
  if (data.length < count * size)
    throw new Error(`imageGrid: ${count} images of ${height}×${width} need ${count * size} values, got ${data.length}`);
  const columns = Math.min(options.columns ?? Math.ceil(Math.sqrt(count)), count);
  const scale = options.scale ?? Math.max(1, Math.round(56 / Math.max(height, width)));
  const normalize = options.normalize ?? 'per-image';
  const pixelsOf = (i: number) => Array.from({ length: size }, (_, k) => data[i * size + k]);
  const all = extent(Array.from({ length: count }, (_, i) => pixelsOf(i)));
  const labelHeight = options.labels ? 14 : 0;
  const cellWidth = width * scale + 4;
  const cellHeight = height * scale + 4 + labelHeight;
  const values = Array.from({ length: count }, (_, i) => {
    const pixels = pixelsOf(i);
    const [lo, hi] = normalize === 'none' ? [0, 1] : normalize === 'global' ? all : extent([pixels]);
    const gray = Uint8Array.from(pixels, (v) =>
      Math.round(255 * Math.min(1, Math.max(0, hi > lo ? (v - lo) / (hi - lo) : 0.5))),
    );
    const url = `data:image/png;base64,${grayPng(gray, height, width, scale).toString('base64')}`;
    const [left, topEdge] = [(i % columns) * cellWidth, Math.floor(i / columns) * cellHeight];
    return {
      url,
      left,
      top: topEdge,
      labelY: topEdge + height * scale + 2,
      center: left + (width * scale) / 2,
      label: options.labels?.[i] ?? '',
    };
  });
  const pixel = (field: string) => ({ field, type: 'quantitative', scale: null }); // positions in pixels, no axes
  const imageLayer = {
    mark: {
      type: 'image',
      width: width * scale,
      height: height * scale,
      align: 'left',
      baseline: 'top',
      smooth: false,
      aria: false,
    }, // aria labels would repeat the data: URLs
    encoding: { x: pixel('left'), y: pixel('top'), url: { field: 'url', type: 'nominal' } },
  };
  const labelLayer = {
    mark: { type: 'text', baseline: 'top', fontSize: 11 },
    encoding: { x: pixel('center'), y: pixel('labelY'), text: { field: 'label' } },
  };
  return top(options.title, {
    width: columns * cellWidth - 4,
    height: Math.ceil(count / columns) * cellHeight - 4,
    config: { ...config, view: { stroke: null } },
    data: { values },
    layer: options.labels ? [imageLayer, labelLayer] : [imageLayer],
  });
}

// ---- Rendering. ---------------------------------------------------------------------------------

/**
 * The SVG text of a spec: compiled by vega-lite, rendered headless by vega (no canvas needed).
 * @example const svg = await toSvg(histogram([1, 2, 2, 3]));
 */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Writes `file.svg` and `file.png` (an extension .svg or .png on `file` is dropped) and returns
 * both paths. The PNG is drawn at twice the SVG's size on white, with text in the system's fonts;
 * a machine without fonts gets a PNG without text rather than an error.
 * @example await saveChart(lineChart([{ name: 'loss', y: losses }]), 'out/loss'); // out/loss.svg, out/loss.png
 */
export async function saveChart(spec: TopLevelSpec, file: string): Promise<{ svg: string; png: string }> {
  const stem = file.replace(/\.(svg|png)$/i, '');
  const svgText = await toSvg(spec);
  const png = new Resvg(svgText, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  mkdirSync(dirname(stem), { recursive: true });
  writeFileSync(`${stem}.svg`, svgText);
  writeFileSync(`${stem}.png`, png);
  return { svg: `${stem}.svg`, png: `${stem}.png` };
}
