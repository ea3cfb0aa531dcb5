import { Tensor, formatShape, ones, sameShape, zeros } from '@nn/tensor';
import { AutogradError } from '../errors.js';
import type { Function, Operand } from '../function.js';
import { NodeHeap } from '../engine.js';
import { noGrad } from '../mode.js';
import { sumTo } from '../ops/reduce.js';
import { Variable } from '../variable.js';
import { collectGraph, labelOf, previewBlock, previewLine, shapeText } from './graph.js';

/**
 * The backward trace: the same walk as the engine (engine.ts), replayed on the recorded graph
 * without touching any `grad` field, and written down step by step.
 *
 * The engine has no hook that reports the nodes it visits, so this file re-walks the graph the
 * way the engine does: a max-heap of nodes by generation with the same sift rules, nodes pushed in
 * the same order (the first time a gradient reaches one of their outputs), gradients summed where
 * a value feeds several nodes (Branch), and broadcasting undone with `sumTo` for nodes that
 * broadcast. The visit order is therefore the engine's, ties included. Each node's `backward` runs
 * with recording off, so nothing is added to the graph; user hooks (`registerHook`) are not run.
 */

/** The gradient that arrived at one output of a node (dL/dy, after Branch sums). @example steps[0].upstream[0].grad.item() // 1 */
export interface UpstreamGradient {
  /** The output Variable. */
  readonly variable: Variable;
  /** Its id in `toDot`/`graphToJSON` of the same output (`v8`). */
  readonly id: string;
  /** Its name, or its id when it has none. */
  readonly label: string;
  /** dL/dy: the sum of everything its consumers sent back (zeros if none did). */
  readonly grad: Tensor;
}

/** The gradient a node sent to one of its inputs. @example steps[0].inputs[1].grad?.item() // 650 (dprice/dtax) */
export interface InputGradient {
  /** The input Variable. */
  readonly variable: Variable;
  readonly id: string;
  readonly label: string;
  /** The gradient passed to this input, or null when the input needs none (a constant). */
  readonly grad: Tensor | null;
  /**
   * When the node broadcast this input, the shape backward returned before the engine summed it
   * back to the input's shape (SumTo); otherwise null.
   */
  readonly reducedFrom: readonly number[] | null;
}

/** One node visited by backward: what came in, the rule applied, what went out. @example steps.map((s) => s.type) // ['Mul', 'Add', 'Mul', 'Mul'] */
export interface BackwardStep {
  /** 0 for the first node backward visits. */
  readonly index: number;
  /** The node itself. */
  readonly node: Function;
  /** Its id in `toDot`/`graphToJSON` of the same output (`n3`). */
  readonly nodeId: string;
  /** The node's type (`Mul`, `MatMul`, …). */
  readonly type: string;
  /** The local gradient rule, e.g. `"MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY"`. */
  readonly rule: string;
  readonly generation: number;
  /** The gradient at each output, in output order. */
  readonly upstream: readonly UpstreamGradient[];
  /** The gradient sent to each input, in input order. */
  readonly inputs: readonly InputGradient[];
}

/** Options of `traceBackward`. @example traceBackward(y, { grad: ones(y.shape) }) */
export interface TraceOptions {
  /** The seed gradient dL/dy, as for `backward({ grad })`; default 1 for a one-element output. */
  grad?: Operand;
}

function seedTensor(output: Variable, given: Operand | undefined): Tensor {
  if (given === undefined) {
    if (output.size !== 1) {
      throw new AutogradError(
        `traceBackward: the output has shape ${formatShape(output.shape)}; without a grad option it needs a one-element output (or pass { grad } of shape ${formatShape(output.shape)})`,
      );
    }
    return ones(output.shape, { dtype: output.dtype });
  }
  const t =
    given instanceof Variable
      ? given.data
      : given instanceof Tensor
        ? given
        : ones(output.shape, { dtype: output.dtype }).mul(given);
  if (!sameShape(t.shape, output.shape)) {
    throw new AutogradError(
      `traceBackward: grad has shape ${formatShape(t.shape)} but the output has shape ${formatShape(output.shape)}`,
    );
  }
  return t;
}

const constant = (t: Tensor): Variable => new Variable(t, { requiresGrad: false });

/**
 * Replays backward from `output` and returns every step in the order the engine visits the nodes:
 * the gradient arriving at the node's outputs (upstream), its local rule, and the gradient it
 * passes to each input. Nothing is accumulated into any `grad`, so you can trace first and then
 * call `backward()`. The graph must not have been freed: trace before `backward()`, or call
 * `backward({ retainGraph: true })`.
 *
 * @example
 * const price = apple.mul(appleNum).add(orange.mul(orangeNum)).mul(tax);
 * const steps = traceBackward(price);
 * steps[0].type;                          // 'Mul' (the tax node comes first)
 * steps[0].inputs[1].grad?.item();        // 650, dL/dtax
 * console.log(formatTrace(steps));
 */
export function traceBackward(output: Variable, options: TraceOptions = {}): BackwardStep[] {
  const graph = collectGraph(output, 'traceBackward');
  if (!output.requiresGrad) {
    throw new AutogradError(
      `traceBackward: the output (shape ${formatShape(output.shape)}) does not require grad and has no creator, so there is nothing to trace`,
    );
  }
  const pending = new Map<Variable, Tensor>();
  const queued = new Set<Function>();
  const heap = new NodeHeap();
  const accumulate = (x: Variable, g: Tensor): void => {
    const before = pending.get(x);
    if (before === undefined) {
      pending.set(x, g);
      const creator = x.creator;
      if (creator !== null && !queued.has(creator)) {
        queued.add(creator);
        heap.push(creator);
      }
    } else {
      pending.set(x, before.add(g)); // the seeds' Branch: a value used twice gets the sum
    }
  };
  accumulate(output, seedTensor(output, options.grad));

  const steps: BackwardStep[] = [];
  noGrad(() => {
    while (heap.size > 0) {
      const node = heap.pop();
      if (node.freed) {
        throw new AutogradError(
          `traceBackward: the graph through ${node.name} (generation ${node.generation}) was freed by backward(); trace before calling backward(), or pass { retainGraph: true } to it`,
        );
      }
      const upstream: UpstreamGradient[] = node.outputs.map((y) => ({
        variable: y,
        id: graph.variableIds.get(y)!,
        label: labelOf(graph, y),
        grad: pending.get(y) ?? zeros(y.shape, { dtype: y.dtype }),
      }));
      const gys = upstream.map((u) => constant(u.grad));
      const returned = node.backward(...gys);
      const single = returned === null || returned === undefined || returned instanceof Variable;
      const inputs: InputGradient[] = node.inputs.map((x, i) => {
        const raw = single ? (i === 0 ? returned : null) : (returned as readonly (Variable | null | undefined)[])[i];
        const base = { variable: x, id: graph.variableIds.get(x)!, label: labelOf(graph, x) };
        if (!node.needsInputGrad[i] || raw === null || raw === undefined)
          return { ...base, grad: null, reducedFrom: null };
        if (!(raw instanceof Variable))
          throw new AutogradError(`${node.name}.backward must return Variables, got ${typeof raw} for input ${i}`);
        let g = raw;
        let reducedFrom: readonly number[] | null = null;
        if (!sameShape(g.shape, x.shape)) {
          if (!node.broadcasts) {
            throw new AutogradError(
              `${node.name}.backward returned a gradient of shape ${formatShape(g.shape)} for input ${i} of shape ${formatShape(x.shape)}`,
            );
          }
          reducedFrom = [...g.shape];
          g = sumTo(g, x.shape);
        }
        accumulate(x, g.data);
        return { ...base, grad: g.data, reducedFrom };
      });
      steps.push({
        index: steps.length,
        node,
        nodeId: graph.nodeIds.get(node)!,
        type: node.name,
        rule: node.rule,
        generation: node.generation,
        upstream,
        inputs,
      });
    }
  });
  return steps;
}

/**
 * @internal The complete gradient of every Variable the trace reached: the upstream of each
 * visited node's outputs, and for leaves the sum of what their consumers sent.
 */
export function traceGradients(steps: readonly BackwardStep[]): Map<Variable, Tensor> {
  const grads = new Map<Variable, Tensor>();
  const leafSums = new Map<Variable, Tensor>();
  for (const step of steps) {
    for (const u of step.upstream) grads.set(u.variable, u.grad);
    for (const input of step.inputs) {
      if (input.grad === null || input.variable.creator !== null) continue;
      const before = leafSums.get(input.variable);
      leafSums.set(input.variable, before === undefined ? input.grad : before.add(input.grad));
    }
  }
  for (const [v, g] of leafSums) grads.set(v, g);
  return grads;
}

/** Options of `formatTrace`. @example formatTrace(steps, { maxElements: 3, precision: 3 }) */
export interface FormatTraceOptions {
  /** Elements shown per gradient before `…` (default 6). */
  maxElements?: number;
  /** Significant digits (default 4). */
  precision?: number;
}

/**
 * The trace as readable text: one block per node in visit order (upstream gradient, rule,
 * gradient per input), then the total gradient of every leaf that requires grad.
 *
 * @example
 * console.log(formatTrace(traceBackward(price)));
 * // step 1/4  Mul → price ()  generation 2
 * //   rule      Mul: dx0 = dy·x1, dx1 = dy·x0
 * //   upstream  dL/dprice = 1
 * //   input 0   dL/dall_price = 1.1
 * //   input 1   dL/dtax = 650
 * // ...
 */
export function formatTrace(steps: readonly BackwardStep[], options: FormatTraceOptions = {}): string {
  const maxElements = options.maxElements ?? 6;
  const precision = options.precision ?? 4;
  const show = (t: Tensor): string => {
    const text =
      t.size <= maxElements ? previewBlock(t, maxElements, precision) : previewLine(t, maxElements, precision);
    return text.includes('\n') ? `\n${text.replace(/^/gm, '              ')}` : text;
  };
  const lines: string[] = [
    `Backward trace: ${steps.length} node${steps.length === 1 ? '' : 's'}, in the order backward visits them`,
  ];
  for (const step of steps) {
    const outs = step.upstream.map((u) => `${u.label} ${shapeText(u.variable.shape)}`).join(', ');
    lines.push('', `step ${step.index + 1}/${steps.length}  ${step.type} → ${outs}  generation ${step.generation}`);
    lines.push(`  rule      ${step.rule}`);
    for (const u of step.upstream) lines.push(`  upstream  dL/d${u.label} = ${show(u.grad)}`);
    step.inputs.forEach((input, i) => {
      const label = `  input ${i}`.padEnd(12);
      if (input.grad === null) {
        lines.push(`${label}${input.label}: no gradient (${input.variable.requiresGrad ? 'not needed' : 'constant'})`);
        return;
      }
      const reduced =
        input.reducedFrom === null
          ? ''
          : `  (summed from ${shapeText(input.reducedFrom)} to ${shapeText(input.variable.shape)}: broadcasting undone)`;
      lines.push(`${label}dL/d${input.label} = ${show(input.grad)}${reduced}`);
    });
  }
  const labels = new Map<Variable, string>();
  for (const step of steps) for (const input of step.inputs) labels.set(input.variable, input.label);
  const leaves = [...traceGradients(steps)].filter(([v]) => v.creator === null && v.requiresGrad);
  if (leaves.length > 0) {
    lines.push('', 'gradients of the leaves (what backward() adds to .grad)');
    let width = 0;
    for (const [v] of leaves) width = Math.max(width, labels.get(v)!.length);
    for (const [v, g] of leaves) lines.push(`  ${labels.get(v)!.padEnd(width)}  ${show(g)}`);
  }
  return lines.join('\n');
}
