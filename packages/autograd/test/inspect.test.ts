import { describe, expect, it, vi } from 'vitest';
import { Generator, randn, tensor, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import { type Variable, variable } from '@nn/autograd';
import { formatGraph, formatTrace, graphToJSON, printGraph, toDot, traceBackward } from '@nn/autograd/inspect';

// Graph inspection: DOT and JSON structure, the text tree, the backward trace. Values are
// compared to 1e-9 in float64 (the apple example) and to 1e-6 in float32 (trace vs backward,
// which run the same float32 kernels in the same order, so they agree far closer than that).

/** The seeds' apple and orange tax graph, with the intermediate values named. */
function appleGraph(dtype: 'float32' | 'float64' = 'float64') {
  const v = (value: number, name: string) => variable(value, { dtype, name });
  const apple = v(100, 'apple');
  const appleNum = v(2, 'apple_num');
  const orange = v(150, 'orange');
  const orangeNum = v(3, 'orange_num');
  const tax = v(1.1, 'tax');
  const applePrice = apple.mul(appleNum);
  applePrice.name = 'apple_price';
  const orangePrice = orange.mul(orangeNum);
  orangePrice.name = 'orange_price';
  const allPrice = applePrice.add(orangePrice);
  allPrice.name = 'all_price';
  const price = allPrice.mul(tax);
  price.name = 'price';
  return { apple, appleNum, orange, orangeNum, tax, applePrice, orangePrice, allPrice, price };
}

/** The DOT statements of one kind: `v3 [ ... ]` lines, `n1 [ ... ]` lines, `a -> b` lines. */
function dotParts(dot: string) {
  const lines = dot.split('\n').map((l) => l.trim());
  return {
    variables: lines.filter((l) => /^v\d+ \[/.test(l)),
    nodes: lines.filter((l) => /^n\d+ \[/.test(l)),
    edges: lines.filter((l) => /^\w+ -> \w+;$/.test(l)),
  };
}

/** The label of statement `id` in a DOT text, with DOT's \n turned back into newlines. */
function dotLabel(dot: string, id: string): string {
  const line = dot.split('\n').find((l) => l.trim().startsWith(`${id} [`));
  const match = /label="((?:[^"\\]|\\.)*)"/.exec(line ?? '');
  return (match?.[1] ?? '').replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
}

const close = (a: number, b: number, tol = 1e-9) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('toDot', () => {
  it('draws the apple graph: 9 ellipses, 4 boxes, 12 forward edges', () => {
    const { price } = appleGraph();
    const dot = toDot(price);
    expect(dot.startsWith('digraph ')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    const { variables, nodes, edges } = dotParts(dot);
    expect(variables).toHaveLength(9);
    expect(variables.every((l) => l.includes('shape=ellipse'))).toBe(true);
    expect(nodes).toHaveLength(4);
    expect(nodes.every((l) => l.includes('shape=box'))).toBe(true);
    expect(edges).toHaveLength(12);
    // Forward order: leaves in the order they are used, each node after its inputs.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => dotLabel(dot, `v${i}`).split('\n')[0])).toEqual([
      'apple',
      'apple_num',
      'apple_price',
      'orange',
      'orange_num',
      'orange_price',
      'all_price',
      'tax',
      'price',
    ]);
    expect([0, 1, 2, 3].map((i) => dotLabel(dot, `n${i}`))).toEqual(['Mul', 'Mul', 'Add', 'Mul']);
    // Edges point forward: input → node → output.
    expect(edges).toEqual(
      expect.arrayContaining(['v0 -> n0;', 'v1 -> n0;', 'n0 -> v2;', 'v6 -> n3;', 'v7 -> n3;', 'n3 -> v8;']),
    );
    expect(dot).toContain('rankdir=LR');
    expect(dot).toMatch(/v8 \[[^\]]*penwidth=2/); // the output is drawn bold
  });

  it('labels shapes and dtypes by default, values and gradients on request', () => {
    const { price, tax } = appleGraph();
    expect(dotLabel(toDot(price), 'v7')).toBe('tax\n() float64');
    expect(dotLabel(toDot(price, { shapes: false }), 'v7')).toBe('tax');
    const steps = traceBackward(price);
    price.backward();
    const dot = toDot(price, { values: true, grads: true });
    expect(dotLabel(dot, 'v7')).toBe('tax\n() float64\nvalue 1.1\ngrad 650');
    expect(dotLabel(dot, 'v0')).toBe('apple\n() float64\nvalue 100\ngrad 2.2');
    // Intermediate values keep no grad; a trace supplies theirs.
    expect(dotLabel(dot, 'v6')).toBe('all_price\n() float64\nvalue 650');
    expect(dotLabel(toDot(price, { values: true, grads: true, trace: steps }), 'v6')).toBe(
      'all_price\n() float64\nvalue 650\ngrad 1.1',
    );
    expect(tax.grad!.item()).toBeCloseTo(650, 9);
  });

  it('previews large values with maxElements and shows MatMul shapes', () => {
    const g = new Generator(1);
    const x = variable(randn([7, 8], { generator: g }), { name: 'x' });
    const W = variable(randn([8, 3], { generator: g }), { name: 'W' });
    const y = x.matmul(W);
    const dot = toDot(y, { values: true, maxElements: 2 });
    expect(dotLabel(dot, 'v0')).toMatch(/^x\n\(7,8\) float32\nvalue \[[-\d.e]+, [-\d.e]+, …\] \(56 values\)$/);
    expect(dotLabel(dot, 'v1').split('\n')[1]).toBe('(8,3) float32');
    expect(dotLabel(dot, 'v2').split('\n')[1]).toBe('(7,3) float32');
    expect(dotLabel(dot, 'n0')).toBe('MatMul');
    expect(dot).toContain('tooltip="MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY"');
    expect(dotLabel(toDot(y, { rules: true }), 'n0')).toBe('MatMul\ndX = dY·Wᵀ, dW = Xᵀ·dY');
  });

  it('draws constants dashed, escapes names, takes rankdir and a title', () => {
    const x = variable([1, 2], { name: 'say "hi"\\ \nthere' });
    const y = x.mul(3);
    const dot = toDot(y, { rankdir: 'TB', title: 'A "title"' });
    expect(dot).toContain('rankdir=TB');
    expect(dot).toContain('label="A \\"title\\"", labelloc=t');
    expect(dot).toContain('label="say \\"hi\\"\\\\ \\nthere\\n(2) float32"');
    const constant = dotParts(dot).variables.find((l) => l.includes('dashed'));
    expect(constant).toBeDefined();
    expect(dotLabel(dot, 'v1')).toBe('v1\n() float32');
  });

  it('draws the graph recorded by createGraph (the graph behind x.grad), with the Branch as two edges', () => {
    const x = variable(3, { name: 'x', dtype: 'float64' });
    const y = x.mul(x);
    expect(dotParts(toDot(y)).edges).toEqual(['v0 -> n0;', 'v0 -> n0;', 'n0 -> v1;']);
    y.backward({ createGraph: true });
    const gx = x.grad!;
    expect(gx.item()).toBe(6);
    const dot = toDot(gx);
    const { nodes } = dotParts(dot);
    // dL/dx = gy·x + gy·x: two Muls (one per use of x) and the Add that sums the Branch.
    expect(nodes.map((l) => dotLabel(dot, l.split(' ')[0])).sort()).toEqual(['Add', 'Mul', 'Mul']);
    expect(dot).toContain('label="x\\n() float64"');
  });

  it('draws several outputs together, and every output of a multi-output node', () => {
    const x = variable(randn([4, 2], { generator: new Generator(2) }), { name: 'x' });
    const [a] = F.split(x, 2, 0);
    const dot = toDot([a.sum(), x.sum()]);
    const { variables, nodes } = dotParts(dot);
    expect(nodes.map((l) => dotLabel(dot, l.split(' ')[0]))).toEqual(['Split', 'Sum', 'Sum']);
    expect(variables).toHaveLength(5); // x, both pieces, two sums
    expect(variables.filter((l) => l.includes('penwidth=2'))).toHaveLength(2);
  });
});

describe('graphToJSON', () => {
  it('gives the apple graph as plain data with the same ids as toDot', () => {
    const { price } = appleGraph();
    const graph = graphToJSON(price);
    expect(graph.variables).toHaveLength(9);
    expect(graph.nodes).toHaveLength(4);
    expect(graph.edges).toHaveLength(12);
    expect(graph.outputs).toEqual(['v8']);
    expect(graph.nodes.map((n) => n.type)).toEqual(['Mul', 'Mul', 'Add', 'Mul']);
    expect(graph.nodes[3]).toEqual({
      id: 'n3',
      type: 'Mul',
      rule: 'Mul: dx0 = dy·x1, dx1 = dy·x0',
      generation: 2,
      inputs: ['v6', 'v7'],
      outputs: ['v8'],
    });
    expect(graph.variables[0]).toEqual({
      id: 'v0',
      name: 'apple',
      kind: 'parameter',
      shape: [],
      dtype: 'float64',
      size: 1,
      requiresGrad: true,
      isOutput: false,
      generation: 0,
      creator: null,
    });
    expect(graph.variables[8]).toMatchObject({
      id: 'v8',
      name: 'price',
      kind: 'computed',
      isOutput: true,
      creator: 'n3',
      generation: 3,
    });
    expect(graph.edges.filter((e) => e.to === 'n3')).toEqual([
      { from: 'v6', to: 'n3', index: 0 },
      { from: 'v7', to: 'n3', index: 1 },
    ]);
    // Plain data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it('includes values and gradients (from grad, else the trace), truncated by maxElements', () => {
    const { price } = appleGraph();
    const steps = traceBackward(price);
    price.backward();
    const graph = graphToJSON(price, { values: true, grads: true, trace: steps });
    const byName = Object.fromEntries(graph.variables.map((v) => [v.name, v]));
    expect(byName.price.value).toEqual([715.0000000000001]);
    expect(byName.tax.grad![0]).toBeCloseTo(650, 9);
    expect(byName.all_price.grad![0]).toBeCloseTo(1.1, 12);
    expect(graphToJSON(price, { grads: true }).variables.find((v) => v.name === 'all_price')!.grad).toBeNull();

    const x = variable(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      { name: 'x' },
    );
    const big = graphToJSON(x.sum(), { values: true, maxElements: 4 });
    expect(big.variables[0].value).toEqual([1, 2, 3, 4]);
    expect(big.variables[0].size).toBe(6);
    // A transposed (strided) view is read in row-major order of its own shape.
    expect(graphToJSON(x.T.sum(), { values: true }).variables[1].value).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('marks constants and leaves that need no gradient', () => {
    const x = variable([1, 2], { name: 'x', requiresGrad: false });
    const w = variable([3, 4], { name: 'w' });
    const graph = graphToJSON(x.mul(w).add(1));
    expect(graph.variables.map((v) => [v.name, v.kind])).toEqual([
      ['x', 'constant'],
      ['w', 'parameter'],
      [null, 'computed'],
      [null, 'constant'],
      [null, 'computed'],
    ]);
  });
});

describe('formatGraph and printGraph', () => {
  it('prints the apple graph as a tree with parameter counts', () => {
    const { price } = appleGraph();
    expect(formatGraph(price)).toBe(
      [
        'price  ()  float64  ← Mul  [params 1]',
        '├─ all_price  ()  float64  ← Add',
        '│  ├─ apple_price  ()  float64  ← Mul  [params 2]',
        '│  │  ├─ apple  ()  float64  parameter [params 1]',
        '│  │  └─ apple_num  ()  float64  parameter [params 1]',
        '│  └─ orange_price  ()  float64  ← Mul  [params 2]',
        '│     ├─ orange  ()  float64  parameter [params 1]',
        '│     └─ orange_num  ()  float64  parameter [params 1]',
        '└─ tax  ()  float64  parameter [params 1]',
        '',
        '4 nodes (Mul 3, Add 1) · 9 variables · 5 parameters, 5 elements',
      ].join('\n'),
    );
  });

  it('counts the parameters of a two-layer net and expands a shared value once', () => {
    const g = new Generator(3);
    const x = variable(randn([4, 2], { generator: g }), { name: 'x', requiresGrad: false });
    const W1 = variable(randn([2, 5], { generator: g }), { name: 'W1' });
    const b1 = variable(zeros([5]), { name: 'b1' });
    const W2 = variable(randn([5, 3], { generator: g }), { name: 'W2' });
    const b2 = variable(zeros([3]), { name: 'b2' });
    const h = F.sigmoid(F.linear(x, W1, b1));
    h.name = 'h';
    const loss = F.softmaxCrossEntropy(F.linear(h, W2, b2), tensor([0, 1, 2, 1], { dtype: 'int32' }));
    const text = formatGraph(loss);
    expect(text).toContain('W1  (2,5)  float32  parameter [params 10]');
    expect(text).toContain('x  (4,2)  float32  constant = [');
    expect(text).toMatch(/← MatMul {2}\[params 15\]/);
    expect(text.split('\n').at(-1)).toBe(
      '6 nodes (MatMul 2, Add 2, Sigmoid 1, SoftmaxCrossEntropy 1) · 11 variables · 4 parameters, 33 elements',
    );

    const shared = h.add(h.mul(2)).sum();
    const sharedText = formatGraph(shared);
    expect(sharedText.match(/h {2}\(4,5\)/g)).toHaveLength(2);
    expect(sharedText).toContain('(see above)');
  });

  it('cuts the tree at maxDepth and printGraph logs the same text', () => {
    let y: Variable = variable(0.5, { name: 'x' });
    for (let i = 0; i < 10; i++) y = y.sin();
    const text = formatGraph(y, { maxDepth: 3 });
    expect(text.split('\n')).toHaveLength(4 + 2);
    expect(text).toContain('… (inputs below depth 3 not shown)');
    expect(text.split('\n').at(-1)).toBe('10 nodes (Sin 10) · 11 variables · 1 parameter, 1 element');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(printGraph(y, { maxDepth: 3 })).toBe(text);
      expect(log).toHaveBeenCalledWith(text);
    } finally {
      log.mockRestore();
    }
  });
});

describe('traceBackward', () => {
  it("replays the apple example with the seeds' numbers, in the engine's order", () => {
    const { price, apple, appleNum, orange, orangeNum, tax } = appleGraph();
    const steps = traceBackward(price);
    expect(steps.map((s) => [s.type, s.nodeId, s.generation])).toEqual([
      ['Mul', 'n3', 2],
      ['Add', 'n2', 1],
      ['Mul', 'n0', 0],
      ['Mul', 'n1', 0],
    ]);
    const [taxStep, addStep, appleStep, orangeStep] = steps;
    expect(taxStep.rule).toBe('Mul: dx0 = dy·x1, dx1 = dy·x0');
    expect(taxStep.upstream.map((u) => [u.label, u.grad.item()])).toEqual([['price', 1]]);
    close(taxStep.inputs[0].grad!.item(), 1.1);
    close(taxStep.inputs[1].grad!.item(), 650);
    expect(addStep.inputs.map((x) => x.label)).toEqual(['apple_price', 'orange_price']);
    close(addStep.inputs[0].grad!.item(), 1.1);
    close(appleStep.inputs[0].grad!.item(), 2.2);
    close(appleStep.inputs[1].grad!.item(), 110);
    close(orangeStep.inputs[0].grad!.item(), 3.3);
    close(orangeStep.inputs[1].grad!.item(), 165);
    expect(appleStep.inputs.map((x) => x.variable)).toEqual([apple, appleNum]);
    // Nothing accumulated: the trace leaves grad alone, and backward still works afterwards.
    expect([apple, appleNum, orange, orangeNum, tax].map((v) => v.grad)).toEqual([null, null, null, null, null]);
    price.backward();
    close(tax.grad!.item(), 650);
  });

  it('formats the trace as text', () => {
    const { price } = appleGraph();
    const text = formatTrace(traceBackward(price));
    expect(text).toContain('step 1/4  Mul → price ()  generation 2');
    expect(text).toContain('  rule      Mul: dx0 = dy·x1, dx1 = dy·x0');
    expect(text).toContain('  upstream  dL/dprice = 1');
    expect(text).toContain('  input 1   dL/dtax = 650');
    expect(text).toContain('  input 0   dL/dapple = 2.2');
    expect(text).toContain('  input 1   dL/dorange_num = 165');
    expect(text).toMatch(/gradients of the leaves[^]*apple_num {3}110/);
  });

  it('visits nodes in the order the engine does, ties included', () => {
    // A DAG with several nodes per generation; hooks on each node's output fire when the engine
    // visits that node (its output gradient is complete), which gives the engine's order.
    const g = new Generator(4);
    const a = variable(randn([3], { generator: g }), { name: 'a' });
    const b = variable(randn([3], { generator: g }), { name: 'b' });
    const p = a.mul(b),
      q = a.add(b),
      r = b.exp(),
      s = a.sin();
    const u = p.mul(q),
      w = r.sub(s),
      z = q.add(s);
    const out = u.add(w).mul(z).add(r).sum();
    const visited: string[] = [];
    const named = { p, q, r, s, u, w, z };
    for (const [name, v] of Object.entries(named)) v.registerHook(() => void visited.push(name));
    const steps = traceBackward(out);
    out.backward();
    const traced = steps
      .flatMap((step) => step.upstream.map((x) => Object.entries(named).find(([, v]) => v === x.variable)?.[0]))
      .filter((n) => n !== undefined);
    expect(traced).toEqual(visited);
    expect(steps).toHaveLength(11);
  });

  it('sums a value used twice (Branch) and records broadcasting undone by SumTo', () => {
    const x = variable([1, 2, 3], { name: 'x', dtype: 'float64' });
    const y = x.mul(x).add(x).sum(); // dy/dx = 2x + 1
    const steps = traceBackward(y);
    const contributions = steps.flatMap((s) => s.inputs.filter((i) => i.variable === x).map((i) => i.grad!.toArray()));
    expect(contributions).toEqual([
      [1, 1, 1],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(formatTrace(steps)).toMatch(/gradients of the leaves[^]*x {2}\[3, 5, 7\]/);

    const h = variable(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      { name: 'h' },
    );
    const b = variable([10, 20], { name: 'b' });
    const step = traceBackward(h.add(b).sum())[1];
    expect(step.type).toBe('Add');
    expect(step.inputs[1].reducedFrom).toEqual([2, 2]);
    expect(step.inputs[1].grad!.toArray()).toEqual([2, 2]);
    expect(step.inputs[0].reducedFrom).toBeNull();
    expect(formatTrace([step])).toContain('(summed from (2,2) to (2): broadcasting undone)');
  });

  it('agrees with backward() on a two-layer net', () => {
    const g = new Generator(5);
    const x = variable(randn([6, 4], { generator: g }), { requiresGrad: false });
    const W1 = variable(randn([4, 8], { generator: g }), { name: 'W1' });
    const b1 = variable(zeros([8]), { name: 'b1' });
    const W2 = variable(randn([8, 3], { generator: g }), { name: 'W2' });
    const loss = F.softmaxCrossEntropy(
      F.linear(F.sigmoid(F.linear(x, W1, b1)), W2),
      tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' }),
    );
    const steps = traceBackward(loss);
    expect(steps.map((s) => s.type)).toEqual(['SoftmaxCrossEntropy', 'MatMul', 'Sigmoid', 'Add', 'MatMul']);
    const sent = new Map<Variable, number[]>();
    for (const s of steps)
      for (const i of s.inputs) if (i.grad) sent.set(i.variable, Array.from(i.grad.toTypedArray()));
    loss.backward();
    for (const p of [W1, b1, W2]) {
      const expected = Array.from(p.grad!.data.toTypedArray());
      sent.get(p)!.forEach((v, k) => close(v, expected[k], 1e-6));
    }
  });

  it('needs the graph: after backward() it says to trace first or retain the graph', () => {
    const { price } = appleGraph();
    price.backward();
    expect(() => traceBackward(price)).toThrow(
      /was freed by backward\(\); trace before calling backward\(\), or pass \{ retainGraph: true \}/,
    );
    const again = appleGraph();
    again.price.backward({ retainGraph: true });
    expect(traceBackward(again.price)).toHaveLength(4);
  });

  it('takes a seed for non-scalar outputs and explains when it is missing', () => {
    const x = variable([1, 2, 3], { name: 'x' });
    const y = x.mul(2);
    expect(() => traceBackward(y)).toThrow(/needs a one-element output/);
    expect(traceBackward(y, { grad: tensor([1, 0, 1]) })[0].inputs[0].grad!.toArray()).toEqual([2, 0, 2]);
    expect(() => traceBackward(variable(1, { requiresGrad: false }))).toThrow(/does not require grad/);
  });
});

describe('a 100,000-node graph', () => {
  it('is walked without recursion by every tool', () => {
    const x = variable(0.5, { name: 'x', dtype: 'float64' });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.sin();
    const dot = toDot(y);
    expect(dot.split('\n').filter((l) => l.includes(' -> '))).toHaveLength(200_000);
    const graph = graphToJSON(y);
    expect(graph.nodes).toHaveLength(100_000);
    expect(graph.variables).toHaveLength(100_001);
    expect(formatGraph(y).split('\n').at(-1)).toBe(
      '100,000 nodes (Sin 100,000) · 100,001 variables · 1 parameter, 1 element',
    );
    const steps = traceBackward(y);
    expect(steps).toHaveLength(100_000);
    y.backward();
    close(steps.at(-1)!.inputs[0].grad!.item(), x.grad!.item(), 1e-12);
  });
});
