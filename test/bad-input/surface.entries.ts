import { AutogradError } from '@nn/autograd';
import { ShapeError, ValueError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

/**
 * The public surface: what `import * as A from '@nn/autograd'` holds (functions, Variable, Function,
 * toDot) and what it does not (node classes: @nn/autograd/nodes; gradcheck and the arbitraries:
 * @nn/autograd/testing; drawing: @nn/autograd/inspect), names that mean one thing across packages,
 * and the inspection tools' answers to a wrong argument.
 */
export const entries: Entry[] = [
  // The testing kit and the drawing tools are not on the runtime surface.
  { snippet: 'typeof A.gradcheck', returns: 'undefined', note: 'on @nn/autograd/testing' },
  { snippet: 'typeof A.assertGradcheck', returns: 'undefined', note: 'on @nn/autograd/testing' },
  { snippet: 'typeof A.numericalGrad', returns: 'undefined', note: 'on @nn/autograd/testing' },
  { snippet: 'typeof A.shapeArb', returns: 'undefined', note: 'fast-check arbitraries: @nn/autograd/testing' },
  { snippet: 'typeof A.renderSvg', returns: 'undefined', note: 'Graphviz: @nn/autograd/inspect' },
  { snippet: 'typeof A.writeGraphHtml', returns: 'undefined', note: 'on @nn/autograd/inspect' },
  { snippet: 'typeof A.traceBackward', returns: 'undefined', note: 'on @nn/autograd/inspect' },
  { snippet: 'typeof A.toDot', returns: 'function', note: 'pure DOT text stays on the main entry (DESIGN)' },
  // Node classes are off the function namespace: A.ReLU would be a node, nn.ReLU is a layer.
  {
    snippet:
      "['Conv2d', 'MaxPool2d', 'AvgPool2d', 'Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU', 'Softmax'].filter((n) => n in A)",
    returns: [],
    note: 'node classes: @nn/autograd/nodes',
  },
  {
    snippet: 'Object.keys(A).filter((k) => /^[A-Z]/.test(k)).sort()',
    returns: ['AnomalyError', 'AutogradError', 'Function', 'Variable'],
    note: 'the only classes on the main entry',
  },
  {
    snippet:
      "['conv2d', 'maxPool2d', 'avgPool2d', 'sigmoid', 'relu', 'tanh', 'leakyRelu', 'softmax'].every((n) => typeof A[n] === 'function')",
    returns: true,
  },
  {
    snippet:
      "['Conv2d', 'MaxPool2d', 'AvgPool2d', 'Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU', 'Softmax'].every((n) => new nn[n](...(n === 'Conv2d' ? [1, 1, 1] : n.endsWith('Pool2d') ? [2] : [])) instanceof nn.Module)",
    returns: true,
    note: 'in @nn/nn the same names are layers',
  },
  { snippet: 'A.relu(A.variable([-1, 2])).data.toArray()', returns: [0, 2] },
  {
    snippet: 'A.variable([1, 2]).add(1).creator.constructor.name',
    returns: 'Add',
    note: 'the node, reached through creator',
  },
  {
    snippet: `class Cube extends A.Function {
      forward(x) { return x.mul(x).mul(x); }
      backward(gy) { return gy.mul(this.inputs[0].square().mul(3)); }
    }
    const x = A.variable([2]);
    new Cube().apply(x).sum().backward();
    return x.grad.data.toArray();`,
    returns: [12],
    note: 'Function stays on the main entry: users subclass it',
  },
  // One meaning for TensorDataset: data's class is the { x, t } data fit takes (nn's type DatasetTensors).
  {
    snippet: `const model = new nn.Linear(2, 2);
    const t = T.tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: 'int32' });
    const history = nn.fit(model, new nn.SGD(model.parameters(), { lr: 0.1 }), new data.TensorDataset(T.randn([8, 2]), t), { epochs: 2, batchSize: 4, log: false });
    return history.train.loss.length;`,
    returns: 2,
  },
  {
    snippet: 'typeof nn.TensorDataset',
    returns: 'undefined',
    note: "nn's interface is DatasetTensors; the class is data's",
  },
  {
    snippet: 'new data.TensorDataset(T.zeros([2, 2]), T.zeros([3]))',
    throws: ShapeError,
    names: ['TensorDataset', '(2,2)', '(3)'],
  },
  {
    snippet: `const model = new nn.Linear(2, 2);
    nn.fit(model, new nn.SGD(model.parameters(), { lr: 0.1 }), { x: T.randn([8, 2]), t: T.zeros([7], { dtype: 'int32' }) }, { epochs: 1, log: false });`,
    throws: ValueError,
    names: ['fit', '(8,2)', '(7)'],
  },
  {
    snippet: 'const m = new nn.Linear(2, 2); nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), 5, { epochs: 1 })',
    throws: ValueError,
    names: ['fit', '{ x, t }', '5'],
  },
  // toDot (the main entry's inspection tool) and the graph walk behind every inspection tool.
  { snippet: "A.toDot(A.variable(1).add(2)).startsWith('digraph')", returns: true },
  { snippet: 'A.toDot(null)', throws: AutogradError, names: ['toDot', 'Variable', 'null'] },
  { snippet: 'A.toDot(5)', throws: AutogradError, names: ['toDot', 'Variable', 'number 5'] },
  {
    snippet: 'A.toDot(T.zeros([2]))',
    throws: AutogradError,
    names: ['toDot', 'Tensor', 'records no graph'],
    note: 'a Tensor drawn instead of a Variable',
  },
  { snippet: 'A.toDot([A.variable(1), 2])', throws: AutogradError, names: ['toDot', 'output 1', 'number 2'] },
  {
    snippet: "A.toDot(A.variable(1).add(1), { rankdir: 'XX' })",
    throws: AutogradError,
    names: ['toDot', 'rankdir', "'LR'", '"XX"'],
    note: 'was written into invalid DOT',
  },
  { snippet: 'A.toDot(A.variable(1).add(1), null)', throws: AutogradError, names: ['toDot', 'options', 'null'] },
  { snippet: "A.toDot(A.variable(1).add(1), { rankdir: 'TB' }).includes('rankdir=TB')", returns: true },
  { snippet: "A.toDot([]).startsWith('digraph')", returns: true, note: 'an empty drawing, not an error' },
];
