/**
 * Fuzzing the safetensors reader with fast-check: valid files with bytes flipped, truncated at
 * every position, header lengths rewritten, header JSON mutated field by field and character by
 * character, and random garbage. The contract for every input:
 *
 * - decoding either returns tensors consistent with the header (names, shapes, dtypes, bytes)
 *   or throws a CheckpointError whose message starts with the source — never another error type;
 * - it never allocates more than the input could hold: every typed array and ArrayBuffer the
 *   decoder constructs is counted (by wrapping the global constructors during the call), and the
 *   total stays ≤ the input length (≤ 4× for the widening conversions U8 → int32 and friends);
 * - it never hangs (each decode is timed).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor, type DType } from '@nn/tensor';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsContents,
} from '../src/checkpoint/index.js';

const SOURCE = 'fuzz.safetensors';

// ---- allocation tracking ---------------------------------------------------------------------------

const TRACKED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

type Constructor = (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };

/**
 * Runs `f` with the global ArrayBuffer and typed-array constructors wrapped so that every
 * allocation the decoder makes is counted (views of an existing buffer allocate nothing).
 * Synchronous, so nothing else runs while the globals are wrapped.
 */
function trackAllocations<T>(f: () => T): { value?: T; error?: unknown; allocated: number; largest: number } {
  const globals = globalThis as unknown as Record<string, Constructor>;
  const originals = TRACKED.map((name) => [name, globals[name]] as const);
  let allocated = 0;
  let largest = 0;
  for (const [name, original] of originals) {
    globals[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        const width = target.BYTES_PER_ELEMENT ?? 1;
        const first = args[0];
        // new X(length) and new X(arrayLike) allocate; new X(buffer, offset, length) is a view.
        let bytes = 0;
        if (typeof first === 'number') bytes = first * width;
        else if (typeof first === 'object' && first !== null && 'length' in first) bytes = Number(first.length) * width;
        allocated += bytes;
        largest = Math.max(largest, bytes);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  try {
    return { value: f(), allocated, largest };
  } catch (error) {
    return { error, allocated, largest };
  } finally {
    for (const [name, original] of originals) globals[name] = original;
  }
}

// ---- the oracle ------------------------------------------------------------------------------------

const NATIVE: Record<string, [DType, number]> = {
  F32: ['float32', 4],
  F64: ['float64', 8],
  I32: ['int32', 4],
  BOOL: ['bool', 1],
};
const CONVERTED: Record<string, [DType, number]> = {
  F16: ['float32', 2],
  BF16: ['float32', 2],
  U8: ['int32', 1],
  I8: ['int32', 1],
  U16: ['int32', 2],
  I16: ['int32', 2],
  U32: ['int32', 4],
  I64: ['int32', 8],
  U64: ['int32', 8],
};

const stats = { decoded: 0, rejected: 0, inputs: 0, slowestMs: 0, messages: new Map<string, number>() };

/** Decodes `bytes` and checks the contract; returns whether it decoded. */
function check(bytes: Uint8Array): boolean {
  stats.inputs++;
  const started = performance.now();
  const { value, error, allocated } = trackAllocations(() => decodeSafetensors(bytes, { source: SOURCE }));
  stats.slowestMs = Math.max(stats.slowestMs, performance.now() - started);
  if (error !== undefined) {
    if (!(error instanceof CheckpointError))
      throw new Error(`decode threw ${String(error)} (not a CheckpointError) for ${describeInput(bytes)}`, {
        cause: error,
      });
    if (!error.message.startsWith(`${SOURCE}: `)) throw new Error(`message does not name the source: ${error.message}`);
    // Allocation before rejection is limited to checking int64 ranges of a fully validated header.
    if (allocated > 4 * bytes.length)
      throw new Error(`allocated ${allocated} bytes for a ${bytes.length}-byte input before rejecting it`);
    stats.rejected++;
    const kind = error.message
      .slice(SOURCE.length + 2)
      .replace(/'[^']*'|"[^"]*"|\d+/g, '_')
      .slice(0, 40);
    stats.messages.set(kind, (stats.messages.get(kind) ?? 0) + 1);
    return false;
  }
  checkConsistent(bytes, value!, allocated);
  stats.decoded++;
  return true;
}

/** The decoded tensors agree with an independent reading of the header, byte for byte. */
function checkConsistent(bytes: Uint8Array, out: SafetensorsContents, allocated: number): void {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + n;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const fail = (message: string): never => {
    throw new Error(`${message} for ${describeInput(bytes)}`);
  };
  if (Object.keys(out.tensors).join('\u0000') !== names.join('\u0000'))
    fail(`names ${Object.keys(out.tensors)} differ from the header's ${names}`);
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  if (JSON.stringify(out.metadata) !== JSON.stringify(metadata)) fail('metadata differs');
  let covered = 0;
  let allNative = true;
  for (const name of names) {
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = header[name];
    const t = Object.getOwnPropertyDescriptor(out.tensors, name)!.value as Tensor;
    const [expectedDType, itemsize] = NATIVE[dtype] ?? CONVERTED[dtype] ?? fail(`decoded a tensor of dtype ${dtype}`);
    allNative &&= dtype in NATIVE;
    if (t.dtype !== expectedDType) fail(`tensor ${name} has dtype ${t.dtype}, expected ${expectedDType}`);
    if (t.shape.join() !== shape.join() || t.shape.length !== shape.length)
      fail(`tensor ${name} has shape ${t.shape}, header says ${shape}`);
    if (end - begin !== t.size * itemsize || dataStart + end > bytes.length)
      fail(`tensor ${name} does not match its offsets`);
    covered += end - begin;
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    if (dtype === 'BOOL') {
      t.data.forEach((v, i) => v !== (raw[i] !== 0 ? 1 : 0) && fail(`bool ${name}[${i}]`));
    } else if (dtype in NATIVE) {
      const own = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (Buffer.compare(own, raw) !== 0) fail(`bytes of ${name} differ from the file`);
    }
  }
  if (covered !== bytes.length - dataStart) fail(`tensors cover ${covered} of ${bytes.length - dataStart} data bytes`);
  if (allocated > (allNative ? 1 : 4) * bytes.length)
    fail(`allocated ${allocated} bytes for a ${bytes.length}-byte input`);
}

function describeInput(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  return `a ${bytes.length}-byte input starting ${JSON.stringify(head)}`;
}

// ---- generators ------------------------------------------------------------------------------------

const dtypes: DType[] = ['float32', 'float64', 'int32', 'bool'];
const itemsizes: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

const arbitraryTensor = fc
  .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) })
  .chain(({ dtype, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.uint8Array({ minLength: size * itemsizes[dtype], maxLength: size * itemsizes[dtype] }).map((raw) => {
      const buffer = raw.slice().buffer;
      const data =
        dtype === 'float32'
          ? new Float32Array(buffer)
          : dtype === 'float64'
            ? new Float64Array(buffer)
            : dtype === 'int32'
              ? new Int32Array(buffer)
              : new Uint8Array(buffer).map((b) => b & 1);
      return new Tensor(data, shape);
    });
  });

const arbitraryName = fc.oneof(
  fc.constantFrom('W1', 'b1', 'layer.0.W', 'a"b', 'x\\y', '', '__proto__', 'größe'),
  fc.string({ maxLength: 4 }),
);

/** Valid files: a few tensors and maybe metadata, as the writer lays them out. */
const validFile = fc
  .tuple(
    fc.dictionary(
      arbitraryName.filter((s) => s !== '__metadata__'),
      arbitraryTensor,
      { minKeys: 0, maxKeys: 4 },
    ),
    fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }), {
      nil: undefined,
    }),
  )
  .map(([tensors, metadata]) => encodeSafetensors(tensors, metadata));

/** Rebuilds a file around header text, with a correct length prefix and the given data section. */
function rebuild(text: string, data: Uint8Array, pad: boolean): Uint8Array {
  let json = new TextEncoder().encode(text);
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(json.length + 8 - (json.length % 8)).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function split(file: Uint8Array): { text: string; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  return { text: new TextDecoder().decode(file.subarray(8, 8 + n)).trimEnd(), data: file.subarray(8 + n) };
}

/** Raw byte mutations anywhere: the length field, the header, the data. */
const byteFlips = fc
  .tuple(
    validFile,
    fc.array(
      fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 255 })),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([file, flips]) => {
    const out = file.slice();
    for (const [where, value] of flips) out[Math.floor(where * out.length)] = value;
    return out;
  });

const truncations = fc
  .tuple(validFile, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
  .map(([file, where]) => file.slice(0, Math.floor(where * file.length)));

const extensions = fc.tuple(validFile, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([file, extra]) => {
  const out = new Uint8Array(file.length + extra.length);
  out.set(file);
  out.set(extra, file.length);
  return out;
});

/** The header length rewritten: near the truth, near the file size, tiny, at the cap, enormous. */
const headerLengths = fc
  .tuple(
    validFile,
    fc.oneof(
      fc.integer({ min: -16, max: 16 }).map((d) => ({ relative: d })),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ absolute: v })),
      fc
        .constantFrom(0n, 1n, 2n, 99_999_999n, 100_000_000n, 100_000_001n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n)
        .map((v) => ({ absolute: v })),
    ),
  )
  .map(([file, change]) => {
    const out = file.slice();
    const view = new DataView(out.buffer);
    const current = view.getBigUint64(0, true);
    const next = 'absolute' in change ? change.absolute : current + BigInt(change.relative);
    view.setBigUint64(0, next < 0n ? 0n : next, true);
    return out;
  });

const jsonValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -0,
    -1,
    1.5,
    2 ** 31,
    2 ** 32,
    2 ** 40,
    2 ** 50,
    2 ** 53,
    2 ** 53 + 2,
    1e308,
    -1e-300,
    '',
    '4',
    'F32',
    [],
    {},
    [0],
    [0, 0],
    [[1]],
    { a: 1 },
  ),
  fc.integer({ min: -4, max: 64 }),
  fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 4 }),
  fc.string({ maxLength: 4 }),
);
const dtypeValue = fc.oneof(
  fc.constantFrom<unknown>(
    'F32',
    'F64',
    'I32',
    'BOOL',
    'F16',
    'BF16',
    'U8',
    'I8',
    'U16',
    'I16',
    'U32',
    'I64',
    'U64',
    'F8_E4M3',
    'F8_E5M2',
    'C64',
    'f32',
    'F33',
    'toString',
    '__proto__',
    '',
  ),
  jsonValue,
);
const shapeValue = fc.oneof(
  fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 8 }),
      fc.constantFrom(-1, 0, 1.5, 2 ** 20, 2 ** 26, 2 ** 40, 2 ** 53, 2 ** 60, 1e300),
    ),
    { maxLength: 4 },
  ),
  jsonValue,
);
const offsetsValue = fc.oneof(
  fc.tuple(fc.integer({ min: -2, max: 80 }), fc.integer({ min: -2, max: 80 })),
  fc.tuple(
    fc.constantFrom(0, 2 ** 50, 2 ** 53, 2 ** 53 + 2, 1e300, 0.5),
    fc.constantFrom(0, 4, 2 ** 50, 2 ** 53, 1e300, 2.5),
  ),
  jsonValue,
);

type Header = Record<string, unknown>;
interface Edit {
  kind: string;
  which: number;
  dtype: unknown;
  shape: unknown;
  offsets: unknown;
  delta: number;
  value: unknown;
  name: string;
  bigShape: number[];
}
/** One structural edit of the parsed header, chosen by `kind` and applied to entry `which`. */
const jsonEdit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom(
    'dtype',
    'sameSizeDtype',
    'shape',
    'bigShape',
    'offsets',
    'shift',
    'move',
    'copyOffsets',
    'delete',
    'add',
    'rename',
    'duplicate',
    'duplicateField',
    'metadata',
    'entry',
    'swap',
  ),
  which: fc.nat(),
  dtype: dtypeValue,
  shape: shapeValue,
  offsets: offsetsValue,
  delta: fc.integer({ min: -9, max: 9 }),
  value: jsonValue,
  name: fc.oneof(arbitraryName, fc.constant('__metadata__')),
  bigShape: fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 62 }).map((k) => 2 ** k),
      fc.integer({ min: 0, max: 5 }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

/** Dtypes with the same item size, so a swap keeps the offsets consistent and reaches the converters. */
const SAME_SIZE: string[][] = [
  ['BOOL', 'U8', 'I8'],
  ['F16', 'BF16', 'U16', 'I16'],
  ['F32', 'I32', 'U32'],
  ['F64', 'I64', 'U64'],
];

function applyEdit(header: Header, edit: Edit): string {
  const names = Object.keys(header);
  const target = names.length ? names[edit.which % names.length] : undefined;
  const entry =
    target !== undefined && typeof header[target] === 'object' && header[target] !== null
      ? (header[target] as Record<string, unknown>)
      : undefined;
  switch (edit.kind) {
    case 'dtype':
      if (entry) entry.dtype = edit.dtype;
      break;
    case 'sameSizeDtype': {
      const group = SAME_SIZE.find((g) => g.includes(String(entry?.dtype)));
      if (entry && group) entry.dtype = group[edit.which % group.length];
      break;
    }
    case 'shape':
      if (entry) entry.shape = edit.shape;
      break;
    case 'bigShape':
      if (entry) entry.shape = edit.bigShape;
      break;
    case 'move':
      if (entry && Array.isArray(entry.data_offsets))
        entry.data_offsets = (entry.data_offsets as number[]).map((o) => o + edit.delta);
      break;
    case 'copyOffsets': {
      const other = names
        .map((k) => header[k] as Record<string, unknown>)
        .find((e, i) => i !== edit.which % names.length && e && typeof e === 'object' && 'data_offsets' in e);
      if (entry && other) entry.data_offsets = other.data_offsets;
      break;
    }
    case 'duplicateField': {
      const text = JSON.stringify(header);
      const field = ['"dtype":', '"shape":', '"data_offsets":', '"__metadata__":{'][edit.which % 4];
      const at = text.indexOf(field);
      if (at < 0) return text;
      const copy = field.endsWith('{') ? `${field}"k":"v","k":"w"` : `${field}${JSON.stringify(edit.value)},${field}`;
      return field.endsWith('{')
        ? text.slice(0, at) + copy + (text[at + field.length] === '}' ? '' : ',') + text.slice(at + field.length)
        : text.slice(0, at) + copy + text.slice(at + field.length);
    }
    case 'offsets':
      if (entry) entry.data_offsets = edit.offsets;
      break;
    case 'shift':
      if (entry && Array.isArray(entry.data_offsets))
        entry.data_offsets = (entry.data_offsets as number[]).map((o, i) =>
          i === edit.which % 2 ? o + edit.delta : o,
        );
      break;
    case 'delete':
      if (entry) delete entry[['dtype', 'shape', 'data_offsets'][edit.which % 3]];
      else if (target !== undefined) delete header[target];
      break;
    case 'add':
      if (entry) entry[edit.name] = edit.value;
      break;
    case 'rename':
      if (target !== undefined) {
        const value = header[target];
        delete header[target];
        header[edit.name] = value;
      }
      break;
    case 'duplicate': {
      // JSON.stringify cannot write a key twice; splice a copy of an entry into the text instead.
      const text = JSON.stringify(header);
      if (target === undefined) return text;
      return `{${JSON.stringify(target)}:${JSON.stringify(header[target])},${text.slice(1)}`;
    }
    case 'metadata':
      header.__metadata__ = edit.which % 2 ? edit.value : { k: edit.value };
      break;
    case 'entry':
      if (target !== undefined) header[target] = edit.value;
      break;
    case 'swap':
      if (entry && Array.isArray(entry.data_offsets))
        entry.data_offsets = [...(entry.data_offsets as number[])].reverse();
      break;
  }
  return JSON.stringify(header);
}

/** Field-level edits of the JSON header, re-serialized with a correct length (so they reach the deep checks). */
const jsonMutations = fc
  .tuple(
    validFile,
    fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    fc.boolean(),
    fc.constantFrom(0, 0, 0, 0, 0, 0, -1, -4, 1, 4, 8),
  )
  .map(([file, edits, pad, dataDelta]) => {
    const { text, data } = split(file);
    let current = text;
    for (const edit of edits) {
      const header = JSON.parse(current) as Header;
      current = applyEdit(header, edit);
    }
    const section =
      dataDelta >= 0
        ? new Uint8Array([...data, ...new Uint8Array(dataDelta)])
        : data.subarray(0, Math.max(0, data.length + dataDelta));
    return rebuild(current, section, pad);
  });

/** Character-level edits of the header text: JSON punctuation, digits, escapes, quotes, non-ASCII. */
const textMutations = fc
  .tuple(
    validFile,
    fc.array(
      fc.tuple(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.oneof(
          fc.constantFrom(
            '{',
            '}',
            '[',
            ']',
            '"',
            ':',
            ',',
            '\\',
            '\\u',
            '\\ud800',
            '\\u0041',
            '0',
            '9',
            '-',
            'e',
            '.',
            ' ',
            '\n',
            'null',
            '\uFEFF',
            '\u00e9',
            '\uD800',
          ),
          fc.string({ maxLength: 2 }),
        ),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([file, edits, fixLength]) => {
    const { text, data } = split(file);
    let current = text;
    for (const [where, op, chunk] of edits) {
      const i = Math.floor(where * (current.length + 1));
      current =
        op === 'insert'
          ? current.slice(0, i) + chunk + current.slice(i)
          : op === 'delete'
            ? current.slice(0, i) + current.slice(i + 1)
            : current.slice(0, i) + chunk + current.slice(i + 1);
    }
    if (fixLength) return rebuild(current, data, true);
    const out = rebuild(current, data, true);
    out.set(file.subarray(0, 8)); // keep the old length: header and data boundaries now disagree
    return out;
  });

/** Random bytes, and random bytes behind a plausible header length. */
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.tuple(fc.integer({ min: 0, max: 80 }), fc.uint8Array({ maxLength: 96 })).map(([n, rest]) => {
    const out = new Uint8Array(8 + rest.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
    out.set(rest, 8);
    if (rest.length > 0) out[8] = 0x7b; // '{', to get past the first check more often
    return out;
  }),
  fc
    .tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.string({
        unit: fc.constantFrom('{', '}', '"', ':', ',', '[', ']', '0', '1', 'a', 'F', '3', '2'),
        maxLength: 40,
      }),
    )
    .map(([extra, text]) => rebuild(`{${text}`, new Uint8Array(extra), true)),
);

// ---- properties ------------------------------------------------------------------------------------

describe('fuzzing decodeSafetensors', () => {
  const runs = {
    byteFlips: 5000,
    truncations: 2000,
    extensions: 600,
    headerLengths: 2400,
    jsonMutations: 7000,
    textMutations: 4000,
    garbage: 3000,
    valid: 1000,
  };

  it('allocation tracking sees the decoder allocate (sanity check of the harness)', () => {
    const file = encodeSafetensors({ x: new Tensor(new Float32Array(1000), [1000]) });
    const { value, allocated, largest } = trackAllocations(() => decodeSafetensors(file));
    expect(value?.tensors.x.size).toBe(1000);
    expect(largest).toBe(4000);
    expect(allocated).toBeGreaterThanOrEqual(4000);
    expect(allocated).toBeLessThanOrEqual(file.length);
  });

  it('a header claiming a 2^50-byte tensor, or a [2^40, 2^40] shape, is rejected without allocating', () => {
    const claims = [
      rebuild(
        JSON.stringify({ big: { dtype: 'F32', shape: [2 ** 48], data_offsets: [0, 2 ** 50] } }),
        new Uint8Array(16),
        true,
      ),
      rebuild(
        JSON.stringify({ big: { dtype: 'F32', shape: [2 ** 48], data_offsets: [0, 16] } }),
        new Uint8Array(16),
        true,
      ),
      rebuild(
        JSON.stringify({ big: { dtype: 'U8', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 0] } }),
        new Uint8Array(0),
        true,
      ),
      rebuild(
        JSON.stringify({ big: { dtype: 'F64', shape: [2 ** 20, 2 ** 20, 2 ** 20], data_offsets: [0, 8] } }),
        new Uint8Array(8),
        true,
      ),
    ];
    for (const file of claims) {
      const { error, allocated } = trackAllocations(() => decodeSafetensors(file, { source: SOURCE }));
      expect(error).toBeInstanceOf(CheckpointError);
      expect(allocated).toBe(0);
    }
    // A 2^50-byte header length is refused from the 8-byte prefix alone.
    const prefix = new Uint8Array(16);
    new DataView(prefix.buffer).setBigUint64(0, 2n ** 50n, true);
    expect(trackAllocations(() => decodeSafetensors(prefix)).allocated).toBe(0);
  });

  it('every truncation of a valid file is rejected, at every position (length field, header, padding, data)', () => {
    const file = encodeSafetensors(
      {
        W: new Tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]),
        b: new Tensor(new Float32Array([0.5, -0.5]), [2]),
        n: new Tensor(new Int32Array([7]), []),
        mask: new Tensor(new Uint8Array([1, 0, 1]), [3]),
      },
      { epoch: '3' },
    );
    for (let k = 0; k < file.length; k++) expect(check(file.subarray(0, k)), `truncated to ${k} bytes`).toBe(false);
    expect(check(file)).toBe(true);
  });

  const property = (name: keyof typeof runs, arbitrary: fc.Arbitrary<Uint8Array>) =>
    it(`${name}: decodes consistently or throws CheckpointError (${runs[name]} inputs)`, () => {
      fc.assert(
        fc.property(arbitrary, (bytes) => {
          const decoded = check(bytes);
          if (name === 'valid' && !decoded) throw new Error('a file written by encodeSafetensors failed to decode');
        }),
        { numRuns: runs[name] },
      );
    });

  property('valid', validFile);
  property('byteFlips', byteFlips);
  property('truncations', truncations);
  property('extensions', extensions);
  property('headerLengths', headerLengths);
  property('jsonMutations', jsonMutations);
  property('textMutations', textMutations);
  property('garbage', garbage);

  it('ran at least 25,000 inputs, reached both outcomes and many distinct errors, none slow', () => {
    expect(stats.inputs).toBeGreaterThanOrEqual(25_000);
    expect(stats.decoded).toBeGreaterThan(1_000);
    expect(stats.rejected).toBeGreaterThan(10_000);
    expect(stats.messages.size).toBeGreaterThan(25);
    expect(stats.slowestMs).toBeLessThan(1000);
    if (process.env.NN_FUZZ_STATS) {
      console.log(
        stats.inputs,
        'inputs:',
        stats.decoded,
        'decoded,',
        stats.rejected,
        'rejected; slowest',
        stats.slowestMs.toFixed(1),
        'ms',
      );
      console.log(
        [...stats.messages]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${String(n).padStart(6)}  ${k}`)
          .join('\n'),
      );
    }
  });
});
