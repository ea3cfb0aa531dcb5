/**
 * The playground in headless Chromium, served by its own dev server (tools/serve.ts) with and
 * without the COOP/COEP headers: it opens on a graph, shows gradients after Run, fits the
 * two-layer net's graph in a 1400×900 window, shows a user's error, stops an endless loop,
 * trains the spiral live to its accuracy and the MNIST MLP for one epoch, and writes
 * screenshots that are checked for content. Skipped, with a message, where Chromium is missing.
 *
 * The screenshots go to a temporary folder; NN_PLAYGROUND_SCREENSHOTS=docs/images writes the
 * ones the docs show.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../tools/serve.js';
import { type Browser, chromiumMissing, launch } from './browser.js';

if (chromiumMissing) console.warn(`[playground.browser.test] SKIPPED: ${chromiumMissing}`);
const suite = chromiumMissing ? describe.skip : describe;

/** The page's own state, as main.ts writes it on <body>. */
const body = (page: Page, key: string) => page.evaluate((k) => document.body.dataset[k] ?? '', key);
const idle = (page: Page) =>
  page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 30_000 });
/** Waits for the explorer frame to hold its `n`-th graph. */
async function graph(page: Page, n: number): Promise<Frame> {
  await page.waitForFunction((k) => Number(document.body.dataset.graphs) >= k, n, { timeout: 30_000 });
  const frame = await (await page.$('#graph-frame'))!.contentFrame();
  await frame!.waitForSelector('#graph svg g.node');
  return frame!;
}
const field = (frame: Frame, name: string) => frame.locator(`#details [data-field="${name}"]`).first().innerText();

async function setCode(page: Page, code: string): Promise<void> {
  await page.fill('#code', code);
}

async function openLesson(page: Page, id: string): Promise<void> {
  const graphs = Number(await body(page, 'graphs'));
  await page.selectOption('#lesson', id);
  await graph(page, graphs + 1);
  await idle(page);
}

const shots = process.env.NN_PLAYGROUND_SCREENSHOTS ? resolve(process.env.NN_PLAYGROUND_SCREENSHOTS) : '';

suite(`the playground in Chromium${chromiumMissing ? ` (SKIPPED: ${chromiumMissing})` : ''}`, () => {
  let server: RunningServer | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let dir = '';
  const errors: string[] = [];

  beforeAll(async () => {
    dir = shots || mkdtempSync(join(tmpdir(), 'nn-playground-shots-'));
    mkdirSync(dir, { recursive: true });
    // The kernels were compiled by vitest's global setup.
    [server, browser] = await Promise.all([startServer({ port: 0, kernels: false, minify: true }), launch()]);
    page = await browser.newPage({ width: 1400, height: 900 }, errors);
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (!shots && dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a screenshot and checks it is a picture, not a blank page: many colours, few of them white. */
  async function screenshot(name: string): Promise<void> {
    const file = join(dir, `playground-${name}.png`);
    await page.screenshot({ path: file });
    const check = await browser!.newPage({ width: 200, height: 200 }, errors);
    const stats = await check.evaluate(async (png) => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(image, 0, 0);
      const pixels = g.getImageData(0, 0, image.width, image.height).data;
      const colours = new Set<number>();
      let white = 0;
      for (let i = 0; i < pixels.length; i += 16) {
        colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
        if (pixels[i] > 250 && pixels[i + 1] > 250 && pixels[i + 2] > 250) white++;
      }
      return {
        width: image.width,
        height: image.height,
        colours: colours.size,
        whiteShare: white / (pixels.length / 16),
      };
    }, readFileSync(file).toString('base64'));
    await check.close();
    expect(stats).toMatchObject({ width: 1400, height: 900 });
    expect(stats.colours).toBeGreaterThan(50);
    expect(stats.whiteShare).toBeLessThan(0.95);
  }

  it('opens on the default lesson with its graph, cross-origin isolated, and shows gradients after Run', async () => {
    await page.goto(server!.url);
    const first = await graph(page, 1);
    await idle(page);
    // The apple graph: five inputs, three nodes' outputs, four nodes; gradients printed in it.
    expect(await first.locator('#graph svg g.node').count()).toBe(13);
    expect(await first.locator('#graph svg').textContent()).toContain('grad 650');
    expect(await page.inputValue('#lesson')).toBe('apple');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.isHidden('#isolation')).toBe(true);
    expect(await page.innerText('#env')).toContain('cross-origin isolated');
    expect(await page.innerText('#status')).toContain('= 715');
    await screenshot('apple');

    // Edit and Run: price without the oranges. dprice/dapple = apple_num·tax = 2.2 again, dtax = 200.
    await setCode(page, 'apple.mul(apple_num).mul(tax)');
    await page.click('#run');
    const frame = await graph(page, 2);
    await idle(page);
    expect(await page.innerText('#status')).toContain('= 220');
    await frame.hover('g.node[id="v0"]');
    expect(await field(frame, 'title')).toBe('apple');
    expect(await field(frame, 'grad')).toBe('2.2');
    await frame.click('g.node[id="v3"]');
    expect(await field(frame, 'title')).toBe('tax');
    expect(await field(frame, 'grad')).toBe('200');
    // The step-through of backward, one node at a time.
    await frame.click('#next');
    expect(await frame.innerText('#step-label')).toBe('Step 1 of 2');
    expect(errors).toEqual([]);
  });

  it("shows a user's error with its op and shapes, and stops an endless loop", async () => {
    await openLesson(page, 'affine');
    await setCode(page, 'x.matmul(x).sum()');
    await page.click('#run');
    await idle(page);
    const message = await page.innerText('#error');
    expect(message).toMatch(/^ShapeError while running your code/);
    expect(message).toContain('(2,3)');
    expect(message.toLowerCase()).toContain('matmul');
    await setCode(page, 'const h = x.matmul(W);\nreturn h.add(b).reshape(5);');
    await page.click('#run');
    await idle(page);
    expect(await page.innerText('#error')).toMatch(/line 2: /);
    // A graph too large to draw is refused with its size, not left to Graphviz for minutes.
    await setCode(page, 'let y = x.matmul(W);\nfor (let i = 0; i < 400; i++) y = y.tanh();\nreturn y.sum();');
    await page.click('#run');
    await idle(page);
    expect(await page.innerText('#error')).toMatch(/^RangeError while drawing the graph: the graph has 402 nodes/);

    await setCode(page, 'while (true) {}');
    await page.click('#run');
    expect(await body(page, 'state')).toBe('running');
    await page.waitForTimeout(200);
    // The page still answers while the worker loops.
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
    await page.click('#stop');
    await idle(page);
    expect(await page.innerText('#status')).toMatch(/^Stopped/);
    await page.click('#reset');
    await page.click('#run');
    await graph(page, Number(await body(page, 'graphs')) + 1);
    await idle(page);
    expect(await page.isHidden('#error')).toBe(true);
    expect(errors).toEqual([]);
  });

  it("fits the two-layer net's graph: after Fit every node lies inside the 1400×900 window", async () => {
    await openLesson(page, 'spiral');
    const frame = await graph(page, Number(await body(page, 'graphs')));
    await frame.click('#zoom-in');
    await frame.click('#zoom-in');
    await frame.click('#fit');
    const frameBox = (await page.locator('#graph-frame').boundingBox())!;
    const boxes = await frame.evaluate(() => {
      const pane = document.getElementById('graph')!.getBoundingClientRect();
      const nodes = [...document.querySelectorAll('#graph g.node')].map((g) => g.getBoundingClientRect());
      return { pane: pane.toJSON() as DOMRect, nodes: nodes.map((r) => r.toJSON() as DOMRect) };
    });
    expect(boxes.nodes.length).toBe(17);
    for (const r of boxes.nodes) {
      expect(r.left).toBeGreaterThanOrEqual(boxes.pane.left - 0.5);
      expect(r.right).toBeLessThanOrEqual(boxes.pane.right + 0.5);
      expect(r.top).toBeGreaterThanOrEqual(boxes.pane.top - 0.5);
      expect(r.bottom).toBeLessThanOrEqual(boxes.pane.bottom + 0.5);
      // In the window's coordinates too.
      expect(frameBox.x + r.right).toBeLessThanOrEqual(1400);
      expect(frameBox.y + r.bottom).toBeLessThanOrEqual(900);
    }
  });

  it('trains the spiral live to its accuracy, drawing the curve and the decision regions', async () => {
    await page.fill('#epochs', '200'); // the book's 300 take a second longer for the same picture
    await page.click('#train');
    expect(await body(page, 'state')).toBe('training');
    await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 60_000 });
    expect(await page.isHidden('#error')).toBe(true);
    expect(Number(await body(page, 'accuracy'))).toBeGreaterThan(0.9);
    expect(await page.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
    await graph(page, Number(await body(page, 'graphs')));
    await screenshot('spiral');
    expect(errors).toEqual([]);
  });

  it('trains the MNIST MLP on fetched IDX files and shows test digits with guesses', async () => {
    await openLesson(page, 'mnist');
    await page.fill('#epochs', '1');
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 60_000 });
    expect(await page.isHidden('#error')).toBe(true);
    expect(Number(await body(page, 'accuracy'))).toBeGreaterThan(0.7);
    await screenshot('mnist');
    expect(errors).toEqual([]);
  });

  it('says so when the page is not cross-origin isolated, and still runs on one thread', async () => {
    const other = await browser!.newPage({ width: 1400, height: 900 }, errors);
    await other.goto(`${server!.url}no-isolation/`);
    await graph(other, 1);
    await idle(other);
    expect(await other.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await other.innerText('#isolation')).toMatch(/not cross-origin isolated.*one thread/);
    expect(await other.innerText('#env')).toContain('1 thread');
    await other.close();
    expect(errors).toEqual([]);
  });
});
