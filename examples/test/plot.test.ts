import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clipPath,
  decisionRegions,
  histogram,
  histograms,
  imageGrid,
  lineChart,
  pathPlot,
  saveChart,
  scatterPlot,
  toSvg,
} from '../lib/plot.js';

/**
 * How many items vega drew for the marks of one kind ('line', 'rect', 'symbol', 'rule', 'image',
 * 'text'): each mark is a `<g class="mark-KIND role-mark …">` holding one element per item.
 */
function countMarks(svg: string, kind: string): number {
  let count = 0;
  for (const group of svg.matchAll(new RegExp(`<g class="mark-${kind} role-mark[^>]*>(.*?)</g>`, 'g')))
    count += group[1].match(/<(path|line|image|text|circle|rect)\b/g)?.length ?? 0;
  return count;
}

/** Width, height and gray bytes of an 8-bit grayscale PNG, as imageGrid writes them. */
function decodeGrayPng(png: Buffer): { width: number; height: number; rows: Buffer } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idatLength = png.readUInt32BE(33);
  return { width, height, rows: inflateSync(png.subarray(41, 41 + idatLength)) };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const dir = mkdtempSync(join(tmpdir(), 'nn-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small three-armed spiral, as in the seeds' classification example.
const spiral = { x: [] as number[], y: [] as number[], label: [] as number[] };
for (let arm = 0; arm < 3; arm++)
  for (let i = 0; i < 20; i++) {
    const r = i / 20;
    const t = arm * 4 + 4 * r;
    spiral.x.push(r * Math.sin(t));
    spiral.y.push(r * Math.cos(t));
    spiral.label.push(arm);
  }

describe('lineChart', () => {
  it('draws one line per series, with the title and legend', async () => {
    const svg = await toSvg(
      lineChart(
        [
          { name: 'train', y: [2, 1, 0.5, 0.25] },
          { name: 'test', x: [0, 2, 4], y: [2.2, 1.4, 0.9] },
        ],
        { title: 'Loss curve', logY: true, xLabel: 'epoch' },
      ),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>Loss curve</text>');
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>train</text>');
    expect(countMarks(svg, 'line')).toBe(2);
  });

  it('marks every point when asked, and survives a zero on a log axis', async () => {
    const svg = await toSvg(lineChart([{ name: 'acc', y: [0, 0.5, 0.9] }], { points: true, yDomain: [0, 1] }));
    expect(countMarks(svg, 'symbol')).toBe(3);
    await expect(toSvg(lineChart([{ name: 'loss', y: [1, 0, 0.1] }], { logY: true }))).resolves.toMatch(/^<svg/);
  });
});

describe('histogram', () => {
  it('draws exactly `bins` bars', async () => {
    const values = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 3);
    const svg = await toSvg(histogram(values, { title: 'Weights', bins: 20 }));
    expect(svg).toContain('>Weights</text>');
    expect(countMarks(svg, 'rect')).toBe(20);
  });

  it('draws a row of panels over one domain, each with its title', async () => {
    const panels = [1, 2, 3].map((layer) => ({
      title: `${layer}-layer`,
      values: new Float32Array(100).map((_, i) => (i % (layer * 10)) / 30),
    }));
    const svg = await toSvg(histograms(panels, { bins: 10, domain: [0, 1] }));
    for (const panel of panels) expect(svg).toContain(`>${panel.title}</text>`);
    expect(countMarks(svg, 'rect')).toBe(30);
  });
});

describe('scatterPlot and decisionRegions', () => {
  it('draws one point per sample, coloured by class', async () => {
    const svg = await toSvg(scatterPlot(spiral, { title: 'Spiral data' }));
    expect(svg).toContain('>Spiral data</text>');
    expect(countMarks(svg, 'symbol')).toBe(60);
    for (const label of ['0', '1', '2']) expect(svg).toContain(`>${label}</text>`);
  });

  it('shades the predicted class under the points, merging equal cells along a row', async () => {
    const xs = Array.from({ length: 10 }, (_, i) => -0.9 + 0.2 * i);
    const classOf = (x: number, y: number) => (x < 0 ? 0 : y < 0 ? 1 : 2);
    const svg = await toSvg(decisionRegions({ xs, ys: xs, classOf }, spiral, { title: 'Decision boundary' }));
    expect(svg).toContain('>Decision boundary</text>');
    expect(countMarks(svg, 'symbol')).toBe(60);
    expect(countMarks(svg, 'rect')).toBe(20); // each of 10 rows: one run x < 0, one run x > 0
    const classes = xs.flatMap((y) => xs.map((x) => classOf(x, y)));
    expect(await toSvg(decisionRegions({ xs, ys: xs, classes }, spiral, { title: 'Decision boundary' }))).toBe(svg);
  });

  it('titles its axes as asked (x and y by default)', async () => {
    const grid = { xs: [0, 1], ys: [0, 1], classes: [0, 1, 1, 2] };
    const plain = await toSvg(decisionRegions(grid, spiral));
    expect(plain).toContain('>x</text>');
    const titled = await toSvg(decisionRegions(grid, spiral, { xLabel: 'x1', yLabel: 'x2' }));
    expect(titled).toContain('>x1</text>');
    expect(titled).toContain('>x2</text>');
    expect(titled).not.toContain('>x</text>');
  });
});

describe('pathPlot', () => {
  const descent = (lr: number) => {
    const path = { x: [-7], y: [2] };
    for (let i = 0; i < 10; i++) {
      path.x.push(path.x[i] - (lr * path.x[i]) / 10);
      path.y.push(path.y[i] - lr * 2 * path.y[i]);
    }
    return path;
  };

  it('draws each path in step order over iso-lines of f', async () => {
    const contour = {
      f: (x: number, y: number) => (x * x) / 20 + y * y,
      xDomain: [-10, 10] as [number, number],
      yDomain: [-5, 5] as [number, number],
      levels: 6,
    };
    const spec = pathPlot(
      [
        { name: 'SGD', ...descent(0.9) },
        { name: 'slow', ...descent(0.2) },
      ],
      { title: 'Descent on x²/20 + y²', contour },
    );
    const svg = await toSvg(spec);
    expect(svg).toContain('>Descent on x²/20 + y²</text>');
    expect(countMarks(svg, 'line')).toBe(2);
    expect(countMarks(svg, 'symbol')).toBe(22);
    expect(countMarks(svg, 'rule')).toBeGreaterThan(100); // 6 closed-ish curves of small segments
  });

  it('works without a contour', async () => {
    expect(countMarks(await toSvg(pathPlot([{ name: 'SGD', ...descent(0.5) }])), 'line')).toBe(1);
  });

  it('clips to xDomain × yDomain without a contour too', async () => {
    // lr 0.9 from (−7, 2): x stays in [−7, −2.7], y swings between ±2 and shrinks; the box keeps y ≥ 0 only.
    const svg = await toSvg(pathPlot([{ name: 'SGD', ...descent(0.9) }], { xDomain: [-10, 0], yDomain: [0, 3] }));
    const path = descent(0.9);
    const inside = path.y.filter((y) => y >= 0).length;
    expect(countMarks(svg, 'symbol')).toBe(inside);
    expect(countMarks(svg, 'line')).toBeGreaterThan(1); // every swing below y = 0 cuts the path
  });

  it('titles its axes as asked', async () => {
    const svg = await toSvg(pathPlot([{ name: 'SGD', ...descent(0.5) }], { xLabel: 'x0', yLabel: 'x1' }));
    expect(svg).toContain('>x0</text>');
    expect(svg).toContain('>x1</text>');
  });

  it('clips a diverging path to the plotted box, and still renders it to PNG', async () => {
    // lr = 10 on x²/20 + y²: x jumps to 0, y is multiplied by −19 every step, reaching 1e13.
    const diverging = { name: 'lr 10', ...descent(10) };
    const contour = {
      f: (x: number, y: number) => (x * x) / 20 + y * y,
      xDomain: [-10, 10] as [number, number],
      yDomain: [-5, 5] as [number, number],
      levels: 4,
    };
    const spec = pathPlot([diverging, { name: 'lr 0.9', ...descent(0.9) }], { contour });
    const svg = await toSvg(spec);
    // lr 10: the first step leaves through the bottom edge; each later jump along x = 0 crosses
    // the whole box, 9 more pieces. lr 0.9 stays inside: one line.
    expect(countMarks(svg, 'line')).toBe(10 + 1);
    // Dots only where the steps are inside the box: the start (−7, 2) for lr 10, all 11 for lr 0.9.
    expect(countMarks(svg, 'symbol')).toBe(1 + 11);
    // Every coordinate of the drawn lines is inside the 480-pixel-wide picture (give or take a pixel).
    const lines = [...svg.matchAll(/<g class="mark-line role-mark[^>]*>(.*?)<\/g>/g)].map((m) => m[1]).join('');
    const coordinates = [...lines.matchAll(/ d="([^"]*)"/g)].flatMap((m) =>
      m[1].match(/-?[\d.]+(e[+-]?\d+)?/g)!.map(Number),
    );
    expect(coordinates.length).toBeGreaterThan(20);
    for (const c of coordinates) expect(Math.abs(c)).toBeLessThanOrEqual(481);
    const png = readFileSync((await saveChart(spec, join(dir, 'diverging'))).png);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });
});

describe('clipPath', () => {
  const box: [number, number] = [-1, 1];

  it('keeps a path inside the box as it is, in one piece', () => {
    expect(clipPath([0, 0.5, -0.5], [0, 0.5, 0], box, box)).toEqual([
      { x: 0, y: 0, piece: 0, order: 0 },
      { x: 0.5, y: 0.5, piece: 0, order: 1 },
      { x: -0.5, y: 0, piece: 0, order: 2 },
    ]);
  });

  it('cuts a segment where it leaves the box, and starts a new piece where the path comes back', () => {
    // In, out through x = 1, far out, back in through y = 1, in.
    const vertices = clipPath([0, 3, 1e13, 0.5, 0], [0, 0, 1e13, 2, 0], box, box);
    expect(vertices.map((v) => [v.x, v.y, v.piece])).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [0.25, 1, 1], // (0.5, 2) → (0, 0) crosses y = 1 halfway
      [0, 0, 1],
    ]);
    expect(vertices.map((v) => v.order)).toEqual([0, 1, 2, 3]);
  });

  it('keeps the part of a segment crossing the box with both ends outside, and breaks at non-finite points', () => {
    expect(clipPath([-2, 2], [0, 0], box, box).map((v) => [v.x, v.y])).toEqual([
      [-1, 0],
      [1, 0],
    ]);
    expect(clipPath([0, NaN, 0.5, 0.5], [0, 0, 0, 0.5], box, box).map((v) => v.piece)).toEqual([0, 0]);
    expect(clipPath([5, 6], [5, 6], box, box)).toEqual([]);
    expect(clipPath([0.5], [0.5], box, box)).toEqual([{ x: 0.5, y: 0.5, piece: 0, order: 0 }]);
  });
});

describe('imageGrid', () => {
  it('draws one image and one label per picture', async () => {
    const data = new Float32Array(6 * 28 * 28).map((_, i) => (i % 7) / 7);
    const svg = await toSvg(
      imageGrid(
        { data, count: 6, height: 28, width: 28 },
        { columns: 3, labels: ['a', 'b', 'c', 'd', 'e', 'f'], title: 'Digits' },
      ),
    );
    expect(svg).toContain('>Digits</text>');
    expect(countMarks(svg, 'image')).toBe(6);
    expect(countMarks(svg, 'text')).toBe(6);
  });

  it('encodes each image as a gray PNG, enlarged and normalised as asked', () => {
    // Two 1×2 images: [0, 2] and [0, 4].
    const images = { data: [0, 2, 0, 4], count: 2, height: 1, width: 2 };
    const firstImage = (normalize: 'per-image' | 'global' | 'none') => {
      const spec = imageGrid(images, { scale: 3, normalize }) as { data: { values: { url: string }[] } };
      return decodeGrayPng(Buffer.from(spec.data.values[0].url.split(',')[1], 'base64'));
    };
    const { width, height, rows } = firstImage('per-image');
    expect([width, height]).toEqual([6, 3]);
    expect([...rows.subarray(0, 7)]).toEqual([0, 0, 0, 0, 255, 255, 255]); // filter byte, then 3 + 3 pixels
    expect(firstImage('global').rows[4]).toBe(128);
    expect(firstImage('none').rows[4]).toBe(255); // 2 clamps to 1
  });

  it('names the shapes when the data is too short', () => {
    expect(() => imageGrid({ data: new Float32Array(10), count: 2, height: 3, width: 3 })).toThrow(
      /2 images of 3×3 need 18 values, got 10/,
    );
  });
});

describe('saveChart', () => {
  it('writes an SVG and a PNG, twice the size, whatever extension it is given', async () => {
    const spec = histogram([1, 2, 2, 3, 3, 3], { title: 'Saved', bins: 3, width: 200, height: 100 });
    const files = await saveChart(spec, join(dir, 'nested', 'hist.png'));
    expect(files).toEqual({ svg: join(dir, 'nested', 'hist.svg'), png: join(dir, 'nested', 'hist.png') });
    const svg = readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    const png = readFileSync(files.png);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const svgWidth = Number(/width="(\d+)"/.exec(svg)?.[1]);
    expect(png.readUInt32BE(16)).toBe(2 * svgWidth);
  });

  it('renders every kind of chart to a PNG', async () => {
    const specs = {
      line: lineChart([{ name: 'a', y: [1, 2, 3] }]),
      scatter: scatterPlot(spiral),
      regions: decisionRegions({ xs: [0, 1], ys: [0, 1], classes: [0, 1, 1, 2] }, spiral),
      images: imageGrid({ data: [0, 1, 1, 0], count: 1, height: 2, width: 2 }),
    };
    for (const [name, spec] of Object.entries(specs)) {
      const png = readFileSync((await saveChart(spec, join(dir, name))).png);
      expect(png.length).toBeGreaterThan(100);
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }
  });
});
