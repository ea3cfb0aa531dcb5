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
  /**
   * Layout direction of the drawing. The default, 'auto', draws the graph both left to right and
   * top to bottom and the page shows the one that fits its window at the larger scale (a long
   * chain goes top to bottom), with a button to switch.
   */
  rankdir?: RankDir | 'auto';
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
  /** The drawing shown first and, with rankdir 'auto', the other one (its SVG as text). */
  layout: { rankdir: RankDir; size: Size; alternate: { rankdir: RankDir; size: Size; svg: string } | null };
}

/** A drawing's size in SVG units (its viewBox). */
interface Size {
  width: number;
  height: number;
}

function pageData(
  output: Variable,
  options: GraphHtmlOptions,
  trace: readonly BackwardStep[] | null,
  traceError: string | null,
  layout: PageData['layout'],
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
  return { title: options.title ?? 'Computation graph', variables, nodes, steps, traceError, layout };
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
  header { padding: 8px 16px; border-bottom: 1px solid #ddd; display: flex; align-items: center; gap: 8px 16px; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  .controls { display: flex; align-items: center; gap: 8px; }
  button { font: inherit; padding: 3px 12px; border: 1px solid #888; border-radius: 4px; background: #f6f6f6; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  main { flex: 1; display: flex; min-height: 0; }
  #graph { flex: 1; min-width: 0; min-height: 0; overflow: hidden; position: relative; cursor: grab; touch-action: none; }
  #graph.dragging { cursor: grabbing; }
  #graph:focus { outline: none; }
  #graph:focus-visible { outline: 2px solid #1f77b4; outline-offset: -2px; }
  #graph svg { display: block; width: 100%; height: 100%; }
  #graph g.node { cursor: pointer; }
  #graph .help { position: absolute; right: 8px; bottom: 4px; font-size: 12px; color: #888; background: rgba(255,255,255,0.85); padding: 0 4px; pointer-events: none; }
  aside { width: 420px; max-width: 45vw; border-left: 1px solid #ddd; overflow: auto; padding: 8px 16px; }
  /* A narrow window (or a frame) keeps the graph wide: the details go below it. */
  @media (max-width: 1000px) {
    main { flex-direction: column; }
    aside { width: auto; max-width: none; height: 32%; border-left: 0; border-top: 1px solid #ddd; }
  }
  aside h2 { font-size: 15px; margin: 12px 0 4px; }
  dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 0; }
  dt { color: #666; }
  dd { margin: 0; min-width: 0; }
  /* Long values wrap instead of running out of the panel. */
  pre { margin: 0; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
  .hint { color: #777; }
  .rule { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
  g.node.hovered ellipse, g.node.hovered path, g.node.hovered polygon { stroke: #1f77b4; stroke-width: 2px; }
  g.node.selected ellipse, g.node.selected path, g.node.selected polygon { stroke: #1f77b4; stroke-width: 3px; }
  g.node.has-grad ellipse { fill: #e3f6e3; }
  g.node.upstream ellipse { fill: #ffe7c2; stroke: #e08a00; stroke-width: 2.5px; }
  g.node.receiving ellipse { fill: #c9f0c9; stroke: #2ca02c; stroke-width: 2.5px; }
  g.node.current path, g.node.current polygon { fill: #ffd0d0; stroke: #d62728; stroke-width: 3px; }
  .legend span { display: inline-block; padding: 0 6px; border-radius: 3px; margin-right: 4px; font-size: 12px; }
`;

/**
 * The page's script: plain DOM code, no libraries, reading the embedded #graph-data.
 *
 * The drawing is moved by its viewBox (pan and zoom change which part of the graph's own
 * coordinates fills the pane), so "fit" is exact: the whole drawing's box, scaled by the browser
 * to the pane with its aspect kept. Fit never enlarges past MAX_FIT_SCALE, so a three-node graph
 * is not drawn in letters an inch high.
 */
const SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('graph-data').textContent);
  const pane = document.getElementById('graph');
  const details = document.getElementById('details');
  const stepBox = document.getElementById('step-details');
  const stepLabel = document.getElementById('step-label');
  const prev = document.getElementById('prev');
  const next = document.getElementById('next');
  const layoutButton = document.getElementById('layout');
  const MAX_FIT_SCALE = 1.6;
  const MARGIN = 12; // pixels
  const HELP = 18; // pixels, the help line
  let svg = pane.querySelector('svg');
  let step = 0; // 0: before backward; k: after the k-th node backward visits
  let selected = null;
  let hovered = null;
  // The drawings by layout: the one in the page and, with rankdir 'auto', the other as text.
  const drawings = { [data.layout.rankdir]: { size: data.layout.size, svg: null } };
  if (data.layout.alternate) drawings[data.layout.alternate.rankdir] = { size: data.layout.alternate.size, svg: data.layout.alternate.svg };
  let rankdir = data.layout.rankdir;
  let view = null; // { x, y, w, h } in the drawing's units
  let fitted = true; // true until the user pans or zooms: a resize then fits again

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

  // ---- pan and zoom ----
  function paneSize() {
    const r = pane.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  }
  function applyView() {
    svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h);
  }
  /** Pane pixels per drawing unit under the current view (preserveAspectRatio meet). */
  function scale() {
    const p = paneSize();
    return Math.min(p.w / view.w, p.h / view.h);
  }
  function fitScale(size) {
    const p = paneSize();
    return Math.min(p.w / size.width, p.h / size.height);
  }
  function fit() {
    const size = drawings[rankdir].size;
    const p = paneSize();
    // A margin around the drawing, and room at the bottom for the help line.
    const s = Math.min((p.w - 2 * MARGIN) / size.width, (p.h - 2 * MARGIN - HELP) / size.height, MAX_FIT_SCALE);
    const w = p.w / s, h = p.h / s;
    view = { x: (size.width - w) / 2, y: (size.height - h) / 2 + HELP / 2 / s, w, h };
    fitted = true;
    applyView();
  }
  /** The drawing's point under a pane position (client coordinates). */
  function toDrawing(clientX, clientY) {
    const r = pane.getBoundingClientRect();
    const s = scale();
    // meet centres the view: the visible area is the pane around the view's centre.
    return {
      x: view.x + view.w / 2 + (clientX - r.left - r.width / 2) / s,
      y: view.y + view.h / 2 + (clientY - r.top - r.height / 2) / s,
    };
  }
  function zoom(factor, clientX, clientY) {
    const r = pane.getBoundingClientRect();
    const at = toDrawing(clientX ?? r.left + r.width / 2, clientY ?? r.top + r.height / 2);
    const s = scale() * factor;
    if (s < 0.02 || s > 40) return;
    view = { x: at.x - (at.x - view.x) / factor, y: at.y - (at.y - view.y) / factor, w: view.w / factor, h: view.h / factor };
    fitted = false;
    applyView();
  }
  function pan(dxPixels, dyPixels) {
    const s = scale();
    view = { ...view, x: view.x - dxPixels / s, y: view.y - dyPixels / s };
    fitted = false;
    applyView();
  }
  /** Pans (never zooms) so that a node is in view, as the step-through reaches it. */
  function reveal(g) {
    const box = g.getBoundingClientRect();
    const r = pane.getBoundingClientRect();
    let dx = 0, dy = 0;
    if (box.left < r.left) dx = r.left - box.left + 16;
    else if (box.right > r.right) dx = r.right - box.right - 16;
    if (box.top < r.top) dy = r.top - box.top + 16;
    else if (box.bottom > r.bottom) dy = r.bottom - box.bottom - 16;
    if (dx !== 0 || dy !== 0) pan(dx, dy);
  }
  function useLayout(dir) {
    const wanted = drawings[dir];
    if (wanted.svg !== null) {
      const holder = document.createElement('div');
      holder.innerHTML = wanted.svg;
      const fresh = holder.querySelector('svg');
      drawings[rankdir].svg = svg.outerHTML;
      svg.replaceWith(fresh);
      svg = fresh;
      wanted.svg = null;
    }
    rankdir = dir;
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const other = Object.keys(drawings).find((d) => d !== rankdir);
    if (layoutButton) {
      layoutButton.hidden = other === undefined;
      layoutButton.textContent = rankdir === 'TB' ? 'Left to right' : 'Top to bottom';
    }
    fit();
    if (selected) { const g = element(selected); if (g) g.classList.add('selected'); }
    showStep();
  }
  // With two drawings, start with the one that fits the pane at the larger scale.
  function bestLayout() {
    let best = rankdir;
    for (const dir of Object.keys(drawings)) if (fitScale(drawings[dir].size) > fitScale(drawings[best].size) * 1.05) best = dir;
    return best;
  }

  // ---- details ----
  function showDetails(id) {
    details.replaceChildren();
    const v = id && data.variables[id];
    const n = id && data.nodes[id];
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
    } else {
      details.append(make('p', 'Hover over or click a value (ellipse) or a node (box) to see its details.', { class: 'hint' }));
    }
  }
  function select(id) {
    if (selected) { const old = element(selected); if (old) old.classList.remove('selected'); }
    selected = id;
    const g = element(id);
    if (g) g.classList.add('selected');
    showDetails(id);
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
      reveal(g);
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

  // ---- events (on the pane, so they survive a change of drawing) ----
  let drag = null;
  pane.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  window.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    pane.classList.add('dragging');
    pan(dx, dy);
    drag.x = event.clientX;
    drag.y = event.clientY;
  });
  window.addEventListener('pointerup', () => {
    pane.classList.remove('dragging');
    // A drag is not a click: keep the flag until the click event that follows it.
    if (drag && drag.moved) setTimeout(() => (drag = null), 0);
    else drag = null;
  });
  pane.addEventListener('click', (event) => {
    if (drag && drag.moved) return;
    const g = event.target.closest('g.node');
    if (g) select(g.id);
    pane.focus({ preventScroll: true });
  });
  pane.addEventListener('wheel', (event) => {
    event.preventDefault();
    zoom(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015)), event.clientX, event.clientY);
  }, { passive: false });
  pane.addEventListener('mouseover', (event) => {
    const g = event.target.closest('g.node');
    const id = g ? g.id : null;
    if (id === hovered) return;
    if (hovered) { const old = element(hovered); if (old) old.classList.remove('hovered'); }
    hovered = id;
    if (g) g.classList.add('hovered');
    showDetails(id ?? selected);
  });
  pane.addEventListener('mouseleave', () => {
    if (hovered) { const old = element(hovered); if (old) old.classList.remove('hovered'); }
    hovered = null;
    showDetails(selected);
  });
  prev.addEventListener('click', () => { if (step > 0) { step--; showStep(); } });
  next.addEventListener('click', () => { if (step < data.steps.length) { step++; showStep(); } });
  document.getElementById('fit').addEventListener('click', fit);
  document.getElementById('zoom-in').addEventListener('click', () => zoom(1.25));
  document.getElementById('zoom-out').addEventListener('click', () => zoom(0.8));
  if (layoutButton) layoutButton.addEventListener('click', () => useLayout(Object.keys(drawings).find((d) => d !== rankdir)));
  document.addEventListener('keydown', (event) => {
    if (event.target.closest && event.target.closest('input, textarea, select')) return;
    const PAN = 60;
    if (event.shiftKey && event.key.startsWith('Arrow')) {
      const [dx, dy] = { ArrowLeft: [PAN, 0], ArrowRight: [-PAN, 0], ArrowUp: [0, PAN], ArrowDown: [0, -PAN] }[event.key];
      pan(dx, dy);
      event.preventDefault();
    } else if (event.key === 'ArrowRight') next.click();
    else if (event.key === 'ArrowLeft') prev.click();
    else if (event.key === '+' || event.key === '=') zoom(1.25);
    else if (event.key === '-' || event.key === '_') zoom(0.8);
    else if (event.key === 'f' || event.key === 'F' || event.key === '0') fit();
  });
  window.addEventListener('resize', () => { if (fitted) fit(); });

  useLayout(bestLayout());
  showDetails(null);
  // For tools and tests: the layout in use and the current view.
  window.graphExplorer = { fit, zoom, pan, get rankdir() { return rankdir; }, get view() { return { ...view }; } };
})();
`;

/** The size of a Graphviz drawing, from its viewBox (Graphviz writes "0.00 0.00 W H"). */
function drawingSize(svg: string): Size {
  const box = /viewBox="([^"]*)"/.exec(svg)?.[1].trim().split(/\s+/).map(Number);
  return box && box.length === 4 && box.every(Number.isFinite)
    ? { width: box[2], height: box[3] }
    : { width: 100, height: 100 };
}

/**
 * One self-contained HTML page (SVG inline, CSS and JS inline, no network) exploring the graph
 * behind `output`: hover over or click a value or node to see its value, gradient, shape, dtype
 * and rule; press Next/Prev (or the arrow keys) to replay the backward trace node by node, with
 * the current node, its upstream gradient and the inputs it feeds highlighted. Gradients come from
 * each Variable's `grad`, else from the trace, so intermediate values show theirs too.
 *
 * The drawing fits its pane when the page opens and on Fit (or F); drag to pan, wheel or +/− to
 * zoom, Shift+arrows to pan by keys. With the default rankdir 'auto' a long chain is laid out top
 * to bottom, and a button switches layouts.
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
  const draw = async (rankdir: RankDir): Promise<string> =>
    embeddableSvg(
      await renderSvg(
        toDot(output, {
          shapes: true,
          values: options.values ?? false,
          grads: options.grads ?? false,
          rankdir,
          ...(trace ? { trace } : {}),
        }),
      ),
    );
  const auto = (options.rankdir ?? 'auto') === 'auto';
  const first: RankDir = auto ? 'LR' : (options.rankdir as RankDir);
  const svg = await draw(first);
  let alternate: PageData['layout']['alternate'] = null;
  if (auto) {
    // The page inserts it with innerHTML, whose HTML parser puts <svg> and its xlink attributes
    // in their namespaces by itself: the xmlns declarations are not needed in the data.
    const other = (await draw('TB')).replace(/\sxmlns(:xlink)?="[^"]*"/g, '');
    alternate = { rankdir: 'TB', size: drawingSize(other), svg: other };
  }
  const data = pageData(output, options, trace, traceError, { rankdir: first, size: drawingSize(svg), alternate });
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
  <div class="controls">
    <button id="fit" type="button" title="Fit the graph to the pane (F)">Fit</button>
    <button id="zoom-out" type="button" title="Zoom out (−)" aria-label="Zoom out">−</button>
    <button id="zoom-in" type="button" title="Zoom in (+)" aria-label="Zoom in">+</button>
    <button id="layout" type="button" hidden>Top to bottom</button>
  </div>
  <div class="legend">
    <span style="background:#fff1b8">parameter</span><span style="background:#d6e6ff">node</span><span style="background:#ffd0d0">current node</span><span style="background:#ffe7c2">upstream gradient</span><span style="background:#c9f0c9">receives a gradient</span>
  </div>
</header>
<main>
  <div id="graph" tabindex="0">${svg}<div class="help">drag to pan · wheel or +/− to zoom · F to fit · Shift+arrows to pan</div></div>
  <aside>
    <section id="step-details"></section>
    <section id="details"></section>
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
