import { OnnxExportError } from './errors.js';
import { Reader, Wire, Writer, type Tag } from './protobuf.js';

/**
 * The ONNX messages we read and write (field numbers from the ONNX specification, onnx.proto):
 * ModelProto, OperatorSetIdProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto and TypeProto (tensor types only). Fields outside this set are skipped when
 * reading (their lengths still checked) and never written.
 */

/** TensorProto.DataType values. @example DataType.FLOAT // 1 */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/**
 * A tensor: its `values` in row-major order. Float32Array for FLOAT; Float64Array for DOUBLE and
 * for INT64 (integers, exact up to 2^53); Int32Array for INT32, INT16, INT8, UINT16, UINT8, BOOL.
 */
export interface TensorProto {
  name: string;
  dataType: number;
  dims: number[];
  values: Float32Array | Float64Array | Int32Array;
}

/** One dimension of a tensor type: a size, a symbolic name (a dynamic axis), or neither (unknown). */
export interface Dimension {
  value?: number;
  param?: string;
}

/** TypeProto with its tensor_type: element type and shape (null when the shape is not given). */
export interface TypeProto {
  elemType: number;
  shape: Dimension[] | null;
}

export interface ValueInfoProto {
  name: string;
  /** null when the value's type is not given (allowed for value_info). */
  type: TypeProto | null;
  docString?: string;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
  docString?: string;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  docString?: string;
}

export interface OperatorSetIdProto {
  domain: string;
  version: number;
}

export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: GraphProto;
  opsetImports: OperatorSetIdProto[];
}

// ---- writing --------------------------------------------------------------------------------------

/** Serializes a ModelProto. @example const bytes = encodeModel(model); */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  if (model.producerName) w.string(2, model.producerName);
  if (model.producerVersion) w.string(3, model.producerVersion);
  if (model.domain) w.string(4, model.domain);
  if (model.modelVersion) w.int(5, model.modelVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsetImports) {
    w.message(8, (o) => {
      if (opset.domain) o.string(1, opset.domain);
      o.int(2, opset.version);
    });
  }
  return w.finish();
}

function writeGraph(w: Writer, graph: GraphProto): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  if (graph.name) w.string(2, graph.name);
  for (const t of graph.initializers) w.message(5, (m) => writeTensor(m, t));
  if (graph.docString) w.string(10, graph.docString);
  for (const v of graph.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of graph.outputs) w.message(12, (m) => writeValueInfo(m, v));
  for (const v of graph.valueInfo) w.message(13, (m) => writeValueInfo(m, v));
}

function writeNode(w: Writer, node: NodeProto): void {
  for (const name of node.inputs) w.string(1, name);
  for (const name of node.outputs) w.string(2, name);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const a of node.attributes) w.message(5, (m) => writeAttribute(m, a));
  if (node.docString) w.string(6, node.docString);
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: Writer, a: AttributeProto): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.string(4, a.s);
  if (a.t !== undefined) w.message(5, (m) => writeTensor(m, a.t!));
  if (a.g !== undefined) w.message(6, (m) => writeGraph(m, a.g!));
  for (const f of a.floats ?? []) w.float(7, f);
  for (const i of a.ints ?? []) w.int(8, i);
  for (const s of a.strings ?? []) w.string(9, s);
  w.int(20, a.type);
}

function writeValueInfo(w: Writer, v: ValueInfoProto): void {
  w.string(1, v.name);
  const type = v.type;
  if (type !== null) {
    w.message(2, (t) =>
      t.message(1, (tensor) => {
        tensor.int(1, type.elemType);
        if (type.shape !== null) {
          const dims = type.shape;
          tensor.message(2, (shape) => {
            for (const d of dims) {
              shape.message(1, (dim) => {
                if (d.value !== undefined) dim.int(1, d.value);
                else if (d.param !== undefined) dim.string(2, d.param);
              });
            }
          });
        }
      }),
    );
  }
  if (v.docString) w.string(3, v.docString);
}

/** Bytes per element in raw_data, for the data types we read and write. */
const RAW_WIDTH: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

/** Writes the values as little-endian raw_data (the compact form every ONNX reader accepts). */
function writeTensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  const width = RAW_WIDTH[t.dataType];
  if (width === undefined)
    throw new OnnxExportError(`encodeModel: tensor '${t.name}' has data type ${t.dataType}, which we do not write`);
  const raw = new Uint8Array(t.values.length * width);
  const view = new DataView(raw.buffer);
  const put = rawSetter(view, t.dataType);
  for (let i = 0; i < t.values.length; i++) put(i * width, t.values[i]);
  w.bytes(9, raw);
}

function rawSetter(view: DataView, dataType: number): (at: number, v: number) => void {
  switch (dataType) {
    case DataType.FLOAT:
      return (at, v) => view.setFloat32(at, v, true);
    case DataType.DOUBLE:
      return (at, v) => view.setFloat64(at, v, true);
    case DataType.INT64:
      return (at, v) => view.setBigInt64(at, BigInt(v), true);
    case DataType.INT32:
      return (at, v) => view.setInt32(at, v, true);
    case DataType.INT16:
      return (at, v) => view.setInt16(at, v, true);
    case DataType.UINT16:
      return (at, v) => view.setUint16(at, v, true);
    case DataType.INT8:
      return (at, v) => view.setInt8(at, v);
    default:
      return (at, v) => view.setUint8(at, v);
  }
}

// ---- reading --------------------------------------------------------------------------------------

/** How deeply graphs may nest inside attributes (If/Loop bodies): a guard against stack exhaustion. */
const MAX_DEPTH = 32;

/**
 * Parses a ModelProto from `bytes`. Every length is checked against what remains, tensors'
 * sizes against their dims before anything is allocated; a failure is an OnnxFormatError naming
 * `source` and the field path. Unknown fields are skipped.
 *
 * @example const model = decodeModel(readFileSync('mlp.onnx'), 'mlp.onnx');
 */
export function decodeModel(bytes: Uint8Array, source = 'onnx'): ModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new Reader(new Uint8Array(0), source, '').error('expected a Uint8Array of ONNX bytes');
  const r = new Reader(bytes, source, '');
  const model: ModelProto = {
    irVersion: 0,
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: emptyGraph(),
    opsetImports: [],
  };
  let sawGraph = false;
  while (!r.done) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        model.irVersion = varintField(r, tag, 'ir_version');
        break;
      case 2:
        model.producerName = stringField(r, tag, 'producer_name');
        break;
      case 3:
        model.producerVersion = stringField(r, tag, 'producer_version');
        break;
      case 4:
        model.domain = stringField(r, tag, 'domain');
        break;
      case 5:
        model.modelVersion = varintField(r, tag, 'model_version');
        break;
      case 6:
        model.docString = stringField(r, tag, 'doc_string');
        break;
      case 7:
        r.expect(tag, Wire.LengthDelimited, 'graph');
        model.graph = readGraph(r.messageField('graph'), 0);
        sawGraph = true;
        break;
      case 8: {
        r.expect(tag, Wire.LengthDelimited, 'opset_import');
        model.opsetImports.push(readOpset(r.messageField(`opset_import[${model.opsetImports.length}]`)));
        break;
      }
      default:
        r.skip(tag.wire, tag.field);
    }
  }
  if (!sawGraph) throw r.error('the model has no graph (field 7 is missing): not an ONNX model, or an empty file');
  return model;
}

function emptyGraph(): GraphProto {
  return { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
}

function varintField(r: Reader, tag: Tag, field: string): number {
  r.expect(tag, Wire.Varint, field);
  return r.varint(field);
}

function stringField(r: Reader, tag: Tag, field: string): string {
  r.expect(tag, Wire.LengthDelimited, field);
  return r.stringField(field);
}

function readOpset(r: Reader): OperatorSetIdProto {
  const opset: OperatorSetIdProto = { domain: '', version: 0 };
  while (!r.done) {
    const tag = r.tag();
    if (tag.field === 1) opset.domain = stringField(r, tag, 'domain');
    else if (tag.field === 2) opset.version = varintField(r, tag, 'version');
    else r.skip(tag.wire, tag.field);
  }
  return opset;
}

function readGraph(r: Reader, depth: number): GraphProto {
  if (depth > MAX_DEPTH) throw r.error(`graphs nested more than ${MAX_DEPTH} deep`);
  const g = emptyGraph();
  while (!r.done) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        r.expect(tag, Wire.LengthDelimited, 'node');
        g.nodes.push(readNode(r.messageField(`node[${g.nodes.length}]`), depth));
        break;
      case 2:
        g.name = stringField(r, tag, 'name');
        break;
      case 5:
        r.expect(tag, Wire.LengthDelimited, 'initializer');
        g.initializers.push(readTensor(r.messageField(`initializer[${g.initializers.length}]`)));
        break;
      case 10:
        g.docString = stringField(r, tag, 'doc_string');
        break;
      case 11:
      case 12:
      case 13: {
        const list = tag.field === 11 ? g.inputs : tag.field === 12 ? g.outputs : g.valueInfo;
        const name = tag.field === 11 ? 'input' : tag.field === 12 ? 'output' : 'value_info';
        r.expect(tag, Wire.LengthDelimited, name);
        list.push(readValueInfo(r.messageField(`${name}[${list.length}]`)));
        break;
      }
      default:
        r.skip(tag.wire, tag.field);
    }
  }
  return g;
}

function readNode(r: Reader, depth: number): NodeProto {
  const node: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  while (!r.done) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        node.inputs.push(stringField(r, tag, 'input'));
        break;
      case 2:
        node.outputs.push(stringField(r, tag, 'output'));
        break;
      case 3:
        node.name = stringField(r, tag, 'name');
        break;
      case 4:
        node.opType = stringField(r, tag, 'op_type');
        break;
      case 5:
        r.expect(tag, Wire.LengthDelimited, 'attribute');
        node.attributes.push(readAttribute(r.messageField(`attribute[${node.attributes.length}]`), depth));
        break;
      case 6:
        node.docString = stringField(r, tag, 'doc_string');
        break;
      case 7:
        node.domain = stringField(r, tag, 'domain');
        break;
      default:
        r.skip(tag.wire, tag.field);
    }
  }
  if (node.opType === '') throw r.error('node has no op_type');
  return node;
}

function readAttribute(r: Reader, depth: number): AttributeProto {
  const a: AttributeProto = { name: '', type: 0 };
  while (!r.done) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        a.name = stringField(r, tag, 'name');
        break;
      case 2:
        r.expect(tag, Wire.Fixed32, 'f');
        a.f = r.float32('f');
        break;
      case 3:
        a.i = varintField(r, tag, 'i');
        break;
      case 4:
        a.s = stringField(r, tag, 's');
        break;
      case 5:
        r.expect(tag, Wire.LengthDelimited, 't');
        a.t = readTensor(r.messageField('t'));
        break;
      case 6:
        r.expect(tag, Wire.LengthDelimited, 'g');
        a.g = readGraph(r.messageField('g'), depth + 1);
        break;
      case 7:
        r.repeatedFloat(tag, 'floats', 4, (a.floats ??= []));
        break;
      case 8:
        r.repeatedVarint(tag, 'ints', (a.ints ??= []));
        break;
      case 9:
        (a.strings ??= []).push(stringField(r, tag, 'strings'));
        break;
      case 20:
        a.type = varintField(r, tag, 'type');
        break;
      default:
        r.skip(tag.wire, tag.field);
    }
  }
  if (a.name === '') throw r.error('attribute has no name');
  return a;
}

function readValueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = { name: '', type: null };
  while (!r.done) {
    const tag = r.tag();
    if (tag.field === 1) v.name = stringField(r, tag, 'name');
    else if (tag.field === 2) {
      r.expect(tag, Wire.LengthDelimited, 'type');
      v.type = readType(r.messageField('type'));
    } else if (tag.field === 3) v.docString = stringField(r, tag, 'doc_string');
    else r.skip(tag.wire, tag.field);
  }
  return v;
}

/** TypeProto: only tensor_type (field 1) is read; sequence/map/optional types leave `type` null. */
function readType(r: Reader): TypeProto | null {
  let type: TypeProto | null = null;
  while (!r.done) {
    const tag = r.tag();
    if (tag.field !== 1) {
      r.skip(tag.wire, tag.field);
      continue;
    }
    r.expect(tag, Wire.LengthDelimited, 'tensor_type');
    const t = r.messageField('tensor_type');
    type = { elemType: 0, shape: null };
    while (!t.done) {
      const inner = t.tag();
      if (inner.field === 1) type.elemType = varintField(t, inner, 'elem_type');
      else if (inner.field === 2) {
        t.expect(inner, Wire.LengthDelimited, 'shape');
        type.shape = readShape(t.messageField('shape'));
      } else t.skip(inner.wire, inner.field);
    }
  }
  return type;
}

function readShape(r: Reader): Dimension[] {
  const dims: Dimension[] = [];
  while (!r.done) {
    const tag = r.tag();
    if (tag.field !== 1) {
      r.skip(tag.wire, tag.field);
      continue;
    }
    r.expect(tag, Wire.LengthDelimited, 'dim');
    const d = r.messageField(`dim[${dims.length}]`);
    const dim: Dimension = {};
    while (!d.done) {
      const inner = d.tag();
      if (inner.field === 1) dim.value = varintField(d, inner, 'dim_value');
      else if (inner.field === 2) dim.param = stringField(d, inner, 'dim_param');
      else d.skip(inner.wire, inner.field);
    }
    dims.push(dim);
  }
  return dims;
}

/** The raw and typed data fields of a TensorProto as read, before they are checked against dims. */
interface TensorFields {
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array | null;
  floats: number[];
  ints: number[];
  int64s: number[];
  doubles: number[];
  external: boolean;
}

function readTensor(r: Reader): TensorProto {
  const f: TensorFields = {
    name: '',
    dataType: 0,
    dims: [],
    raw: null,
    floats: [],
    ints: [],
    int64s: [],
    doubles: [],
    external: false,
  };
  while (!r.done) {
    const tag = r.tag();
    switch (tag.field) {
      case 1:
        r.repeatedVarint(tag, 'dims', f.dims);
        break;
      case 2:
        f.dataType = varintField(r, tag, 'data_type');
        break;
      case 4:
        r.repeatedFloat(tag, 'float_data', 4, f.floats);
        break;
      case 5:
        r.repeatedVarint(tag, 'int32_data', f.ints);
        break;
      case 7:
        r.repeatedVarint(tag, 'int64_data', f.int64s);
        break;
      case 8:
        f.name = stringField(r, tag, 'name');
        break;
      case 9:
        r.expect(tag, Wire.LengthDelimited, 'raw_data');
        f.raw = r.bytesField('raw_data');
        break;
      case 10:
        r.repeatedFloat(tag, 'double_data', 8, f.doubles);
        break;
      case 14:
        f.external = varintField(r, tag, 'data_location') === 1;
        break;
      default:
        r.skip(tag.wire, tag.field);
    }
  }
  return tensorValues(r, f);
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k]));

/** Checks the data against the dims and only then allocates the values (at most the bytes read). */
function tensorValues(r: Reader, f: TensorFields): TensorProto {
  const what = f.name === '' ? 'tensor' : `tensor '${f.name}'`;
  if (f.external)
    throw r.error(
      `${what} keeps its data in an external file, which is not supported (save the model with its data inside)`,
    );
  const width = RAW_WIDTH[f.dataType];
  if (width === undefined)
    throw r.error(
      `${what} has data type ${TYPE_NAMES[f.dataType] ?? f.dataType}, which is not supported (FLOAT, DOUBLE, INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL are)`,
    );
  let count = 1;
  for (const d of f.dims) {
    if (d < 0) throw r.error(`${what} has a negative dimension in dims [${f.dims.join(', ')}]`);
    count *= d;
    // The data must be in this message, so a count beyond its bytes is corrupt whatever follows.
    if (count > r.bytes.length)
      throw r.error(
        `${what} has dims [${f.dims.join(', ')}], more elements than the input's ${r.bytes.length} bytes could hold`,
      );
  }
  const typed =
    f.dataType === DataType.FLOAT
      ? f.floats
      : f.dataType === DataType.DOUBLE
        ? f.doubles
        : f.dataType === DataType.INT64
          ? f.int64s
          : f.ints;
  if (f.raw !== null) {
    if (f.raw.length !== count * width)
      throw r.error(
        `${what}: raw_data holds ${f.raw.length} bytes but ${TYPE_NAMES[f.dataType]} [${f.dims.join(', ')}] needs ${count * width}`,
      );
    const values = allocate(f.dataType, count);
    readRaw(r, what, f.raw, f.dataType, values);
    return { name: f.name, dataType: f.dataType, dims: f.dims, values };
  }
  if (typed.length !== count)
    throw r.error(`${what}: holds ${typed.length} values but dims [${f.dims.join(', ')}] need ${count}`);
  const values = allocate(f.dataType, count);
  values.set(typed);
  return { name: f.name, dataType: f.dataType, dims: f.dims, values };
}

function allocate(dataType: number, count: number): Float32Array | Float64Array | Int32Array {
  if (dataType === DataType.FLOAT) return new Float32Array(count);
  if (dataType === DataType.DOUBLE || dataType === DataType.INT64) return new Float64Array(count);
  return new Int32Array(count);
}

function readRaw(
  r: Reader,
  what: string,
  raw: Uint8Array,
  dataType: number,
  out: Float32Array | Float64Array | Int32Array,
): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = out.length;
  switch (dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return;
    case DataType.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return;
    case DataType.INT64:
      for (let i = 0; i < n; i++) {
        const v = Number(view.getBigInt64(8 * i, true));
        if (!Number.isSafeInteger(v))
          throw r.error(`${what}: int64 value at ${i} is beyond 2^53 and cannot be represented exactly`);
        out[i] = v;
      }
      return;
    case DataType.INT32:
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return;
    case DataType.INT16:
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return;
    case DataType.UINT16:
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return;
    case DataType.INT8:
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return;
    default:
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
  }
}
