/**
 * The training pictures, drawn on canvases: the loss and accuracy curve, the spiral's decision
 * regions with its points, and a grid of test digits with the network's guesses.
 */
import type { CurvePoint } from './protocol.js';

/** The seeds' plots colour the three spiral arms like matplotlib's first three colours. */
const CLASS_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const REGION_COLORS = ['#c6dbef', '#fdd0a2', '#c7e9c0', '#fcbba1', '#dadaeb', '#d9c4bd', '#f7d0e8', '#e0e0e0'];

/** A 2-d context sized to the canvas's CSS box at the device's pixel ratio, in CSS pixels. */
function context(canvas: HTMLCanvasElement): { g: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, canvas.clientWidth);
  const height = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext('2d')!;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  return { g, width, height };
}

const niceMax = (v: number): number => {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 3, 5, 7.5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
};

/** Loss (left axis, blue) and accuracy (right axis, 0–100%, orange) against iterations. */
export function drawCurve(canvas: HTMLCanvasElement, points: readonly CurvePoint[], iterations: number): void {
  const { g, width, height } = context(canvas);
  const left = 44;
  const right = 44;
  const top = 22;
  const bottom = 28;
  const w = width - left - right;
  const h = height - top - bottom;
  const lossMax = niceMax(Math.max(0, ...points.map((p) => p.loss)));
  const xMax = Math.max(1, iterations);
  const X = (i: number) => left + (i / xMax) * w;
  const yLoss = (v: number) => top + h - (Math.min(v, lossMax) / lossMax) * h;
  const yAcc = (v: number) => top + h - v * h;

  g.font = '11px system-ui, sans-serif';
  g.strokeStyle = '#ddd';
  g.fillStyle = '#666';
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const y = top + (h * k) / 4;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(left + w, y);
    g.stroke();
    g.textAlign = 'right';
    g.fillText(String(Number((lossMax * (1 - k / 4)).toPrecision(3))), left - 4, y + 4);
    g.textAlign = 'left';
    g.fillText(`${100 - 25 * k}%`, left + w + 4, y + 4);
  }
  g.textAlign = 'center';
  g.fillText(`iterations (${iterations})`, left + w / 2, height - 8);
  g.fillStyle = '#1f77b4';
  g.textAlign = 'left';
  g.fillText('loss', left, 14);
  g.fillStyle = '#e08a00';
  g.textAlign = 'right';
  g.fillText('accuracy', left + w, 14);

  const line = (color: string, y: (p: CurvePoint) => number) => {
    if (points.length === 0) return;
    g.strokeStyle = color;
    g.lineWidth = 1.6;
    g.beginPath();
    points.forEach((p, i) => (i === 0 ? g.moveTo(X(p.iteration), y(p)) : g.lineTo(X(p.iteration), y(p))));
    g.stroke();
  };
  line('#1f77b4', (p) => yLoss(p.loss));
  line('#e08a00', (p) => yAcc(p.accuracy));
}

/** The predicted class of every grid cell as coloured regions, and the training points on top. */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  view: { points: Float32Array; labels: Int32Array; extent: [number, number]; grid: number },
  regions: Uint8Array | null,
): void {
  const { g, width, height } = context(canvas);
  const size = Math.min(width, height);
  const ox = (width - size) / 2;
  const oy = (height - size) / 2;
  const [lo, hi] = view.extent;
  const cell = size / view.grid;
  if (regions) {
    for (let row = 0; row < view.grid; row++)
      for (let col = 0; col < view.grid; col++) {
        g.fillStyle = REGION_COLORS[regions[row * view.grid + col] % REGION_COLORS.length];
        g.fillRect(ox + col * cell, oy + row * cell, cell + 0.5, cell + 0.5);
      }
  } else {
    g.fillStyle = '#f4f4f4';
    g.fillRect(ox, oy, size, size);
  }
  const P = (v: number) => ((v - lo) / (hi - lo)) * size;
  for (let i = 0; i < view.labels.length; i++) {
    g.fillStyle = CLASS_COLORS[view.labels[i] % CLASS_COLORS.length];
    g.beginPath();
    g.arc(ox + P(view.points[2 * i]), oy + size - P(view.points[2 * i + 1]), 2.6, 0, 2 * Math.PI);
    g.fill();
  }
  g.strokeStyle = '#999';
  g.strokeRect(ox + 0.5, oy + 0.5, size - 1, size - 1);
}

/** Test digits in a grid, each with its label and the network's guess (green when right, red when wrong). */
export function drawDigits(
  canvas: HTMLCanvasElement,
  view: { images: Uint8Array; labels: Int32Array; count: number },
  predictions: Int32Array | null,
): void {
  const { g, width, height } = context(canvas);
  const columns = 8;
  const rows = Math.ceil(view.count / columns);
  const cellW = width / columns;
  const cellH = height / rows;
  const scale = Math.max(1, Math.floor(Math.min(cellW, cellH - 14) / 28));
  const image = g.createImageData(28, 28);
  const tile = document.createElement('canvas');
  tile.width = 28;
  tile.height = 28;
  const tileContext = tile.getContext('2d')!;
  g.imageSmoothingEnabled = false;
  g.font = '12px system-ui, sans-serif';
  g.textAlign = 'center';
  for (let k = 0; k < view.count; k++) {
    for (let p = 0; p < 784; p++) {
      const v = 255 - view.images[k * 784 + p];
      image.data.set([v, v, v, 255], p * 4);
    }
    tileContext.putImageData(image, 0, 0);
    const x = (k % columns) * cellW + (cellW - 28 * scale) / 2;
    const y = Math.floor(k / columns) * cellH + 2;
    g.drawImage(tile, x, y, 28 * scale, 28 * scale);
    const guess = predictions ? predictions[k] : null;
    g.fillStyle = guess === null ? '#666' : guess === view.labels[k] ? '#2ca02c' : '#d62728';
    g.fillText(
      guess === null ? `${view.labels[k]}` : `${guess} (${view.labels[k]})`,
      x + 14 * scale,
      y + 28 * scale + 12,
    );
  }
}
