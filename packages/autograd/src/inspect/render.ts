import type { Graphviz } from '@hpcc-js/wasm-graphviz';

/**
 * Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz), so drawing needs no system Graphviz.
 * It is loaded with a dynamic `import()` on the first call only: programs that never draw a graph
 * never load its ~1 MB of WebAssembly. The loaded instance is shared by later calls.
 */
let graphviz: Promise<Graphviz> | null = null;

function loadGraphviz(): Promise<Graphviz> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((module) => module.Graphviz.load());
  // A failed load (e.g. the package missing) is not cached, so a later call can try again.
  graphviz.catch(() => (graphviz = null));
  return graphviz;
}

/**
 * Lays out a DOT graph with Graphviz's `dot` engine and returns standalone SVG text
 * (XML declaration included; `embeddableSvg` strips it for inlining in HTML).
 *
 * @example
 * const svg = await renderSvg(toDot(loss, { shapes: true }));
 * writeFileSync('loss.svg', svg);
 */
export async function renderSvg(dot: string): Promise<string> {
  const gv = await loadGraphviz();
  return gv.dot(dot, 'svg');
}

/**
 * SVG text ready to inline in an HTML page: without the XML declaration, DOCTYPE and comments
 * that only a standalone file needs.
 *
 * @example
 * const html = `<body>${embeddableSvg(await renderSvg(dot))}</body>`;
 */
export function embeddableSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .trim();
}
