import { DTypeError, IndexError, ShapeError, ValueError } from '@nn/tensor';
import { StateDictError } from '@nn/nn';
import type { Entry } from './catalogue.js';

const lin = 'new nn.Linear(2, 2, { generator: new T.Generator(0) })';
const xy =
  "{ x: T.randn([8, 2], { generator: new T.Generator(1) }), t: T.tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: 'int32' }) }";

/** @nn/nn (layers, Module, optimizers, fit) and @nn/data's DataLoader: bad input in training. */
export const entries: Entry[] = [
  // Optimizer hyperparameters, at construction and when a schedule writes them later.
  {
    snippet: `const o = new nn.SGD(${lin}.parameters(), { lr: 0.1 }); o.lr = NaN`,
    throws: ValueError,
    names: ['SGD', 'lr', 'NaN'],
    note: 'set after construction',
  },
  {
    snippet: `const o = new nn.Adam(${lin}.parameters(), { lr: 0.1 }); o.lr = -0.5`,
    throws: ValueError,
    names: ['Adam', 'lr', '-0.5'],
  },
  {
    snippet: `const o = new nn.SGD(${lin}.parameters(), { lr: 0.1 }); o.weightDecay = Infinity`,
    throws: ValueError,
    names: ['SGD', 'weightDecay', 'Infinity'],
  },
  { snippet: `const o = new nn.SGD(${lin}.parameters(), { lr: 0.1 }); o.lr = 0.01; return o.lr`, returns: 0.01 },
  { snippet: `new nn.SGD(${lin}.parameters(), { lr: NaN })`, throws: ValueError, names: ['SGD', 'lr', 'NaN'] },
  { snippet: `new nn.SGD(${lin}.parameters(), { lr: -1 })`, throws: ValueError, names: ['SGD', 'lr', '-1'] },
  { snippet: `new nn.SGD(${lin}.parameters(), {})`, throws: ValueError, names: ['SGD', 'lr', 'undefined'] },
  {
    snippet: `new nn.Momentum(${lin}.parameters(), { lr: 0.1, momentum: 1.5 })`,
    throws: ValueError,
    names: ['Momentum', 'momentum', '1.5'],
  },
  {
    snippet: `new nn.Adam(${lin}.parameters(), { lr: 0.1, beta1: 1 })`,
    throws: ValueError,
    names: ['Adam', 'beta1', '1'],
  },
  {
    snippet: `new nn.Adam(${lin}.parameters(), { lr: 0.1, beta2: -0.1 })`,
    throws: ValueError,
    names: ['Adam', 'beta2', '-0.1'],
  },
  {
    snippet: `new nn.RMSProp(${lin}.parameters(), { lr: 0.1, decay: 2 })`,
    throws: ValueError,
    names: ['RMSProp', 'decay', '2'],
  },
  {
    snippet: `new nn.AdaGrad(${lin}.parameters(), { lr: 0.1, eps: -1 })`,
    throws: ValueError,
    names: ['AdaGrad', 'eps', '-1'],
  },
  { snippet: 'new nn.SGD([], { lr: 0.1 })', throws: ValueError, names: ['SGD', 'empty parameter list'] },
  { snippet: 'new nn.SGD(null, { lr: 0.1 })', throws: ValueError, names: ['SGD', 'params', 'null'] },
  { snippet: 'new nn.SGD([1, 2], { lr: 0.1 })', throws: ValueError, names: ['SGD', 'params[0]', 'number 1'] },
  // Parameter groups: a parameter in two groups, an option the optimizer lacks, a bad value in one group.
  {
    snippet: `const l = ${lin}; new nn.SGD([{ params: l.parameters() }, { params: [l.W] }], { lr: 0.1 })`,
    throws: ValueError,
    names: ['SGD', 'more than one parameter group'],
  },
  {
    snippet: `new nn.SGD([{ params: ${lin}.parameters(), betas: 0.9 }], { lr: 0.1 })`,
    throws: ValueError,
    names: ['SGD', 'parameter group 0', "'betas'"],
  },
  {
    snippet: `new nn.Adam([{ params: ${lin}.parameters(), beta2: 1 }], { lr: 0.1 })`,
    throws: ValueError,
    names: ['Adam', 'parameter group 0', 'beta2', '1'],
  },
  // Layers: sizes and inputs.
  { snippet: 'new nn.Linear(0, 3)', throws: ValueError, names: ['Linear', 'inFeatures', '0'] },
  { snippet: 'new nn.Linear(2, -3)', throws: ValueError, names: ['Linear', 'outFeatures', '-3'] },
  { snippet: 'new nn.Linear(2.5, 3)', throws: ValueError, names: ['Linear', 'inFeatures', '2.5'] },
  { snippet: `${lin}.forward(undefined)`, throws: ValueError, names: ['Linear.forward', 'undefined', 'variable('] },
  { snippet: `${lin}.forward([[1, 2]])`, throws: ValueError, names: ['Linear.forward', 'an array'] },
  {
    snippet: `${lin}.forward(A.variable(T.zeros([3, 5])))`,
    throws: ShapeError,
    names: ['Linear(2→2)', '2 features', '(3,5)'],
  },
  { snippet: 'new nn.ReLU().forward(null)', throws: ValueError, names: ['ReLU.forward', 'null'] },
  { snippet: 'new nn.Flatten().forward(undefined)', throws: ValueError, names: ['Flatten.forward', 'undefined'] },
  { snippet: 'new nn.Dropout(0.5).forward(undefined)', throws: ValueError, names: ['Dropout.forward', 'undefined'] },
  {
    snippet: 'new nn.BatchNorm1d(2).forward(undefined)',
    throws: ValueError,
    names: ['BatchNorm1d.forward', 'undefined'],
  },
  {
    snippet: `new nn.Sequential(${lin}, new nn.ReLU()).forward(undefined)`,
    throws: ValueError,
    names: ['Sequential.forward', 'undefined'],
  },
  { snippet: `new nn.Sequential(${lin}, 'relu')`, throws: ValueError, names: ['Sequential', 'Module', 'index 1'] },
  { snippet: 'new nn.Sequential(new nn.ReLU()).at(3)', throws: IndexError, names: ['Sequential.at', '3', '1 modules'] },
  { snippet: 'new nn.Dropout(1.5)', throws: ValueError, names: ['Dropout', 'p', '1.5'] },
  { snippet: 'new nn.BatchNorm1d(0)', throws: ValueError, names: ['BatchNorm1d', 'features', '0'] },
  { snippet: 'new nn.ReLU().forward(A.variable([-1, 2])).data.toArray()', returns: [0, 2] },
  {
    snippet: "new nn.Embedding(10, 4).forward(T.tensor([3, 12], { dtype: 'int32' }))",
    throws: IndexError,
    names: ['Embedding(10, 4)', 'index 12', '[0, 10)'],
  },
  {
    snippet: 'new nn.Embedding(10, 4).forward(T.tensor([3, 2]))',
    throws: DTypeError,
    names: ['Embedding(10, 4)', 'int32', 'float32'],
  },
  {
    snippet: 'new nn.Embedding(10, 4, { paddingIdx: 11 })',
    throws: ValueError,
    names: ['Embedding', 'paddingIdx', '11'],
  },
  {
    snippet: 'new nn.LayerNorm([3, 4]).forward(A.variable(T.zeros([2, 4, 3])))',
    throws: ShapeError,
    names: ['LayerNorm((3,4))', '(2,4,3)'],
  },
  { snippet: 'new nn.LayerNorm(0)', throws: ValueError, names: ['LayerNorm', 'normalizedShape', '0'] },
  { snippet: "new nn.GELU('fast')", throws: ValueError, names: ['GELU', 'approximate', 'fast'] },
  { snippet: 'new nn.ModuleList([new nn.ReLU(), 3])', throws: ValueError, names: ['ModuleList', 'Module', 'index 1'] },
  {
    snippet: 'new nn.ModuleList([new nn.ReLU()]).at(2)',
    throws: IndexError,
    names: ['ModuleList.at', '2', '1 modules'],
  },
  { snippet: "new nn.ModuleDict({ 'a.b': new nn.ReLU() })", throws: ValueError, names: ['ModuleDict', 'a.b'] },
  { snippet: "new nn.ModuleDict().get('head')", throws: IndexError, names: ['ModuleDict.get', 'head'] },
  { snippet: "new nn.GELU('tanh').forward(A.variable([0])).data.toArray()", returns: [0] },
  {
    snippet: 'new nn.LSTM(3, 4).forward(A.variable(T.zeros([5, 2, 6])))',
    throws: ShapeError,
    names: ['LSTM(3, 4)', '(T, N, inputSize)', 'inputSize = 3', '(5,2,6)'],
  },
  {
    snippet: 'new nn.GRU(3, 4, { numLayers: 2 }).forward(A.variable(T.zeros([5, 2, 3])), T.zeros([1, 2, 4]))',
    throws: ShapeError,
    names: ['GRU(3, 4)', 'h0', '(2,2,4)', '(1,2,4)'],
  },
  {
    snippet: 'new nn.LSTM(3, 4).forward(A.variable(T.zeros([5, 2, 3])), [T.zeros([1, 2, 4]), T.zeros([1, 3, 4])])',
    throws: ShapeError,
    names: ['LSTM(3, 4)', 'c0', '(1,2,4)', '(1,3,4)'],
  },
  { snippet: 'new nn.LSTM(3, 0)', throws: ValueError, names: ['LSTM', 'hiddenSize', '0'] },
  { snippet: 'new nn.GRU(3, 4, { dropout: 1.5 })', throws: ValueError, names: ['GRU', 'dropout', '1.5'] },
  {
    snippet: 'new nn.MultiheadAttention(6, 4)',
    throws: ValueError,
    names: ['MultiheadAttention', 'numHeads 4', 'embedDim 6'],
  },
  {
    snippet: 'new nn.MultiheadAttention(4, 2).forward(A.variable(T.zeros([3, 2, 5])))',
    throws: ShapeError,
    names: ['MultiheadAttention', 'query', '(L, N, E)', '4', '(3,2,5)'],
  },
  {
    snippet:
      'nn.scaledDotProductAttention(A.variable(T.zeros([2, 3, 4])), A.variable(T.zeros([2, 3, 5])), A.variable(T.zeros([2, 3, 4])))',
    throws: ShapeError,
    names: ['scaledDotProductAttention', '(2,3,4)', '(2,3,5)'],
  },
  {
    snippet: 'new nn.TransformerEncoderLayer(4, 2, { activation: "tanh" })',
    throws: ValueError,
    names: ['TransformerEncoderLayer', 'activation', 'tanh'],
  },
  {
    snippet: 'new nn.LSTM(2, 3).forwardWithState(A.variable(T.zeros([4, 1, 2])))[1][1].shape',
    returns: [1, 1, 3],
  },
  // State dicts.
  { snippet: `${lin}.loadStateDict(null)`, throws: StateDictError, names: ['loadStateDict', 'Linear', 'null'] },
  { snippet: `${lin}.loadStateDict(undefined)`, throws: StateDictError, names: ['loadStateDict', 'undefined'] },
  { snippet: `${lin}.loadStateDict([])`, throws: StateDictError, names: ['loadStateDict', 'an array'] },
  {
    snippet: `${lin}.loadStateDict({ W: T.zeros([3, 3]), b: T.zeros([2]) })`,
    throws: StateDictError,
    names: ['shape mismatch', '"W"', '(2,2)', '(3,3)'],
  },
  { snippet: `${lin}.loadStateDict({ W: T.zeros([2, 2]) })`, throws: StateDictError, names: ['loadStateDict', 'b'] },
  // fit.
  {
    snippet: `const m = ${lin}; return nn.fit(m, new nn.SGD(${lin}.parameters(), { lr: 0.1 }), ${xy}, { epochs: 1, log: false })`,
    throws: ValueError,
    names: ['fit', 'none of the model', 'model.parameters()'],
    note: "an optimizer over another model's parameters",
  },
  {
    snippet: `const m = ${lin}; const d = ${xy}; const x = d.x.toArray(); x[5][0] = NaN; return nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), { x: T.tensor(x), t: d.t }, { epochs: 3, batchSize: 4, shuffle: false, log: false })`,
    throws: ValueError,
    names: ['fit', 'NaN', 'epoch 1', 'batch 2', 'stopOnNaN'],
  },
  {
    snippet: `const m = ${lin}; const d = ${xy}; const x = d.x.toArray(); x[5][0] = NaN; return nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), { x: T.tensor(x), t: d.t }, { epochs: 2, batchSize: 4, shuffle: false, log: false, stopOnNaN: false }).epochs`,
    returns: 2,
  },
  {
    snippet: `const m = ${lin}; return nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), ${xy}, { epochs: NaN, log: false })`,
    throws: ValueError,
    names: ['fit', 'epochs', 'NaN'],
  },
  {
    snippet: `const m = ${lin}; return nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), ${xy}, { epochs: 1, batchSize: 0, log: false })`,
    throws: ValueError,
    names: ['fit', 'batchSize', '0'],
  },
  {
    snippet: `const m = ${lin}; return nn.fit(m, new nn.SGD(m.parameters(), { lr: 0.1 }), ${xy}, { epochs: 1, clipNorm: -1, log: false })`,
    throws: ValueError,
    names: ['fit', 'clipNorm', '-1'],
  },
  // DataLoader.
  {
    snippet: 'new data.DataLoader(new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])), { batchSize: 0 })',
    throws: ValueError,
    names: ['DataLoader', 'batchSize', '0'],
  },
  {
    snippet: 'new data.DataLoader(new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])), { batchSize: 1.5 })',
    throws: ValueError,
    names: ['DataLoader', 'batchSize', '1.5'],
  },
  {
    snippet:
      "new data.DataLoader(new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])), { batchSize: 2, replacement: 'yes' })",
    throws: ValueError,
    names: ['DataLoader', 'replacement', 'yes'],
  },
  {
    snippet:
      'new data.DataLoader(new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])), { batchSize: 2, replacement: true, shuffle: true })',
    throws: ValueError,
    names: ['DataLoader', 'replacement', 'shuffle'],
    note: 'replacement is random by itself',
  },
  {
    snippet:
      'new data.DataLoader(new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])), { batchSize: 2, replacement: true, dropLast: true })',
    throws: ValueError,
    names: ['DataLoader', 'replacement', 'dropLast'],
    note: 'replacement keeps every batch full',
  },
  {
    snippet: 'new data.TensorDataset(T.zeros([4, 2]), T.zeros([4])).get(4)',
    throws: IndexError,
    names: ['TensorDataset.get', '4', '4 examples'],
  },
];
