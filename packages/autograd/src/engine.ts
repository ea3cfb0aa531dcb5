import { Tensor, formatShape, ones, sameShape, zeros } from '@nn/tensor';
import { recordStorage, recycleStorage } from '@nn/tensor/internal';
import { isBatchingActive, perExampleGradients } from './batching.js';
import { isForwardModeActive } from './dual.js';
import { AnomalyError, AutogradError } from './errors.js';
import { type Function, type Gradients, type Operand, checkFinite, createdAt, isBuiltInNode } from './function.js';
import { isAnomalyEnabled, setGradEnabled } from './mode.js';
import { add } from './ops/elementwise.js';
import { sumTo } from './ops/reduce.js';
import { Variable, asVariable } from './variable.js';

/**
 * The backward engine. Nodes are visited in decreasing `generation` from a heap (DeZero's order):
 * a node's generation exceeds that of every node that produced its inputs, so when a node is
 * visited every consumer of its outputs has already sent its gradient, and the gradients that
 * arrived at each output are complete. No recursion: a chain of 100,000 nodes needs a heap of one.
 *
 * Where a value feeds several nodes, the gradients arriving from each are summed (the seeds'
 * Branch node). Where a node broadcast its inputs (`broadcasts`), each input's gradient is summed
 * back to its shape with `sumTo` here, once, for every such node.
 */

export interface BackwardOptions {
  /** The seed gradient dL/dy, shaped like the output; required unless the output has one element. */
  grad?: Operand;
  /** Keep the graph's saved state so backward can run through it again (default: same as createGraph, as in PyTorch). */
  retainGraph?: boolean;
  /** Record the backward pass, so gradients are themselves differentiable (default false). */
  createGraph?: boolean;
}

export interface GradientsOptions {
  /** Seed gradients, one per output (default: 1 for one-element outputs). */
  gradOutputs?: readonly (Operand | null | undefined)[];
  /** Keep the graph's saved state (default: same as createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass, so the returned gradients are differentiable (default false). */
  createGraph?: boolean;
}

let passCounter = 0;

/**
 * A max-heap of nodes by generation: backward pops the newest node first. Shared with the
 * backward trace of inspect/, which must visit nodes in exactly this order.
 */
export class NodeHeap {
  private items: Function[] = [];
  get size(): number {
    return this.items.length;
  }
  push(node: Function): void {
    const items = this.items;
    let i = items.length;
    items.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].generation >= node.generation) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = node;
  }
  pop(): Function {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && items[child + 1].generation > items[child].generation) child++;
        if (items[child].generation <= last.generation) break;
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/** The seed for `output`: the given gradient, or 1 for a one-element output. */
function seedFor(output: Variable, given: Operand | null | undefined, op: string): Variable {
  if (given === undefined || given === null) {
    if (output.size !== 1) {
      throw new AutogradError(
        `${op}: the output has shape ${formatShape(output.shape)}; backward() without a grad option needs a one-element output (reduce it to a scalar, e.g. with .sum(), or pass { grad } of shape ${formatShape(output.shape)})`,
      );
    }
    return new Variable(ones(output.shape, { dtype: output.dtype }), { requiresGrad: false });
  }
  const seed = asVariable(op, given, output.dtype);
  if (!sameShape(seed.shape, output.shape)) {
    throw new AutogradError(
      `${op}: grad has shape ${formatShape(seed.shape)} but the output has shape ${formatShape(output.shape)}`,
    );
  }
  return seed;
}

/**
 * Runs backward from `output` and accumulates into the `grad` of every leaf that requires grad.
 * `Variable.backward` calls this; see its doc comment for the contract.
 *
 * @example
 * backward(loss);                  // same as loss.backward()
 * backward(y, { grad: ones(y.shape) });
 */
export function backward(output: Variable, options: BackwardOptions = {}): void {
  const seed = seedFor(output, options.grad, 'backward');
  const createGraph = options.createGraph ?? false;
  run([output], [seed], options.retainGraph ?? createGraph, createGraph, null);
}

/**
 * The gradients of `outputs` with respect to `inputs` (leaves or intermediates), returned instead of
 * accumulated into `grad` (PyTorch's torch.autograd.grad). An input the outputs do not depend on
 * gets `null`. With `createGraph` the results are differentiable.
 *
 * @example
 * const [dx] = gradients(x.mul(x).sum(), [x], { createGraph: true });
 * const [ddx] = gradients(dx!.sum(), [x]); // 2 everywhere
 */
export function gradients(
  outputs: Variable | readonly Variable[],
  inputs: readonly Variable[],
  options: GradientsOptions = {},
): (Variable | null)[] {
  const roots = outputs instanceof Variable ? [outputs] : outputs;
  if (isBatchingActive()) {
    // Inside vmap: one gradient per example, from the graph the batching rules recorded.
    const perExample = perExampleGradients(roots, inputs, options, gradients);
    if (perExample !== null) return perExample;
  }
  const seeds = roots.map((y, i) => seedFor(y, options.gradOutputs?.[i], 'gradients'));
  const createGraph = options.createGraph ?? false;
  return run(roots, seeds, options.retainGraph ?? createGraph, createGraph, inputs);
}

/** State of one backward pass. */
interface Pass {
  id: number;
  createGraph: boolean;
  heap: NodeHeap;
  /** Leaves reached, in order of first arrival. */
  leaves: Variable[];
  /** For `gradients`: the values whose gradients are returned, and those gradients. */
  targets: readonly Variable[] | null;
  results: (Variable | null)[];
  /** Gradients handed out (retained `grad`s): their storage outlives the pass. */
  handedOut: Variable[];
  /** Whether a user hook saw a gradient (it may have kept it): then nothing is recycled. */
  hooksRan: boolean;
}

/** Adds `g` to the gradient pending at `x`; the first arrival queues x's creator (or notes a leaf). */
function accumulate(pass: Pass, x: Variable, g: Variable): void {
  if (x.pendingPass !== pass.id) {
    x.pendingPass = pass.id;
    x.pendingGrad = g;
    const creator = x.creator;
    if (creator === null) pass.leaves.push(x);
    else if (creator.visitedPass !== pass.id) {
      creator.visitedPass = pass.id;
      pass.heap.push(creator);
    }
  } else {
    // The seeds' Branch node: a value used twice receives the sum of both gradients.
    x.pendingGrad = sumGradients(x.pendingGrad!, g, pass.createGraph);
  }
}

/**
 * Takes the complete gradient of `y` (null if nothing arrived in this pass). A pass that throws
 * may leave a stale `pendingGrad` behind; the pass id makes every later pass ignore it.
 */
function takePending(pass: Pass, y: Variable): Variable | null {
  if (y.pendingPass !== pass.id) return null;
  const g = y.pendingGrad;
  y.pendingGrad = null;
  return g;
}

/**
 * The engine: from `roots` seeded with `seeds`, visit nodes by generation; with `targets`, return
 * their gradients instead of accumulating into leaves.
 */
function run(
  roots: readonly Variable[],
  seeds: readonly Variable[],
  retainGraph: boolean,
  createGraph: boolean,
  targets: readonly Variable[] | null,
): (Variable | null)[] {
  const results: (Variable | null)[] = targets === null ? [] : targets.map(() => null);
  const pass: Pass = {
    id: ++passCounter,
    createGraph,
    heap: new NodeHeap(),
    leaves: [],
    targets,
    results,
    handedOut: [],
    hooksRan: false,
  };
  const previousMode = setGradEnabled(createGraph);
  try {
    // A recorded backward keeps its gradients in the new graph: only a plain one recycles. Inside
    // jvp the gradients carry tangents the pass allocated, which outlive it: no recycling either;
    // nor inside vmap, where a gradient may be a batched value (a batched seed, as in vmap(vjpFn)).
    const recycle = !createGraph && !isForwardModeActive() && !isBatchingActive();
    const { allocated } = recordStorage(recycle, () => visit(pass, roots, seeds, retainGraph));
    if (allocated !== null && !pass.hooksRan) recycleScratch(allocated, [...pass.handedOut, ...results]);
  } finally {
    setGradEnabled(previousMode);
  }
  return results;
}

/** The pass itself: seeds the roots, runs every node's backward in order, fills the leaves' grads. */
function visit(pass: Pass, roots: readonly Variable[], seeds: readonly Variable[], retainGraph: boolean): void {
  const { createGraph, targets } = pass;
  const anomaly = isAnomalyEnabled();
  for (let r = 0; r < roots.length; r++) {
    const root = roots[r];
    if (!root.requiresGrad) {
      throw new AutogradError(
        `backward: output ${r} (shape ${formatShape(root.shape)}) does not require grad and has no creator: it was computed inside noGrad, or only from values with requiresGrad = false, or it is a gradient made without createGraph (pass { createGraph: true } to the backward() or gradients() that made it, to differentiate it again)`,
      );
    }
    accumulate(pass, root, seeds[r]);
  }
  const heap = pass.heap;
  while (heap.size > 0) {
    const node = heap.pop();
    if (node.freed) {
      throw new AutogradError(
        `backward: the graph through ${node.name} (generation ${node.generation}) was already freed by a previous backward(); pass { retainGraph: true } to the first backward() to run backward through it again`,
      );
    }
    node.checkUnmodified();
    const returned = anomaly ? backwardWatched(pass, node) : callBackward(pass, node);
    deliver(pass, node, returned, anomaly);
    if (!retainGraph) node.release();
  }
  for (const leaf of pass.leaves) {
    const g = finish(pass, leaf, takePending(pass, leaf)!);
    if (targets === null && leaf.requiresGrad)
      leaf.grad = leaf.grad === null ? g : sumGradients(leaf.grad, g, createGraph);
    if (leaf.grad !== null) pass.handedOut.push(leaf.grad);
  }
}

/** Checks the gradients `node`'s backward returned, sums broadcasting back, and passes each to its input. */
function deliver(pass: Pass, node: Function, returned: Gradients, anomaly: boolean): void {
  const inputs = node.inputs;
  const needs = node.needsInputGrad;
  // Anything but an array is one gradient for input 0 (a Tensor returned by mistake is reported below).
  const single = !Array.isArray(returned);
  for (let i = 0; i < inputs.length; i++) {
    if (!needs[i]) continue;
    const raw = single ? (i === 0 ? returned : null) : (returned as readonly (Variable | null | undefined)[])[i];
    if (raw === null || raw === undefined) continue;
    if (!(raw instanceof Variable)) {
      throw new AutogradError(
        `${node.name}.backward must return Variables (built with differentiable operations), got ${describe(raw)} for input ${i}`,
      );
    }
    const x = inputs[i];
    let gx = raw;
    if (!sameShape(gx.shape, x.shape)) {
      if (!node.broadcasts) {
        throw new AutogradError(
          `${node.name}.backward returned a gradient of shape ${formatShape(gx.shape)} for input ${i} of shape ${formatShape(x.shape)}`,
        );
      }
      gx = sumTo(gx, x.shape); // broadcasting undone here, once for every node
    }
    if (anomaly) checkFinite(node, gx.data, `gradient for input ${i} (backward)`);
    accumulate(pass, x, gx);
  }
}

/**
 * Gives the pool the storage this pass allocated that no handed-out gradient views: the
 * intermediate gradients, dead now that the pass is over. Compared by ArrayBuffer, so views and
 * gradients shared between inputs (Add passes one gradient to both) are kept whole.
 */
function recycleScratch(allocated: Set<ArrayBuffer>, handedOut: readonly (Variable | null)[]): void {
  for (const g of handedOut) if (g !== null) allocated.delete(g.data.data.buffer as ArrayBuffer);
  recycleStorage(allocated);
}

/**
 * Calls the node's backward with the complete gradients of its outputs. A user's node may keep
 * any of them, or anything its backward allocates: its gradients count as handed out and its
 * allocations are hidden from the pass's record, so none of them is ever recycled.
 */
function callBackward(pass: Pass, node: Function): Gradients {
  const outputs = node.outputs;
  if (isBuiltInNode(node)) {
    if (outputs.length === 1) return node.backward(outputGradient(pass, outputs[0]));
    return node.backward(...outputs.map((y) => outputGradient(pass, y)));
  }
  const gys = outputs.map((y) => outputGradient(pass, y));
  pass.handedOut.push(...gys);
  return recordStorage(false, () => node.backward(...gys)).value;
}

/** In anomaly mode, a NaN/Inf met inside a node's backward is reported as that node's. */
function backwardWatched(pass: Pass, node: Function): Gradients {
  try {
    return callBackward(pass, node);
  } catch (e) {
    if (!(e instanceof AnomalyError)) throw e;
    const inner = e.message.split(/\. (The node was created at|Run the forward pass)/)[0];
    const kind = /produced (-?inf|nan)/.exec(inner)?.[1] ?? 'a non-finite value';
    throw new AnomalyError(`${node.name} produced ${kind} in its backward (${inner}). ${createdAt(node)}`);
  }
}

/** The complete gradient of a node's output, after hooks; zeros for an output nobody used (e.g. a piece of a Split). */
function outputGradient(pass: Pass, y: Variable): Variable {
  const g = takePending(pass, y);
  if (g === null) return new Variable(zeros(y.shape, { dtype: y.dtype }), { requiresGrad: false });
  return finish(pass, y, g);
}

/** A value's gradient is complete: run its hooks, retain it if asked, and record it if it is a target. */
function finish(pass: Pass, x: Variable, g: Variable): Variable {
  if (x.hooks !== null) {
    pass.hooksRan = true;
    for (const hook of x.hooks.slice()) {
      const replaced = hook(g);
      if (replaced !== undefined && replaced !== null) {
        if (!(replaced instanceof Variable) || !sameShape(replaced.shape, x.shape)) {
          throw new AutogradError(
            `registerHook: a hook must return nothing or a Variable of shape ${formatShape(x.shape)}`,
          );
        }
        g = replaced;
      }
    }
  }
  if (pass.targets !== null) {
    const at = pass.targets.indexOf(x);
    if (at >= 0) pass.results[at] = g;
  } else if (x.retainsGrad) {
    x.grad = x.grad === null ? g : sumGradients(x.grad, g, pass.createGraph);
    pass.handedOut.push(x.grad);
  }
  return g;
}

/**
 * a + b for gradients: an Add node when creating the graph or inside jvp (so the sum carries the
 * tangents of a and b: forward-over-reverse) or vmap (batched gradients add by Add's batching
 * rule), else a plain tensor sum.
 */
function sumGradients(a: Variable, b: Variable, createGraph: boolean): Variable {
  if (createGraph || isForwardModeActive() || isBatchingActive()) return add(a, b);
  return new Variable(a.data.add(b.data), { requiresGrad: false });
}

function describe(value: unknown): string {
  return value instanceof Tensor
    ? 'a Tensor (wrap constants with new Variable(t, { requiresGrad: false }))'
    : typeof value;
}
