import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { variable } from '@nn/autograd';
import { embeddableSvg, graphHtml, renderSvg, toDot, traceBackward, writeGraphHtml } from '@nn/autograd/inspect';

// SVG rendering (Graphviz in WebAssembly) and the HTML explorer's structure. The explorer's
// behaviour in a real browser is tested in inspect.browser.test.ts.

/**
 * A small XML well-formedness check (Node has no DOMParser): every tag closes in order,
 * attributes are quoted, text has no stray `<`, and entities are known. Returns the element names
 * in document order.
 */
function checkXml(xml: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(
      `not well-formed XML at ${i}: ${what} near ${JSON.stringify(xml.slice(Math.max(0, i - 40), i + 40))}`,
    );
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    for (const entity of text.match(/&[^;\s]*;?/g) ?? []) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(entity)) fail(`bad entity ${entity}`);
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) fail('unclosed comment');
      i = end + 3;
    } else if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) fail('unclosed processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!DOCTYPE', i)) {
      const end = xml.indexOf('>', i);
      i = end + 1;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) fail('unclosed CDATA');
      i = end + 3;
    } else {
      const tag = /^<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(
        xml.slice(i),
      );
      if (tag === null) fail('malformed tag');
      const [whole, closing, name, , selfClosing] = tag!;
      if (closing) {
        if (open.pop() !== name) fail(`</${name}> closes the wrong element`);
      } else {
        names.push(name);
        if (!selfClosing) open.push(name);
      }
      i += whole.length;
    }
  }
  if (open.length > 0) throw new Error(`not well-formed XML: unclosed <${open.join('>, <')}>`);
  return names;
}

function appleGraph() {
  const v = (value: number, name: string) => variable(value, { dtype: 'float64', name });
  const [apple, appleNum, orange, orangeNum, tax] = [
    v(100, 'apple'),
    v(2, 'apple_num'),
    v(150, 'orange'),
    v(3, 'orange_num'),
    v(1.1, 'tax'),
  ];
  const price = apple.mul(appleNum).add(orange.mul(orangeNum)).mul(tax);
  price.name = 'price';
  return { apple, tax, price };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the well-formedness check itself', () => {
  it('accepts good XML and rejects broken XML', () => {
    expect(checkXml('<?xml version="1.0"?><svg a="1"><g><text>a &amp; b</text></g><path d="M0"/></svg>')).toEqual([
      'svg',
      'g',
      'text',
      'path',
    ]);
    expect(() => checkXml('<svg><g></svg>')).toThrow(/wrong element/);
    expect(() => checkXml('<svg><g>')).toThrow(/unclosed/);
    expect(() => checkXml('<svg a=1></svg>')).toThrow(/malformed tag/);
    expect(() => checkXml('<svg>a & b</svg>')).toThrow(/bad entity/);
  });
});

describe('renderSvg', () => {
  it('renders DOT to well-formed SVG holding the labels and the ids of toDot', async () => {
    const { price } = appleGraph();
    const svg = await renderSvg(toDot(price, { values: true, title: 'apple & <orange>' }));
    expect(svg).toMatch(/^<\?xml[^>]*\?>\s*<!DOCTYPE svg/);
    const body = embeddableSvg(svg);
    expect(body.startsWith('<svg')).toBe(true);
    expect(body.trimEnd().endsWith('</svg>')).toBe(true);
    const elements = checkXml(svg);
    expect(elements[0]).toBe('svg');
    expect(elements.filter((e) => e === 'ellipse')).toHaveLength(9);
    for (const label of [
      'apple',
      'apple_num',
      'orange',
      'orange_num',
      'tax',
      'price',
      'Mul',
      'Add',
      'value 715',
      '() float64',
    ]) {
      expect(body).toContain(`>${label}</text>`);
    }
    expect(body).toContain('apple &amp; &lt;orange&gt;');
    expect(body).toMatch(/<g id="v0" class="node">/);
    expect(body).toMatch(/<g id="n3" class="node">/);
  });

  it('renders a larger graph (a chain of 300 nodes) and unicode rules', async () => {
    let y = variable([1, 2], { name: 'x' });
    for (let i = 0; i < 300; i++) y = i % 2 === 0 ? y.tanh() : y.mul(1.01);
    const svg = await renderSvg(toDot(y.matmul(variable([[1], [2]])), { rules: true, rankdir: 'TB' }));
    checkXml(svg);
    expect(svg).toContain('dX = dY·Wᵀ, dW = Xᵀ·dY');
  });

  it('loads Graphviz lazily: no static import of the WebAssembly package anywhere in src', () => {
    const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
    const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const importsGraphviz = /(?:from\s*|import\(\s*)['"]@hpcc-js\/wasm-graphviz['"]/; // not a doc comment naming it
    const importers = files.filter((f) => importsGraphviz.test(readFileSync(join(srcDir, f), 'utf8')));
    expect(importers).toEqual([join('inspect', 'render.ts')]);
    const source = readFileSync(join(srcDir, 'inspect', 'render.ts'), 'utf8');
    const staticImports = source.match(/^import\s+(?!type\b)[^;]*['"]@hpcc-js\/wasm-graphviz['"]/gm) ?? [];
    expect(staticImports).toEqual([]);
    expect(source).toContain("import('@hpcc-js/wasm-graphviz')");
  });

  it('keeps the import dynamic and external in the built package (when dist is built)', () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    let esm: string;
    let cjs: string;
    try {
      // renderSvg lives on the @nn/autograd/inspect entry.
      esm = readFileSync(join(dist, 'inspect.js'), 'utf8');
      cjs = readFileSync(join(dist, 'inspect.cjs'), 'utf8');
    } catch {
      return; // not built: `pnpm test` runs on sources; CI builds first and checks this
    }
    expect(esm).toMatch(/import\(\s*["']@hpcc-js\/wasm-graphviz["']\s*\)/);
    // CJS with shared chunks (tsup's splitting) turns import() into a require deferred to the first call.
    expect(cjs).toMatch(/Promise\.resolve\(\)\.then\(\(\) => [^;]*require\(\s*["']@hpcc-js\/wasm-graphviz["']\s*\)/);
    for (const code of [esm, cjs]) {
      expect(code).not.toMatch(/^import[^;]*["']@hpcc-js\/wasm-graphviz["']/m);
      expect(code).not.toMatch(/^(var|const|let)[^;\n]*require\(\s*["']@hpcc-js\/wasm-graphviz["']\s*\)/m);
      expect(code).not.toContain('Graphviz.load=function'); // not bundled in
    }
  });
});

describe('graphHtml and writeGraphHtml', () => {
  it('writes one self-contained page: inline SVG, data, script; nothing fetched', async () => {
    const { price } = appleGraph();
    const dir = mkdtempSync(join(tmpdir(), 'nn-html-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'apple.html');
    await writeGraphHtml(price, file, { title: 'Apple <tax>' });
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Apple &lt;tax&gt;</title>');
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    expect(html).not.toMatch(/<\?xml|<!DOCTYPE svg/);
    expect(html).not.toMatch(/<(link|img|iframe)\b/);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/);
    expect(html).not.toMatch(/(href|src)=["']?(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    // The only URLs are XML namespace names, which are never fetched.
    for (const url of html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [])
      expect(url).toMatch(/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/);
    checkXml(html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6));

    const json = /<script type="application\/json" id="graph-data">([^]*?)<\/script>/.exec(html)![1];
    const data = JSON.parse(json);
    expect(data.steps.map((s: { type: string }) => s.type)).toEqual(['Mul', 'Add', 'Mul', 'Mul']);
    expect(data.variables.v7).toMatchObject({
      label: 'tax',
      kind: 'parameter',
      shape: '()',
      dtype: 'float64',
      value: '1.1',
      grad: '650',
      gradSource: 'trace',
    });
    expect(data.nodes.n3).toMatchObject({ type: 'Mul', rule: 'Mul: dx0 = dy·x1, dx1 = dy·x0', step: 0 });
  });

  it('keeps hostile names inside the data and the SVG text', async () => {
    const x = variable([1, 2], { name: '</script><script>alert(1)</script>' });
    const html = await graphHtml(x.sum());
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
  });

  it('still draws a freed graph, and says why there are no steps', async () => {
    const { price, tax } = appleGraph();
    price.backward();
    const html = await graphHtml(price);
    const data = JSON.parse(/id="graph-data">([^]*?)<\/script>/.exec(html)![1]);
    expect(data.steps).toEqual([]);
    expect(data.traceError).toMatch(/was freed by backward/);
    expect(data.variables.v7.grad).toBe('650'); // tax.grad is kept
    expect(tax.grad!.item()).toBeCloseTo(650, 9);
    // A trace taken before backward still replays.
    const again = appleGraph();
    const steps = traceBackward(again.price);
    again.price.backward();
    const replay = JSON.parse(
      /id="graph-data">([^]*?)<\/script>/.exec(await graphHtml(again.price, { trace: steps }))![1],
    );
    expect(replay.steps).toHaveLength(4);
  });
});
