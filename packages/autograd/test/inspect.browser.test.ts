import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { browserSuite, newContext } from '../../../test/browser/harness.js';
import { Generator, randn, tensor, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import { variable } from '@nn/autograd';
import { writeGraphHtml } from '@nn/autograd/inspect';

// The HTML explorer in a real browser: Debian's Chromium driven by playwright-core. Skipped, with
// a message, where /usr/bin/chromium is missing (CI installs it with apt-get). NN_CHROMIUM
// points the test at another Chromium binary.

browserSuite('the HTML explorer in Chromium', () => {
  let dir = '';
  let context: BrowserContext | null = null;
  const requests: string[] = [];
  const errors: string[] = [];
  const files = { apple: '', twoLayer: '', chain: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nn-browser-'));
    const v = (value: number, name: string) => variable(value, { dtype: 'float64', name });
    const [apple, appleNum, orange, orangeNum, tax] = [
      v(100, 'apple'),
      v(2, 'apple_num'),
      v(150, 'orange'),
      v(3, 'orange_num'),
      v(1.1, 'tax'),
    ];
    const allPrice = apple.mul(appleNum).add(orange.mul(orangeNum));
    allPrice.name = 'all_price';
    const price = allPrice.mul(tax);
    price.name = 'price';
    files.apple = join(dir, 'apple.html');
    await writeGraphHtml(price, files.apple, { title: 'Apple and orange tax' });

    const g = new Generator(0);
    const x = variable(randn([4, 2], { generator: g }), { name: 'x', requiresGrad: false });
    const W1 = variable(randn([2, 5], { generator: g }), { name: 'W1' });
    const b1 = variable(zeros([5]), { name: 'b1' });
    const W2 = variable(randn([5, 3], { generator: g }), { name: 'W2' });
    const b2 = variable(zeros([3]), { name: 'b2' });
    const loss = F.softmaxCrossEntropy(
      F.linear(F.sigmoid(F.linear(x, W1, b1)), W2, b2),
      tensor([0, 2, 1, 2], { dtype: 'int32' }),
    );
    files.twoLayer = join(dir, 'two-layer.html');
    await writeGraphHtml(loss, files.twoLayer);

    // A long chain: twelve nodes one after another.
    let chain = variable([0.5, -0.25], { name: 'x' });
    for (let i = 0; i < 11; i++) chain = chain.tanh();
    files.chain = join(dir, 'chain.html');
    await writeGraphHtml(chain.sum(), files.chain);

    context = await newContext({ viewport: { width: 1400, height: 800 } });
    context.on('request', (request) => void requests.push(request.url()));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<Page> {
    const page = await context!.newPage();
    page.on('pageerror', (error) => void errors.push(error.message));
    await page.goto(pathToFileURL(file).href);
    return page;
  }
  const field = (page: Page, box: string, name: string) =>
    page.locator(`${box} [data-field="${name}"]`).first().innerText();
  const classes = (page: Page, id: string) => page.locator(`g.node[id="${id}"]`).getAttribute('class');

  it('shows a value, its gradient, shape and rule when a node is clicked', async () => {
    const page = await open(files.apple);
    await page.click('g.node[id="v0"]'); // apple
    expect(await field(page, '#details', 'title')).toBe('apple');
    expect(await field(page, '#details', 'grad')).toBe('2.2');
    expect(await field(page, '#details', 'value')).toBe('100');
    expect(await field(page, '#details', 'shape')).toBe('()');
    expect(await field(page, '#details', 'kind')).toBe('parameter');
    expect(await classes(page, 'v0')).toContain('selected');

    await page.click('g.node[id="v7"]'); // tax
    expect(await field(page, '#details', 'grad')).toBe('650');
    await page.click('g.node[id="v6"]'); // all_price: an intermediate, its gradient comes from the trace
    expect(await field(page, '#details', 'grad')).toBe('1.1');
    expect(await field(page, '#details', 'grad-source')).toContain('backward trace');
    expect(await field(page, '#details', 'rule')).toBe('Add: dx0 = dy, dx1 = dy');
    await page.click('g.node[id="n3"]'); // the tax Mul node
    expect(await field(page, '#details', 'title')).toBe('Mul');
    expect(await field(page, '#details', 'rule')).toBe('Mul: dx0 = dy·x1, dx1 = dy·x0');
    expect(await field(page, '#details', 'step')).toBe('1 of 4');
    expect(await classes(page, 'v0')).not.toContain('selected');
    await page.close();
  });

  it('replays the backward trace node by node with Prev and Next', async () => {
    const page = await open(files.apple);
    expect(await page.innerText('#step-label')).toBe('Step 0 of 4');
    expect(await page.isDisabled('#prev')).toBe(true);

    await page.click('#next');
    expect(await page.innerText('#step-label')).toBe('Step 1 of 4');
    expect(await classes(page, 'n3')).toContain('current');
    expect(await classes(page, 'v8')).toContain('upstream'); // price
    expect(await classes(page, 'v6')).toContain('receiving'); // all_price
    expect(await classes(page, 'v7')).toContain('receiving'); // tax
    expect(await field(page, '#step-details', 'step-rule')).toBe('Mul: dx0 = dy·x1, dx1 = dy·x0');
    expect(await page.locator('#step-details [data-field="input-grad"]').allInnerTexts()).toEqual(['1.1', '650']);

    await page.click('#next');
    expect(await classes(page, 'n2')).toContain('current');
    expect(await classes(page, 'n3')).not.toContain('current');
    await page.click('#next');
    expect(await classes(page, 'n0')).toContain('current');
    expect(await page.locator('#step-details [data-field="input-grad"]').allInnerTexts()).toEqual(['2.2', '110']);
    await page.click('#next');
    expect(await page.innerText('#step-label')).toBe('Step 4 of 4');
    expect(await classes(page, 'n1')).toContain('current');
    expect(await page.locator('#step-details [data-field="input-grad"]').allInnerTexts()).toEqual(['3.3', '165']);
    expect(await page.isDisabled('#next')).toBe(true);
    expect(await classes(page, 'v0')).toContain('has-grad');

    await page.click('#prev');
    expect(await page.innerText('#step-label')).toBe('Step 3 of 4');
    expect(await classes(page, 'n0')).toContain('current');
    await page.keyboard.press('ArrowLeft');
    expect(await page.innerText('#step-label')).toBe('Step 2 of 4');
    await page.close();
  });

  it('shows broadcasting undone in a two-layer net, without errors or network requests', async () => {
    const page = await open(files.twoLayer);
    expect(await page.innerText('#step-label')).toBe('Step 0 of 6');
    await page.click('#next');
    await page.click('#next'); // the second Add: scores = h·W2 + b2
    expect(await field(page, '#step-details', 'step-node')).toMatch(/^Add /);
    const [, bias] = await page.locator('#step-details [data-field="input-grad"]').allInnerTexts();
    expect(bias).toContain('summed from (4,3)');
    expect(errors).toEqual([]);
    expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
    await page.close();
  });

  it('fits the two-layer net in a 1400×900 window: every node inside the pane, after zooming too', async () => {
    const page = await open(files.twoLayer);
    await page.setViewportSize({ width: 1400, height: 900 });
    // Runs in the page (this file is compiled without DOM types, hence the local ones).
    const outside = () =>
      page.evaluate(() => {
        type Box = { left: number; right: number; top: number; bottom: number };
        type Element = { id: string; getBoundingClientRect(): Box };
        const page = globalThis as unknown as {
          innerWidth: number;
          innerHeight: number;
          document: { getElementById(id: string): Element; querySelectorAll(s: string): Iterable<Element> };
        };
        const pane = page.document.getElementById('graph').getBoundingClientRect();
        const inside = (r: Box) =>
          r.left >= pane.left - 0.5 &&
          r.right <= pane.right + 0.5 &&
          r.top >= pane.top - 0.5 &&
          r.bottom <= pane.bottom + 0.5 &&
          r.right <= page.innerWidth &&
          r.bottom <= page.innerHeight;
        const nodes = [...page.document.querySelectorAll('#graph g.node')];
        return {
          count: nodes.length,
          outside: nodes.filter((g) => !inside(g.getBoundingClientRect())).map((g) => g.id),
        };
      });
    await page.click('#fit');
    expect(await outside()).toEqual({ count: 17, outside: [] });
    // Zoomed in far, nodes leave the pane; Fit brings every one back.
    for (let i = 0; i < 6; i++) await page.click('#zoom-in');
    expect((await outside()).outside.length).toBeGreaterThan(0);
    await page.keyboard.press('f');
    expect((await outside()).outside).toEqual([]);
    // The other layout fits as well, and the details still follow the drawing.
    const rankdir = () =>
      page.evaluate(() => (globalThis as unknown as { graphExplorer: { rankdir: string } }).graphExplorer.rankdir);
    const before = await rankdir();
    await page.click('#layout');
    const after = await rankdir();
    expect(after).not.toBe(before);
    expect(await outside()).toEqual({ count: 17, outside: [] });
    await page.hover('g.node[id="v1"]');
    expect(await field(page, '#details', 'title')).toBe('W1');
    // Long gradients wrap inside the panel instead of running past it.
    await page.click('g.node[id="v1"]');
    const overflow = await page
      .locator('#details [data-field="grad"] pre')
      .evaluate((pre: { scrollWidth: number; clientWidth: number }) => pre.scrollWidth - pre.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lays a long chain out top to bottom, where it fits at a larger scale', async () => {
    const page = await open(files.chain);
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.reload();
    const explorer = () =>
      page.evaluate(() => {
        const e = (globalThis as unknown as { graphExplorer: { rankdir: string; view: { w: number } } }).graphExplorer;
        return { rankdir: e.rankdir, width: e.view.w };
      });
    const tb = await explorer();
    expect(tb.rankdir).toBe('TB');
    await page.click('#layout');
    const lr = await explorer();
    expect(lr.rankdir).toBe('LR');
    // The same pane shows more drawing units across: the left-to-right chain is drawn smaller.
    expect(lr.width).toBeGreaterThan(tb.width);
    expect(errors).toEqual([]);
    await page.close();
  });
});
