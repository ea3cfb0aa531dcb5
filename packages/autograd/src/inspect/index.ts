/**
 * Graph inspection, for learning and debugging: draw the recorded graph (DOT, SVG), export it as
 * data (JSON), print it as a tree, trace the backward pass node by node, and explore both in one
 * self-contained HTML page. See docs/inspecting-graphs.md.
 *
 * This is the `@nn/autograd/inspect` entry, kept off the runtime surface (only `toDot`, pure string
 * building, is on `@nn/autograd` as well). `renderSvg` and the HTML explorer load
 * `@hpcc-js/wasm-graphviz`, an optional peer dependency: install it beside the package to draw SVG.
 *
 * @example
 * import { toDot, renderSvg, printGraph, traceBackward, formatTrace, writeGraphHtml } from '@nn/autograd/inspect';
 * printGraph(loss);
 * console.log(formatTrace(traceBackward(loss)));
 * writeFileSync('loss.svg', await renderSvg(toDot(loss, { values: true })));
 * await writeGraphHtml(loss, 'loss.html');
 */
export type { VariableKind } from './graph.js';
export { toDot, type ToDotOptions, type RankDir } from './dot.js';
export {
  graphToJSON,
  type GraphJSON,
  type VariableJSON,
  type NodeJSON,
  type EdgeJSON,
  type GraphToJSONOptions,
} from './json.js';
export { formatGraph, printGraph, type FormatGraphOptions } from './tree.js';
export {
  traceBackward,
  formatTrace,
  type BackwardStep,
  type UpstreamGradient,
  type InputGradient,
  type TraceOptions,
  type FormatTraceOptions,
} from './trace.js';
export { renderSvg, embeddableSvg } from './render.js';
export { graphHtml, writeGraphHtml, type GraphHtmlOptions } from './html.js';
