import { DTypeError, IndexError, ShapeError, ValueError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

/** @nn/tensor: creation, indexing, reductions, kernels' settings. */
export const entries: Entry[] = [
  { snippet: 'T.add(T.zeros([2, 3]), T.zeros([4, 3]))', throws: ShapeError, names: ['add', '(2,3)', '(4,3)'] },

  // ---- slice: only what basic indexing means ----------------------------------------------------
  {
    snippet: 'T.zeros([3, 4]).slice([0, 1])',
    throws: IndexError,
    names: ['slice', 'axis 0', '[0,1]', 'take()'],
    note: 'an array was read as ":"',
  },
  {
    snippet: 'T.zeros([3, 4]).slice(0, true)',
    throws: IndexError,
    names: ['slice', 'axis 1', 'true'],
    note: 'a boolean was read as ":"',
  },
  {
    snippet: 'T.zeros([3]).slice({ strat: 1 })',
    throws: IndexError,
    names: ['slice', 'axis 0', "'strat'"],
    note: 'a misspelt key was read as ":"',
  },
  { snippet: 'T.zeros([3]).slice(undefined)', throws: IndexError, names: ['slice', 'axis 0', 'undefined'] },
  { snippet: 'T.zeros([3]).slice(1.5)', throws: IndexError, names: ['slice', '1.5', 'axis 0', 'not an integer'] },
  { snippet: 'T.zeros([3]).slice(NaN)', throws: IndexError, names: ['slice', 'NaN', 'not an integer'] },
  { snippet: 'T.zeros([3]).slice({ start: 0.5 })', throws: IndexError, names: ['slice', 'start 0.5', 'axis 0'] },
  { snippet: 'T.zeros([3]).slice(3)', throws: IndexError, names: ['slice', 'index 3', 'axis 0', 'size 3'] },
  { snippet: "T.zeros([2, 3]).slice(':', '::0')", throws: ValueError, names: ['slice', 'step', 'axis 1'] },
  { snippet: "T.zeros([3]).slice('a:b')", throws: ValueError, names: ['slice', "'a'"] },
  { snippet: "T.zeros([3]).slice('...', '...')", throws: IndexError, names: ['slice', 'ellipsis'] },
  { snippet: 'T.zeros([2, 3]).slice(0, 0, 0)', throws: IndexError, names: ['slice', 'too many indices (3)', '2-d'] },
  {
    snippet: "T.arange(6).reshape(2, 3).slice('...', '::-1').toArray()",
    returns: [
      [2, 1, 0],
      [5, 4, 3],
    ],
  },

  // ---- values a dtype cannot hold ------------------------------------------------------------------
  {
    snippet: "T.tensor([3e9], { dtype: 'int32' })",
    throws: ValueError,
    names: ['tensor', '3000000000', 'int32'],
    note: 'wrapped to -1294967296',
  },
  { snippet: "T.tensor([[1, NaN]], { dtype: 'int32' })", throws: ValueError, names: ['tensor', 'NaN', '[0][1]'] },
  { snippet: "T.full([2], Infinity, { dtype: 'int32' })", throws: ValueError, names: ['full', 'Infinity', 'int32'] },
  { snippet: "T.tensor([1.7, -1.7], { dtype: 'int32' }).toArray()", returns: [1, -1], note: 'truncates, as NumPy' },
  {
    snippet: "T.add(T.tensor([1], { dtype: 'int32' }), 5e9)",
    throws: ValueError,
    names: ['add', '5000000000', 'int32'],
  },
  { snippet: "T.full([2], 'a')", throws: DTypeError, names: ['full', "'a'"], note: 'stored NaN' },
  {
    snippet: "T.pow(T.tensor([2], { dtype: 'int32' }), -1)",
    throws: ValueError,
    names: ['pow', 'negative integer powers', '-1'],
    note: 'gave 0',
  },
  { snippet: "T.tensor([2], { dtype: 'int32' }).pow(3).toArray()", returns: [8] },
  { snippet: "T.tensor(['a'])", throws: DTypeError, names: ['tensor', '"a"', 'index [0]'] },
  { snippet: 'T.tensor([[1, 2], [3]])', throws: ShapeError, names: ['tensor', 'ragged', 'index [1]'] },
  { snippet: 'T.tensor(undefined)', throws: DTypeError, names: ['tensor', 'undefined'] },
  { snippet: "T.zeros([2], { dtype: 'float16' })", throws: DTypeError, names: ['zeros', 'float16', 'float32'] },
  { snippet: "T.zeros([2]).astype('int64')", throws: DTypeError, names: ['astype', 'int64'] },
  { snippet: 'T.tensor(new Uint16Array(2))', throws: DTypeError, names: ['tensor', 'Uint16Array'] },
  { snippet: 'T.tensor([1, 2], { shape: [3] })', throws: ShapeError, names: ['tensor', '2 values', '(3)'] },
  { snippet: "T.randn([2], { dtype: 'int32' })", throws: DTypeError, names: ['randn', 'int32'] },

  // ---- axes -----------------------------------------------------------------------------------
  {
    snippet: "T.sum(T.zeros([2]), '1')",
    throws: IndexError,
    names: ['sum', "'1'", 'string'],
    note: 'a TypeError in normalizeAxes',
  },
  { snippet: "T.mean(T.zeros([2, 3]), '0')", throws: IndexError, names: ['mean', "'0'"] },
  { snippet: 'T.max(T.zeros([2]), NaN)', throws: IndexError, names: ['max', 'NaN', 'integer'] },
  { snippet: "T.argmax(T.zeros([2]), '0')", throws: IndexError, names: ['argmax', "'0'"] },
  { snippet: 'T.softmax(T.zeros([2]), 1.5)', throws: IndexError, names: ['softmax', '1.5'] },
  { snippet: "T.concat([T.zeros([2]), T.zeros([2])], '0')", throws: IndexError, names: ['concat', "'0'"] },
  { snippet: "T.squeeze(T.zeros([1, 2]), '0')", throws: IndexError, names: ['squeeze', "'0'"] },
  { snippet: 'T.zeros([2]).unsqueeze(1.5)', throws: IndexError, names: ['unsqueeze', '1.5', 'integer'] },
  { snippet: 'T.sum(T.zeros([2, 3]), 5)', throws: IndexError, names: ['sum', 'axis 5', '2-d'] },
  { snippet: 'T.sum(T.zeros([2, 3]), [0, -2])', throws: IndexError, names: ['sum', 'repeated axis', '[0, -2]'] },
  { snippet: 'T.zeros([2, 3]).transpose([0, 0])', throws: IndexError, names: ['transpose', 'repeated', '[0, 0]'] },
  { snippet: 'T.zeros([2, 3]).swapaxes(0, 5)', throws: IndexError, names: ['swapaxes', 'axis 5'] },

  // ---- sizes and the size ceiling ---------------------------------------------------------------
  {
    snippet: 'T.zeros([1e6, 1e6])',
    throws: ValueError,
    names: ['zeros', '(1000000,1000000)', '4000000000000 bytes', 'setMaxTensorBytes'],
    note: 'an engine RangeError',
  },
  {
    snippet: 'T.zeros([2 ** 31])',
    throws: ValueError,
    names: ['zeros', '(2147483648)', '8589934592 bytes'],
    note: 'took 89 s and 8.6 GB',
  },
  { snippet: 'T.randn([1e6, 1e6])', throws: ValueError, names: ['randn', '(1000000,1000000)', 'bytes'] },
  {
    snippet: "T.arange(0, 1e12, 1, { dtype: 'float32' })",
    throws: ValueError,
    names: ['arange', '(1000000000000)', 'bytes'],
  },
  {
    snippet: 'T.add(T.zeros([1e6, 1]), T.zeros([1, 1e6]))',
    throws: ValueError,
    names: ['add', '(1000000,1000000)', 'bytes'],
  },
  {
    snippet: 'T.matmul(T.zeros([1e5, 1]), T.zeros([1, 1e5]))',
    throws: ValueError,
    names: ['matmul', '(100000,100000)', 'bytes'],
  },
  {
    snippet:
      'T.setMaxTensorBytes(100); try { return T.tile(T.zeros([5]), 10); } finally { T.setMaxTensorBytes(4 * 1024 ** 3); }',
    throws: ValueError,
    names: ['tile', '(50)', '200 bytes'],
  },
  {
    snippet:
      'T.setMaxTensorBytes(100); try { return T.concat([T.zeros([20]), T.zeros([20])]); } finally { T.setMaxTensorBytes(4 * 1024 ** 3); }',
    throws: ValueError,
    names: ['concat', '(40)'],
  },
  { snippet: 'T.getMaxTensorBytes()', returns: 4 * 1024 ** 3 },
  { snippet: 'T.setMaxTensorBytes(-1)', throws: ValueError, names: ['setMaxTensorBytes', '-1'] },
  { snippet: 'T.zeros([2, -1])', throws: ValueError, names: ['zeros', '-1'] },
  { snippet: 'T.zeros([NaN])', throws: ValueError, names: ['zeros', 'NaN'] },
  { snippet: 'T.ones([1.5])', throws: ValueError, names: ['ones', '1.5'] },
  { snippet: "T.zeros('3')", throws: ValueError, names: ['zeros', "'3'"] },
  { snippet: 'T.zeros([2, 3]).reshape(-1, -1)', throws: ShapeError, names: ['reshape', '-1', '(-1,-1)'] },
  { snippet: 'T.zeros([2, 3]).reshape(4, 2)', throws: ShapeError, names: ['reshape', '(2,3)', '(4,2)'] },
  { snippet: 'T.arange(0, 10, 0)', throws: ValueError, names: ['arange', 'step'] },
  { snippet: 'T.arange(2 ** 31 - 2, 2 ** 31 + 2)', throws: ValueError, names: ['arange', '2147483649', 'int32'] },
  { snippet: 'T.linspace(0, 1, -1)', throws: ValueError, names: ['linspace', '-1'] },
  { snippet: 'T.eye(-1)', throws: ValueError, names: ['eye', '-1'] },

  // ---- indexing and joining ---------------------------------------------------------------------
  { snippet: 'T.oneHot([5], 3)', throws: IndexError, names: ['oneHot', '5', '3 classes'] },
  { snippet: 'T.take(T.zeros([3]), [0.5])', throws: DTypeError, names: ['take', '0.5'] },
  { snippet: 'T.take(T.zeros([3]), [5])', throws: IndexError, names: ['take', 'index 5', 'size 3'] },
  { snippet: 'T.take(T.zeros([3]), T.tensor([0.5]))', throws: DTypeError, names: ['take', 'int32', 'float32'] },
  { snippet: 'T.split(T.zeros([5]), 2)', throws: ShapeError, names: ['split', 'size 5', '2 equal sections'] },
  { snippet: 'T.pad(T.zeros([3]), [[-1, 0]])', throws: ValueError, names: ['pad', '-1', 'axis 0'] },
  {
    snippet: 'T.where(T.tensor([1, 0]), T.zeros([2]), T.ones([2])).toArray()',
    returns: [0, 1],
    note: 'a non-bool condition is read as bool (non-zero is true), as NumPy',
  },
  { snippet: 'T.stack([T.zeros([2]), T.zeros([3])])', throws: ShapeError, names: ['stack', '(3)', '(2)'] },
  { snippet: 'T.concat([])', throws: ValueError, names: ['concat', 'empty'] },
  { snippet: 'T.tile(T.zeros([2]), -1)', throws: ValueError, names: ['tile', '-1'] },

  // ---- matmul ----------------------------------------------------------------------------------
  {
    snippet: 'T.matmul(T.zeros([2, 4, 5]), T.zeros([3, 5, 6]))',
    throws: ShapeError,
    names: ['matmul', '(2)', '(3)', '(2,4,5) @ (3,5,6)'],
    note: 'named only the batch parts',
  },
  { snippet: 'T.matmul(T.zeros([2, 3]), T.zeros([2, 3]))', throws: ShapeError, names: ['matmul', '3 and 2'] },

  // ---- random numbers and kernels' settings ----------------------------------------------------------
  { snippet: 'T.randint(5, 2, [3])', throws: ValueError, names: ['randint', 'low=5', 'high=2'] },
  { snippet: 'T.seed(1.5)', throws: ValueError, names: ['seed', '1.5'], note: 'a RangeError' },
  { snippet: 'new T.Generator(0).normal(0, -1)', throws: ValueError, names: ['Generator.normal', '-1'] },
  { snippet: "T.setBackend('gpu')", throws: ValueError, names: ['setBackend', "'gpu'", 'js'], note: 'a plain Error' },
  {
    snippet: 'T.setThreads(1000)',
    throws: ValueError,
    names: ['setThreads', '1000', '64'],
    note: 'started 1,000 threads (31 s, 5.7 GB)',
  },
  { snippet: 'T.setThreads(0)', throws: ValueError, names: ['setThreads', '0'] },
  { snippet: 'T.setWorkerSpin(NaN)', throws: ValueError, names: ['setWorkerSpin', 'NaN'] },
];
