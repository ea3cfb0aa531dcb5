/**
 * Example — cnn-pictures: the pictures of docs/cnn.md, computed by the library itself (seed 001
 * §7.4, 002 items 37–39: im2col, col2im and the pooling gradient).
 *
 *   cnn-im2col     a 4×4 image (values 1…16) and im2col of it for a 3×3 filter, stride 1: each of
 *                  the 2×2 output positions becomes one row of 9 values, so the convolution is
 *                  one matrix product of these rows with the filters as columns.
 *   cnn-col2im     col2im of a matrix of ones, the adjoint of im2col: each pixel receives one 1
 *                  per window that covers it (corner 1, centre 4) — the gradient of the sum of
 *                  all windows, and why the conv backward adds overlaps up.
 *   cnn-maxpool    a 4×4 input, its 2×2 max pooling, and the gradient for dy = (1, 2, 3, 4): each
 *                  dy lands on its window's maximum, every other position gets 0.
 *
 * Run: pnpm example cnn-pictures [--out docs/images]
 */
import { join } from 'node:path';
import { type Tensor, arange, tensor } from '@nn/tensor';
import { col2im, im2col, maxPool2d, variable } from '@nn/autograd';
import { type ExampleOptions, outputDir, runIfMain } from './lib/cli.js';
import { type TopLevelSpec, saveChart } from './lib/plot.js';

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const CELL = 30;

/** A matrix drawn as cells with their values written in, shaded by value. */
function matrixPanel(values: number[][], title: string, scheme = 'blues'): Record<string, unknown> {
  const cells = values.flatMap((row, i) =>
    row.map((v, j) => ({ i, j, v, text: Number.isInteger(v) ? String(v) : v.toFixed(2) })),
  );
  const axis = (field: string) => ({ field, type: 'ordinal', axis: null });
  return {
    title: { text: title, fontSize: 12 },
    width: values[0].length * CELL,
    height: values.length * CELL,
    data: { values: cells },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: axis('j'),
          y: axis('i'),
          color: { field: 'v', type: 'quantitative', scale: { scheme }, legend: null },
        },
      },
      { mark: { type: 'text', fontSize: 11 }, encoding: { x: axis('j'), y: axis('i'), text: { field: 'text' } } },
    ],
  };
}

/** Panels side by side, with a title over them. */
function panels(title: string, parts: Record<string, unknown>[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 14 },
    config: { font: FONT, background: 'white', view: { stroke: null } },
    hconcat: parts,
    spacing: 24,
    resolve: { scale: { color: 'independent' } }, // each panel shaded by its own range
  } as unknown as TopLevelSpec;
}

function rows(t: Tensor): number[][] {
  return t.toArray() as number[][];
}

export interface CnnPicturesResult {
  /** im2col of the 4×4 image 1…16 with a 3×3 filter: 4 rows of 9. */
  columns: number[][];
  /** col2im of ones: how many windows cover each pixel. */
  coverage: number[][];
  /** The max-pool gradient for dy = (1, 2, 3, 4). */
  poolGradient: number[][];
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<CnnPicturesResult> {
  const out = outputDir('cnn-pictures', options);
  const files: string[] = [];
  const save = async (spec: TopLevelSpec, stem: string) => {
    const written = await saveChart(spec, join(out, stem));
    files.push(written.svg, written.png);
  };

  // im2col: (1, 1, 4, 4) → (2·2, 1·3·3).
  const image = arange(1, 17, 1, { dtype: 'float32' }).reshape([1, 1, 4, 4]);
  const columns = rows(im2col(variable(image), 3, 3).data);
  await save(
    panels('im2col: each 3×3 window of the image becomes a row', [
      matrixPanel(rows(image.reshape([4, 4])), 'image x (1, 1, 4, 4)'),
      matrixPanel(columns, 'im2col(x, 3, 3): (N·OH·OW, C·FH·FW) = (4, 9)'),
    ]),
    'cnn-im2col',
  );

  // col2im, the adjoint: ones in every column entry add up to the coverage count of each pixel.
  const coverage = rows(
    col2im(variable(tensor(Array.from({ length: 4 }, () => Array(9).fill(1)))), [1, 1, 4, 4], 3, 3).data.reshape([
      4, 4,
    ]),
  );
  await save(
    panels('col2im adds each entry back where im2col took it from', [
      matrixPanel(
        Array.from({ length: 4 }, () => Array(9).fill(1)),
        'dcol: ones (4, 9)',
        'greens',
      ),
      matrixPanel(coverage, 'col2im(dcol): windows covering each pixel', 'greens'),
    ]),
    'cnn-col2im',
  );

  // Max pooling and its gradient: dy flows to each window's maximum only.
  const x = variable(
    tensor([
      [
        [
          [1, 3, 2, 1],
          [4, 2, 0, 5],
          [3, 1, 6, 2],
          [0, 2, 4, 1],
        ],
      ],
    ]),
  );
  const y = maxPool2d(x, { size: 2 });
  y.backward({
    grad: tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]),
  });
  const poolGradient = rows(x.grad!.data.reshape([4, 4]));
  await save(
    panels('max pooling 2×2: the gradient goes to each window’s maximum', [
      matrixPanel(rows(x.data.reshape([4, 4])), 'x (4×4)', 'oranges'),
      matrixPanel(rows(y.data.reshape([2, 2])), 'y = maxPool2d(x)', 'oranges'),
      matrixPanel(
        [
          [1, 2],
          [3, 4],
        ],
        'dy',
        'purples',
      ),
      matrixPanel(poolGradient, 'dx', 'purples'),
    ]),
    'cnn-maxpool',
  );

  console.log('im2col of the 4×4 image 1…16, 3×3 filter (one row per window):');
  for (const row of columns) console.log(`  ${row.join(' ')}`);
  console.log(`col2im of ones (windows covering each pixel): ${coverage.map((r) => r.join(' ')).join(' / ')}`);
  console.log(`max-pool gradient for dy = 1 2 / 3 4: ${poolGradient.map((r) => r.join(' ')).join(' / ')}`);
  console.log(`wrote ${files.join(', ')}`);
  return { columns, coverage, poolGradient, files };
}

runIfMain(import.meta.url, main);
