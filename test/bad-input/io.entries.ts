import { DTypeError, ShapeError } from '@nn/tensor';
import { CheckpointError } from '@nn/nn';
import { DataError } from '@nn/data';
import type { Entry } from './catalogue.js';

// A safetensors file from a header text and a data section of `data` zero bytes.
const file = (header: string, data = 0) =>
  `(() => { const json = new TextEncoder().encode(${header}); const bytes = new Uint8Array(8 + json.length + ${data});
     new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true); bytes.set(json, 8); return bytes; })()`;
const decode = (header: string, data = 0) => `nn.decodeSafetensors(${file(header, data)}, { source: 'w.safetensors' })`;
const entry = (shape: string, offsets: string, dtype = 'F32') =>
  `'{"W":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}}'`;

// An IDX file as bytes: magic 0x08 (ubyte), dims, then `data` bytes of zeros.
const idx = (dims: number[], data: number) =>
  `(() => { const b = new Uint8Array(${4 + 4 * dims.length + data}); const v = new DataView(b.buffer);
     v.setUint32(0, ${0x800 + dims.length}); ${dims.map((d, i) => `v.setUint32(${4 + 4 * i}, ${d});`).join(' ')} return b; })()`;

/** Files from outside: safetensors checkpoints, IDX datasets, and the datasets built from them. */
export const entries: Entry[] = [
  // safetensors headers
  { snippet: `nn.decodeSafetensors(new Uint8Array(3))`, throws: CheckpointError, names: ['3 bytes', '8-byte'] },
  { snippet: `nn.decodeSafetensors('w.safetensors')`, throws: CheckpointError, names: ['Uint8Array', 'w.safetensors'] },
  { snippet: decode(`'[]'`), throws: CheckpointError, names: ['w.safetensors', "start with '{'"] },
  { snippet: decode(`'{"W": [1, 2]}'`), throws: CheckpointError, names: ["'W'", 'dtype, shape and data_offsets'] },
  { snippet: decode(`'{"W": 1'`), throws: CheckpointError, names: ['w.safetensors', 'not valid JSON'] },
  {
    snippet: decode(entry('[2]', '[0, 8]'), 4),
    throws: CheckpointError,
    names: ['w.safetensors', "'W'", 'past the end'],
  },
  {
    snippet: decode(entry('[3]', '[0, 8]'), 8),
    throws: CheckpointError,
    names: ["'W'", '8 bytes', 'float32 (3)', '12'],
  },
  { snippet: decode(entry('[2]', '[0, 8]', 'F8'), 8), throws: CheckpointError, names: ["'W'", 'unknown dtype', 'F8'] },
  { snippet: decode(entry('[-1]', '[0, 0]')), throws: CheckpointError, names: ["'W'", 'non-negative integers'] },
  {
    snippet: decode(entry('[1099511627776, 1099511627776]', '[0, 0]')),
    throws: CheckpointError,
    names: ["'W'", '2^53'],
  },
  {
    snippet: decode(
      `'{"W":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"W":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'`,
      4,
    ),
    throws: CheckpointError,
    names: ["'W'", 'twice'],
  },
  { snippet: decode(entry('[1]', '[0, 4]'), 8), throws: CheckpointError, names: ['[4, 8)', 'belong to no tensor'] },
  {
    snippet: decode(`'{"__metadata__":{"epoch":3}}'`),
    throws: CheckpointError,
    names: ['__metadata__', "'epoch'", 'string'],
  },
  {
    snippet: `const n = nn.MAX_HEADER_ENTRIES + 1; const parts = []; for (let i = 0; i < n; i++) parts.push('"t' + i + '":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}');
      return ${decode(`'{' + parts.join(',') + '}'`)}`,
    throws: CheckpointError,
    names: ['100001 tensors', 'limit of 100000'],
    note: 'a header of many empty entries is refused after its parse, before any tensor is made',
  },
  {
    snippet: `Object.keys(${decode(entry('[0]', '[0, 0]'))}.tensors)`,
    returns: ['W'],
    note: 'an empty tensor is legal',
  },
  // Writing
  { snippet: `nn.encodeSafetensors({ W: [1, 2] })`, throws: CheckpointError, names: ["'W'", 'Tensor'] },
  {
    snippet: `nn.encodeSafetensors({ __metadata__: T.zeros([1]) })`,
    throws: CheckpointError,
    names: ['__metadata__', 'reserved'],
  },
  {
    snippet: `nn.encodeSafetensors({ W: T.zeros([1]) }, { epoch: 3 })`,
    throws: CheckpointError,
    names: ["'epoch'", 'string'],
  },
  {
    snippet: `await fs.promises.writeFile(path.join(tmp, 'bad.safetensors'), new Uint8Array(5)); await nn.load(path.join(tmp, 'bad.safetensors'))`,
    throws: CheckpointError,
    names: ['bad.safetensors', '5 bytes'],
  },
  {
    snippet: `const p = path.join(tmp, 'w.safetensors'); await nn.save(p, { W: T.ones([2]) });
      fs.writeFileSync(path.join(tmp, '.w.safetensors.999999999-0123456789ab.tmp'), 'killed mid-save');
      fs.writeFileSync(path.join(tmp, '.w.safetensors.notes.tmp'), 'not a temporary of save');
      await nn.save(p, { W: T.ones([2]) }); return fs.readdirSync(tmp).sort()`,
    returns: ['.w.safetensors.notes.tmp', 'w.safetensors'],
    note: 'a save removes the temporaries a killed save of the same file left (its pid is gone), nothing else',
  },

  // IDX files and MNIST folders
  { snippet: `data.readIdx(new Uint8Array(2), 'x.idx')`, throws: DataError, names: ['x.idx', 'too short'] },
  { snippet: `data.readIdx([0, 0, 8, 1], 'x.idx')`, throws: DataError, names: ['Uint8Array'] },
  { snippet: `data.readIdx(${idx([10], 4)}, 'x.idx')`, throws: DataError, names: ['x.idx', '10', '4'] },
  {
    snippet: `data.readIdx(${idx([2, 2], 4)}, 'x.idx', { ndim: 3 })`,
    throws: DataError,
    names: ['x.idx', '2 dimensions', 'expected 3'],
  },
  {
    snippet: `data.loadMnist({ dir: tmp })`,
    throws: DataError,
    names: ['train-images-idx3-ubyte', 'not found', 'dir'],
  },
  {
    snippet: `fs.writeFileSync(path.join(tmp, 'train-images-idx3-ubyte.gz'), 'not gzip'); data.loadMnist({ dir: tmp })`,
    throws: DataError,
    names: ['train-images-idx3-ubyte.gz', 'gzip'],
  },

  // Datasets and loaders
  { snippet: `new data.TensorDataset(null, T.zeros([2]))`, throws: DTypeError, names: ['TensorDataset', 'x', 'null'] },
  {
    snippet: `new data.TensorDataset(T.zeros([2, 3]), [0, 1])`,
    throws: DTypeError,
    names: ['TensorDataset', 't', 'Array'],
  },
  {
    snippet: `new data.TensorDataset(T.zeros([2, 3]), T.zeros([3]))`,
    throws: ShapeError,
    names: ['TensorDataset', '(2,3)', '(3)'],
  },
];
