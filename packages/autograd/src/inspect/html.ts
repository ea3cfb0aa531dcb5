import type { Tensor } from '@nn/tensor';
import { requireNodeBuiltin } from '@nn/tensor/internal';
import type { Operand } from '../function.js';
import type { Variable } from '../variable.js';
import { type VariableKind, collectGraph, kindOf, labelOf, previewBlock, shapeText } from './graph.js';
import { type RankDir, gradientFor, toDot } from './dot.js';
import { embeddableSvg, renderSvg } from './render.js';
import { type BackwardStep, traceBackward, traceGradients } from './trace.js';

/** Options of `graphHtml` and `writeGraphHtml`. @example writeGraphHtml(loss, 'loss.html', { title: 'My net', trace: steps }) */
export interface GraphHtmlOptions {
  /** The page title and heading (default "Computation graph"). */
  title?: string;
  /** Layout direction of the drawing (default 'LR'). */
  rankdir?: RankDir;
  /** Also print value previews inside the drawing (default false; clicking always shows them). */
  values?: boolean;
  /** Also print gradient previews inside the drawing (default false; clicking always shows them). */
  grads?: boolean;
  /** Elements shown in the side panel before `…` (default 64). */
  maxElements?: number;
  /** Significant digits in the side panel (default 6). */
  precision?: number;
  /** The trace to replay; default `traceBackward(output, { grad })`. */
  trace?: readonly BackwardStep[];
  /** The seed gradient for the default trace (as `backward({ grad })`). */
  grad?: Operand;
}

/** What the page's script reads: everything pre-formatted as text. */
interface PageData {
  title: string;
  variables: Record<
    string,
    {
      id: string;
      label: string;
      kind: VariableKind;
      shape: string;
      dtype: string;
      isOutput: boolean;
      value: string;
      grad: string | null;
      gradSource: 'grad' | 'trace' | null;
      creator: string | null;
    }
  >;
  nodes: Record<
    string,
    {
      id: string;
      type: string;
      rule: string;
      generation: number;
      inputs: string[];
      outputs: string[];
      step: number | null;
    }
  >;
  steps: {
    nodeId: string;
    type: string;
    rule: string;
    upstream: { id: string; label: string; grad: string }[];
    inputs: { id: string; label: string; grad: string | null; reducedFrom: string | null }[];
  }[];
  traceError: string | null;
}

function pageData(
  output: Variable,
  options: GraphHtmlOptions,
  trace: readonly BackwardStep[] | null,
  traceError: string | null,
): PageData {
  const graph = collectGraph(output, 'graphHtml');
  const maxElements = options.maxElements ?? 64;
  const precision = options.precision ?? 6;
  const text = (t: Tensor): string => previewBlock(t, maxElements, precision);
  const traced = trace ? traceGradients(trace) : null;
  const stepOf = new Map<string, number>();
  trace?.forEach((s, i) => stepOf.set(s.nodeId, i));
  const variables: PageData['variables'] = {};
  for (const v of graph.variables) {
    const id = graph.variableIds.get(v)!;
    const g = gradientFor(v, traced);
    variables[id] = {
      id,
      label: labelOf(graph, v),
      kind: kindOf(v),
      shape: shapeText(v.shape),
      dtype: v.dtype,
      isOutput: v === output,
      value: text(v.data),
      grad: g === null ? null : text(g),
      gradSource: v.grad !== null ? 'grad' : g !== null ? 'trace' : null,
      creator: v.creator === null ? null : graph.nodeIds.get(v.creator)!,
    };
  }
  const nodes: PageData['nodes'] = {};
  for (const node of graph.nodes) {
    const id = graph.nodeIds.get(node)!;
    nodes[id] = {
      id,
      type: node.name,
      rule: node.rule,
      generation: node.generation,
      inputs: node.inputs.map((x) => graph.variableIds.get(x)!),
      outputs: node.outputs.map((y) => graph.variableIds.get(y)!),
      step: stepOf.get(id) ?? null,
    };
  }
  const steps: PageData['steps'] = (trace ?? []).map((s) => ({
    nodeId: s.nodeId,
    type: s.type,
    rule: s.rule,
    upstream: s.upstream.map((u) => ({ id: u.id, label: u.label, grad: text(u.grad) })),
    inputs: s.inputs.map((x) => ({
      id: x.id,
      label: x.label,
      grad: x.grad === null ? null : text(x.grad),
      reducedFrom: x.reducedFrom === null ? null : shapeText(x.reducedFrom),
    })),
  }));
  return { title: options.title ?? 'Computation graph', variables, nodes, steps, traceError };
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON safe inside a <script> element: no `</script>`, `<!--` or line separators can appear. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; display: flex; flex-direction: column; height: 100vh; }
  header { padding: 8px 16px; border-bottom: 1px solid #ddd; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  .controls { display: flex; align-items: center; gap: 8px; }
  button { font: inherit; padding: 3px 12px; border: 1px solid #888; border-radius: 4px; background: #f6f6f6; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  main { flex: 1; display: flex; min-height: 0; }
  #graph { flex: 1; overflow: auto; padding: 8px; }
  #graph svg { max-width: none; height: auto; }
  #graph g.node { cursor: pointer; }
  aside { width: 420px; max-width: 45vw; border-left: 1px solid #ddd; overflow: auto; padding: 8px 16px; }
  aside h2 { font-size: 15px; margin: 12px 0 4px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
  dt { color: #666; }
  dd { margin: 0; }
  pre { margin: 0; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; white-space: pre; overflow-x: auto; }
  .hint { color: #777; }
  .rule { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
  g.node.selected ellipse, g.node.selected path, g.node.selected polygon { stroke: #1f77b4; stroke-width: 3px; }
  g.node.has-grad ellipse { fill: #e3f6e3; }
  g.node.upstream ellipse { fill: #ffe7c2; stroke: #e08a00; stroke-width: 2.5px; }
  g.node.receiving ellipse { fill: #c9f0c9; stroke: #2ca02c; stroke-width: 2.5px; }
  g.node.current path, g.node.current polygon { fill: #ffd0d0; stroke: #d62728; stroke-width: 3px; }
  .legend span { display: inline-block; padding: 0 6px; border-radius: 3px; margin-right: 4px; font-size: 12px; }
`;

/** The page's script: plain DOM code, no libraries, reading the embedded #graph-data. */
const SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('graph-data').textContent);
  const svg = document.querySelector('#graph svg');
  const details = document.getElementById('details');
  const stepBox = document.getElementById('step-details');
  const stepLabel = document.getElementById('step-label');
  const prev = document.getElementById('prev');
  const next = document.getElementById('next');
  let step = 0; // 0: before backward; k: after the k-th node backward visits
  let selected = null;

  const element = (id) => svg.querySelector('g.node[id="' + id + '"]');
  const make = (tag, text, attrs) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };
  const list = (box, rows) => {
    const dl = make('dl');
    for (const [term, value, field, mono] of rows) {
      dl.append(make('dt', term));
      const dd = make('dd', null, field ? { 'data-field': field } : {});
      dd.append(mono ? make('pre', value) : document.createTextNode(value));
      dl.append(dd);
    }
    box.append(dl);
  };
  const name = (id) => (data.variables[id] ? data.variables[id].label : id);

  function select(id) {
    if (selected) { const old = element(selected); if (old) old.classList.remove('selected'); }
    selected = id;
    const g = element(id);
    if (g) g.classList.add('selected');
    details.replaceChildren();
    const v = data.variables[id];
    const n = data.nodes[id];
    if (v) {
      details.append(make('h2', v.label, { 'data-field': 'title' }));
      const rows = [
        ['kind', v.kind + (v.isOutput ? ' (output)' : ''), 'kind'],
        ['shape', v.shape, 'shape'],
        ['dtype', v.dtype, 'dtype'],
        ['value', v.value, 'value', true],
        ['gradient', v.grad === null ? 'none (' + (v.kind === 'constant' ? 'a constant' : 'not computed') + ')' : v.grad, 'grad', true],
      ];
      if (v.gradSource === 'trace') rows.push(['', 'gradient from the backward trace', 'grad-source']);
      if (v.creator) rows.push(['made by', data.nodes[v.creator].type + ' (' + v.creator + ')', 'creator'], ['rule', data.nodes[v.creator].rule, 'rule']);
      list(details, rows);
    } else if (n) {
      details.append(make('h2', n.type, { 'data-field': 'title' }));
      list(details, [
        ['rule', n.rule, 'rule'],
        ['generation', String(n.generation), 'generation'],
        ['inputs', n.inputs.map(name).join(', '), 'inputs'],
        ['outputs', n.outputs.map(name).join(', '), 'outputs'],
        ['backward step', n.step === null ? 'not visited' : (n.step + 1) + ' of ' + data.steps.length, 'step'],
      ]);
    }
  }

  function showStep() {
    for (const g of svg.querySelectorAll('g.node')) g.classList.remove('current', 'upstream', 'receiving', 'has-grad');
    stepLabel.textContent = data.steps.length === 0 ? 'no backward trace' : 'Step ' + step + ' of ' + data.steps.length;
    prev.disabled = step === 0;
    next.disabled = step >= data.steps.length;
    stepBox.replaceChildren();
    if (data.traceError) { stepBox.append(make('p', data.traceError, { class: 'hint' })); return; }
    // Values whose gradient is known after the steps so far.
    for (let k = 0; k < step; k++) {
      for (const u of data.steps[k].upstream) { const e = element(u.id); if (e) e.classList.add('has-grad'); }
      for (const x of data.steps[k].inputs) if (x.grad !== null) { const e = element(x.id); if (e) e.classList.add('has-grad'); }
    }
    if (step === 0) {
      stepBox.append(make('p', 'Press Next to run backward one node at a time, from the output back to the leaves.', { class: 'hint' }));
      return;
    }
    const s = data.steps[step - 1];
    const g = element(s.nodeId);
    if (g) {
      g.classList.add('current');
      g.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
    for (const u of s.upstream) { const e = element(u.id); if (e) e.classList.add('upstream'); }
    for (const x of s.inputs) if (x.grad !== null) { const e = element(x.id); if (e) e.classList.add('receiving'); }
    stepBox.append(make('h2', s.type + ' (' + s.nodeId + ')', { 'data-field': 'step-node' }));
    const rows = [['rule', s.rule, 'step-rule']];
    for (const u of s.upstream) rows.push(['upstream dL/d' + u.label, u.grad, 'upstream', true]);
    s.inputs.forEach((x, i) => {
      const text = x.grad === null ? 'none' : x.grad + (x.reducedFrom ? '\\n(summed from ' + x.reducedFrom + ': broadcasting undone)' : '');
      rows.push(['input ' + i + ': dL/d' + x.label, text, 'input-grad', true]);
    });
    list(stepBox, rows);
  }

  svg.addEventListener('click', (event) => {
    const g = event.target.closest('g.node');
    if (g) select(g.id);
  });
  prev.addEventListener('click', () => { if (step > 0) { step--; showStep(); } });
  next.addEventListener('click', () => { if (step < data.steps.length) { step++; showStep(); } });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') next.click();
    if (event.key === 'ArrowLeft') prev.click();
  });
  showStep();
})();
`;

/**
 * One self-contained HTML page (SVG inline, CSS and JS inline, no network) exploring the graph
 * behind `output`: click a value or node to see its value, gradient, shape, dtype and rule; press
 * Next/Prev (or the arrow keys) to replay the backward trace node by node, with the current node,
 * its upstream gradient and the inputs it feeds highlighted. Gradients come from each Variable's
 * `grad`, else from the trace, so intermediate values show theirs too.
 *
 * @example
 * const html = await graphHtml(loss, { title: 'Two-layer net' });
 * document.body.innerHTML = html; // or serve it; see writeGraphHtml for a file
 */
export async function graphHtml(output: Variable, options: GraphHtmlOptions = {}): Promise<string> {
  let trace: readonly BackwardStep[] | null = options.trace ?? null;
  let traceError: string | null = null;
  if (trace === null) {
    try {
      trace = traceBackward(output, options.grad === undefined ? {} : { grad: options.grad });
    } catch (e) {
      // The drawing is still worth having (e.g. after backward freed the graph); the page says why there are no steps.
      traceError = `No backward trace: ${(e as Error).message}`;
    }
  }
  const dot = toDot(output, {
    shapes: true,
    values: options.values ?? false,
    grads: options.grads ?? false,
    rankdir: options.rankdir ?? 'LR',
    ...(trace ? { trace } : {}),
  });
  const svg = embeddableSvg(await renderSvg(dot));
  const data = pageData(output, options, trace, traceError);
  const title = escapeHtml(data.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${title}</h1>
  <div class="controls">
    <button id="prev" type="button">Prev</button>
    <span id="step-label"></span>
    <button id="next" type="button">Next</button>
  </div>
  <div class="legend">
    <span style="background:#fff1b8">parameter</span><span style="background:#d6e6ff">node</span><span style="background:#ffd0d0">current node</span><span style="background:#ffe7c2">upstream gradient</span><span style="background:#c9f0c9">receives a gradient</span>
  </div>
</header>
<main>
  <div id="graph">${svg}</div>
  <aside>
    <section id="step-details"></section>
    <section id="details"><p class="hint">Click a value (ellipse) or a node (box) to see its details.</p></section>
  </aside>
</main>
<script type="application/json" id="graph-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Writes `graphHtml(output, options)` to `file` (creating its folder): one HTML file that opens
 * offline in any browser.
 *
 * @example
 * await writeGraphHtml(price, 'out/apple.html', { title: 'Apple and orange tax' });
 */
export async function writeGraphHtml(output: Variable, file: string, options: GraphHtmlOptions = {}): Promise<void> {
  const instead = 'in a browser, graphHtml(output) gives the page as a string';
  const fs = requireNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'writeGraphHtml', instead);
  const path = requireNodeBuiltin<typeof import('node:path')>('node:path', 'writeGraphHtml', instead);
  const html = await graphHtml(output, options);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, html, 'utf8');
}
