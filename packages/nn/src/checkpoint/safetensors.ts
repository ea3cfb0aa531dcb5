/**
 * The safetensors format, in memory (no file system here, so this part also runs in a browser).
 *
 * Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON, padded with
 * spaces to a multiple of 8; then the data section, each tensor's elements row-major and
 * little-endian. The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }`
 * (offsets relative to the data section) and may hold `"__metadata__"`, a map of strings.
 * Nothing in a file is ever executed: unlike pickle, loading a checkpoint is safe.
 *
 * Reading validates the whole header before allocating any tensor, so a hostile or damaged file
 * costs at most the header's JSON parse and can never make us allocate more than it is long.
 */
import { Tensor, formatShape, type DType } from '@nn/tensor';
import { CheckpointError } from './errors.js';
import {
  FILE_DTYPES,
  UNSUPPORTED_FILE_DTYPES,
  WRITE_DTYPES,
  WRITE_ORDER,
  copyLittleEndian,
  readStorage,
  type FileDType,
} from './dtypes.js';

/**
 * What a safetensors file holds: named tensors and string metadata.
 * @example const { tensors, metadata }: SafetensorsContents = await load('w.safetensors');
 */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * Options of `decodeSafetensors`.
 * @example decodeSafetensors(bytes, { source: 'downloads/model.safetensors' });
 */
export interface DecodeOptions {
  /** Names the bytes in error messages, usually the file path. Default `'decodeSafetensors'`. */
  source?: string;
}

/**
 * The largest header we read, as the reference implementation (100 MB); a longer one is refused
 * before it is read.
 * @example MAX_HEADER_BYTES; // 100_000_000
 */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The most tensors one file may list. Real checkpoints hold thousands (a 70B-parameter model
 * sharded into files holds under 1,000 per file); a header of a million empty entries would
 * otherwise cost seconds and gigabytes to turn into Tensor objects.
 * @example MAX_HEADER_ENTRIES; // 100_000
 */
export const MAX_HEADER_ENTRIES = 100_000;

const METADATA_KEY = '__metadata__';
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'] as const;
const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error rather than U+FFFD; ignoreBOM: a BOM stays in the text and
// fails the "starts with {" check instead of being silently dropped.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---- writing ---------------------------------------------------------------------------------

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes, laid out as the
 * reference implementation does: tensors sorted by dtype (float64, float32, int32, bool) then by
 * name, so each starts aligned to its item size; header padded with spaces to 8 bytes.
 * Non-contiguous tensors (transposes, slices, broadcasts) are written contiguously.
 *
 * @example
 * const bytes = encodeSafetensors({ W: randn([2, 3]), step: tensor(7, { dtype: 'int32' }) }, { epoch: '3' });
 * decodeSafetensors(bytes).tensors.W.shape; // [2, 3]
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'encodeSafetensors';
  if (typeof tensors !== 'object' || tensors === null)
    throw new CheckpointError(`${op}: tensors must be an object of named Tensors, got ${preview(tensors)}`);
  const metadataEntries = Object.entries(metadata ?? {});
  for (const [key, value] of metadataEntries) {
    checkWellFormed(op, `metadata key ${quote(key)}`, key);
    if (typeof value !== 'string')
      throw new CheckpointError(`${op}: metadata value for key ${quote(key)} must be a string, got ${preview(value)}`);
    checkWellFormed(op, `metadata value for key ${quote(key)}`, value);
  }
  const entries = Object.entries(tensors).map(([name, t]) => {
    if (!(t instanceof Tensor))
      throw new CheckpointError(`${op}: value for ${quote(name)} must be a Tensor, got ${preview(t)}`);
    if (name === METADATA_KEY)
      throw new CheckpointError(`${op}: ${quote(name)} is reserved for metadata and cannot name a tensor`);
    checkWellFormed(op, `tensor name ${quote(name)}`, name);
    const itemsize = t.data.BYTES_PER_ELEMENT;
    return { name, tensor: t, itemsize, nbytes: t.size * itemsize };
  });
  entries.sort(
    (a, b) => WRITE_ORDER[b.tensor.dtype] - WRITE_ORDER[a.tensor.dtype] || compareCodePoints(a.name, b.name),
  );

  const parts: string[] = [];
  if (metadataEntries.length > 0)
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(Object.fromEntries(metadataEntries))}`);
  let offset = 0;
  for (const e of entries) {
    const info = `{"dtype":"${WRITE_DTYPES[e.tensor.dtype]}","shape":[${e.tensor.shape.join(',')}],"data_offsets":[${offset},${offset + e.nbytes}]}`;
    parts.push(`${JSON.stringify(e.name)}:${info}`);
    offset += e.nbytes;
  }
  const json = utf8Encoder.encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const dataStart = 8 + headerLength;
  const out = new Uint8Array(dataStart + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, dataStart); // spaces, as the reference implementation pads

  let position = dataStart;
  for (const e of entries) {
    const c = e.tensor.contiguous();
    const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset + c.offset * e.itemsize, e.nbytes);
    const target = out.subarray(position, position + e.nbytes);
    if (c.dtype === 'bool') {
      // Storage of a bool tensor should hold 0/1 already; write canonical bytes regardless.
      for (let i = 0; i < bytes.length; i++) target[i] = bytes[i] !== 0 ? 1 : 0;
    } else {
      copyLittleEndian(bytes, target, e.itemsize);
    }
    position += e.nbytes;
  }
  return out;
}

// ---- reading ---------------------------------------------------------------------------------

/** One tensor of a validated header. */
export interface HeaderEntry {
  name: string;
  fileDType: FileDType;
  dtype: DType;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

/** A header that has passed every check: reading its tensors cannot fail for lack of bytes. */
export interface ValidatedHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Where the data section starts in the input (8 + header length). */
  dataStart: number;
  dataSize: number;
}

/**
 * Parses safetensors bytes into tensors and metadata. Every check runs before any tensor is
 * allocated; each failure is a CheckpointError whose message starts with `source`. Tensors come
 * back in header order (a JS object lists integer-like names first), each owning a fresh copy of
 * its data (never a view of `bytes`).
 * Besides F32, F64, I32 and BOOL it reads F16/BF16 (as float32), and U8/I8/U16/I16/U32/I64/U64
 * (as int32; values outside int32 are an error).
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes, { source: 'model.safetensors' });
 * tensors.W1.dtype; // 'float32'
 */
export function decodeSafetensors(bytes: Uint8Array, options: DecodeOptions = {}): SafetensorsContents {
  const source = options.source ?? 'decodeSafetensors';
  const header = readHeader(bytes, source);
  const tensors = header.entries.map(({ name, fileDType, shape, begin }): [string, Tensor] => {
    const count = shapeProduct(shape);
    const storage = readStorage(
      bytes,
      header.dataStart + begin,
      count,
      fileDType,
      () => `${source}: tensor ${quote(name)}`,
    );
    return [name, new Tensor(storage, shape)];
  });
  // fromEntries defines own properties, so a tensor named "__proto__" is just a key.
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}

/**
 * Validates the header of safetensors `bytes` without reading any tensor data: header length
 * bounds, UTF-8, JSON, duplicate keys, every entry's dtype, shape and data_offsets (in safe
 * integers), and that the tensors tile the data section exactly, with no overlap and no gap.
 */
export function readHeader(bytes: Uint8Array, source: string): ValidatedHeader {
  const fail: Fail = (message) => {
    throw new CheckpointError(`${source}: ${message}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array of file bytes, got ${preview(bytes)}`);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const claimed = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (claimed < 2n) fail(`header length ${claimed} is too small: the shortest header, "{}", is 2 bytes`);
  if (claimed > BigInt(MAX_HEADER_BYTES)) fail(`header length ${claimed} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(claimed);
  if (headerLength > bytes.length - 8) {
    fail(
      `header length ${headerLength} runs past the end of the file (${bytes.length} bytes leave at most ${bytes.length - 8} for the header)`,
    );
  }
  const dataStart = 8 + headerLength;
  const dataSize = bytes.length - dataStart;

  let text = '';
  try {
    text = utf8Decoder.decode(bytes.subarray(8, dataStart));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`header must start with '{', found ${preview(text.slice(0, 1))}`);
  // JSON.parse of a 100 MB header of 1.7 million tiny entries takes seconds; each entry is an
  // object, so counting braces outside strings first bounds that cost (root and metadata are two).
  const objects = countObjects(text);
  if (objects > MAX_HEADER_ENTRIES + 2) {
    fail(`header holds ${objects} JSON objects, more than the limit of ${MAX_HEADER_ENTRIES} tensors per file`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(parsed)) fail(`header must be a JSON object, got ${preview(parsed)}`);
  const root = parsed as Record<string, unknown>;
  const names = Object.keys(root);
  const tensorCount = names.length - (Object.hasOwn(root, METADATA_KEY) ? 1 : 0);
  if (tensorCount > MAX_HEADER_ENTRIES) {
    fail(`header lists ${tensorCount} tensors, more than the limit of ${MAX_HEADER_ENTRIES} per file`);
  }

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const name of names) {
    const value = root[name];
    if (name === METADATA_KEY) {
      metadata = checkMetadata(value, fail);
      continue;
    }
    if (hasLoneSurrogate(name)) fail(`tensor name ${quote(name)} is not valid Unicode (it has a lone surrogate)`);
    entries.push(checkEntry(name, value, dataSize, fail));
  }
  // JSON.parse keeps the last of duplicate keys; a file that says two things about one tensor is
  // ambiguous (other readers may keep the first), so it is rejected. Checked after the structure,
  // which bounds the nesting this scan has to follow.
  checkDuplicateKeys(text, fail);
  checkCoverage(entries, dataSize, fail);
  return { entries, metadata, dataStart, dataSize };
}

type Fail = (message: string) => never;

function checkMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (!isPlainObject(value)) fail(`${METADATA_KEY} must be an object of strings, got ${preview(value)}`);
  const metadata = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`${METADATA_KEY} value for key ${quote(key)} must be a string, got ${preview(v)}`);
    if (hasLoneSurrogate(key) || hasLoneSurrogate(v as string))
      fail(`${METADATA_KEY} entry ${quote(key)} is not valid Unicode (it has a lone surrogate)`);
  }
  return metadata as Record<string, string>;
}

function checkEntry(name: string, value: unknown, dataSize: number, fail: Fail): HeaderEntry {
  const where = `tensor ${quote(name)}`;
  if (!isPlainObject(value))
    fail(`${where}: expected an object with dtype, shape and data_offsets, got ${preview(value)}`);
  const info = value as Record<string, unknown>;
  for (const field of ENTRY_FIELDS) if (!Object.hasOwn(info, field)) fail(`${where}: missing field '${field}'`);
  for (const field of Object.keys(info)) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(field))
      fail(`${where}: unexpected field ${quote(field)} (expected dtype, shape, data_offsets)`);
  }

  const fileDType = info.dtype;
  if (typeof fileDType !== 'string' || !FILE_DTYPES.has(fileDType)) {
    const known = [...FILE_DTYPES.keys()].join(', ');
    if (typeof fileDType === 'string' && UNSUPPORTED_FILE_DTYPES.has(fileDType)) {
      fail(`${where}: dtype ${fileDType} is not supported (readable dtypes: ${known})`);
    }
    fail(`${where}: unknown dtype ${preview(fileDType)} (readable dtypes: ${known})`);
  }
  const { itemsize, dtype } = FILE_DTYPES.get(fileDType as string)!;

  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${where}: shape must be an array of non-negative integers, got ${preview(shape)}`);
  }
  const dims = (shape as number[]).map((d) => d + 0); // + 0 turns a JSON -0 into 0
  // Element and byte counts in safe integers: [2^40, 2^40] must not round into agreement with
  // some offsets; a product past 2^53 cannot match any real file.
  const count = shapeProduct(dims);
  const nbytes = count * itemsize;
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(nbytes)) {
    fail(`${where}: shape ${formatShape(dims)} of ${fileDType} holds more than 2^53 bytes`);
  }

  const offsets = info.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${where}: data_offsets must be two non-negative integers [begin, end], got ${preview(offsets)}`);
  }
  const [begin, end] = (offsets as number[]).map((o) => o + 0);
  const range = `data_offsets [${begin}, ${end}]`;
  if (begin > end) fail(`${where}: ${range} end before they begin`);
  if (end > dataSize) fail(`${where}: ${range} run past the end of the data section (${dataSize} bytes)`);
  if (end - begin !== nbytes) {
    const typeName = WRITE_DTYPES[dtype] === fileDType ? dtype : fileDType;
    fail(`${where}: ${range} hold ${end - begin} bytes but ${typeName} ${formatShape(dims)} needs ${nbytes}`);
  }
  return { name, fileDType: fileDType as FileDType, dtype, shape: dims, begin, end };
}

/** The tensors must tile the data section: sorted by offset, each begins where the last ended. */
function checkCoverage(entries: readonly HeaderEntry[], dataSize: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.begin < covered && previous) {
      fail(
        `tensors ${quote(previous.name)} [${previous.begin}, ${previous.end}] and ${quote(e.name)} [${e.begin}, ${e.end}] overlap`,
      );
    }
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data section belong to no tensor`);
    covered = e.end;
    if (e.end > e.begin) previous = e;
  }
  if (covered < dataSize) fail(`bytes [${covered}, ${dataSize}) at the end of the data section belong to no tensor`);
}

/**
 * Finds a key that appears twice in one JSON object. `text` is known to be valid JSON, so the
 * scan only needs strings and brackets; the stack is explicit (no recursion).
 */
function checkDuplicateKeys(text: string, fail: Fail): void {
  const stack: { keys: Set<string> | null; expectKey: boolean; path: string }[] = [];
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x7b /* { */) {
      const path =
        stack.length === 0
          ? 'header'
          : stack.length === 1
            ? lastKey === METADATA_KEY
              ? METADATA_KEY
              : `tensor ${quote(lastKey)}`
            : `${top.path}.${lastKey}`;
      stack.push({ keys: new Set(), expectKey: true, path });
    } else if (c === 0x5b /* [ */) {
      stack.push({ keys: null, expectKey: false, path: '' });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      if (top.keys) top.expectKey = true;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      if (top?.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) {
          fail(
            stack.length === 1
              ? `header has the key ${quote(key)} twice`
              : `${top.path} has the key ${quote(key)} twice`,
          );
        }
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = j;
    }
  }
}

// ---- helpers -------------------------------------------------------------------------------------

/** The number of `{` outside JSON strings (a string's escaped quote does not end it). */
function countObjects(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) count++;
    else if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    }
  }
  return count;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Product of dimensions; 0 as soon as any is 0, so (2^40, 2^40, 0) is an empty tensor, not an overflow. */
export function shapeProduct(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let product = 1;
  for (const d of shape) product *= d;
  return product;
}

/** UTF-16 strings compared by code point, which is the byte order of their UTF-8 (Rust's String order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! - b.codePointAt(i)!;
  }
  return a.length - b.length;
}

function hasLoneSurrogate(s: string): boolean {
  return /\p{Surrogate}/u.test(s);
}

function checkWellFormed(op: string, what: string, s: string): void {
  if (hasLoneSurrogate(s))
    throw new CheckpointError(
      `${op}: ${what} is not valid Unicode (it has a lone surrogate, which UTF-8 cannot encode)`,
    );
}

const MAX_PREVIEW = 60;

/** A tensor or key name for a message: quoted, control characters escaped, long names cut. */
function quote(name: string): string {
  const escaped = JSON.stringify(name.length > MAX_PREVIEW ? `${name.slice(0, MAX_PREVIEW)}…` : name).slice(1, -1);
  return `'${escaped}'`;
}

/** A short description of a JSON value for messages; never serializes more than a few items. */
function preview(value: unknown, depth = 0): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > MAX_PREVIEW ? `${value.slice(0, MAX_PREVIEW)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) {
    if (depth > 0) return '[…]';
    const items = value.slice(0, 8).map((v) => preview(v, depth + 1));
    return `[${items.join(', ')}${value.length > 8 ? `, … (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === 'object')
    return value.constructor && value.constructor !== Object ? value.constructor.name : '{…}';
  return typeof value;
}
