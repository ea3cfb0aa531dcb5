import { OnnxFormatError } from './errors.js';

/**
 * The protobuf wire format, the little of it ONNX needs: varints (int32/int64/enums/bools),
 * length-delimited fields (strings, bytes, sub-messages, packed arrays), fixed32 (float) and
 * fixed64 (double). Written by hand rather than through a protobuf library: ONNX uses eight
 * messages and a few dozen fields, a generated decoder would be larger than this file, and a
 * hand-written reader lets every length be checked against the bytes that remain, so a hostile
 * file can neither make us read past its end nor allocate more than it holds.
 */

/** The wire types ONNX uses (3 and 4, groups, are never used). */
export const Wire = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

const TWO_32 = 2 ** 32;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends protobuf fields to a growing buffer. @example new Writer().string(1, 'x').finish() */
export class Writer {
  private buffer = new Uint8Array(256);
  private length = 0;

  /** The bytes written so far (a copy of exactly that length). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  /** A raw varint of a non-negative or negative safe integer (negatives as 64-bit two's complement). */
  rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new OnnxFormatError(`protobuf: cannot encode ${value} as an integer`);
    if (value < 0) {
      // Ten bytes, as protobuf writes a negative int64/int32.
      let v = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++) {
        this.byte(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      this.byte(Number(v));
      return;
    }
    while (value >= 0x80) {
      this.byte((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.byte(value);
  }

  private tag(field: number, wire: Wire): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An int32/int64/enum/bool field. */
  int(field: number, value: number): this {
    this.tag(field, Wire.Varint);
    this.rawVarint(value);
    return this;
  }

  /** A float field (fixed32). */
  float(field: number, value: number): this {
    this.tag(field, Wire.Fixed32);
    this.reserve(4);
    new DataView(this.buffer.buffer).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, Wire.LengthDelimited);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** A sub-message field: `write` fills a fresh Writer whose bytes become the field. */
  message(field: number, write: (w: Writer) => void): this {
    const inner = new Writer();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated varint field (int64s). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new Writer();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }
}

/** A protobuf field's key: its number and wire type. */
export interface Tag {
  field: number;
  wire: number;
}

/**
 * Reads protobuf fields from `bytes[start, end)`. Every length is checked against the bytes left
 * in the enclosing message before anything is read or allocated; every failure is an
 * OnnxFormatError naming the source and the field path (`graph.node[3].attribute[0]`).
 */
export class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    readonly path: string,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An OnnxFormatError about `what` at this reader's path (or a field below it). */
  error(what: string, field?: string): OnnxFormatError {
    const at = field === undefined ? this.path : this.path === '' ? field : `${this.path}.${field}`;
    return new OnnxFormatError(`${this.source}: ${at === '' ? '' : `${at}: `}${what}`);
  }

  /**
   * A varint as a safe integer, read as a two's complement int64 (so negative int32/int64 values
   * come back negative). Longer than 10 bytes, truncated, or beyond ±(2^53 − 1) is an error.
   */
  varint(field?: string): number {
    let low = 0;
    let high = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.error('truncated varint (the message ends inside it)', field);
      const b = this.bytes[this.pos++];
      const bits = b & 0x7f;
      const shift = 7 * i;
      // Bits 0..31 go to `low`, 32..63 to `high`; the 5th byte straddles both.
      if (shift < 28) low += bits * 2 ** shift;
      else if (shift === 28) {
        low += (bits & 0x0f) * 2 ** 28;
        high += bits >> 4;
      } else high += bits * 2 ** (shift - 32);
      if ((b & 0x80) === 0) return this.combine(low, high % TWO_32, field);
    }
    throw this.error('varint longer than 10 bytes', field);
  }

  private combine(low: number, high: number, field?: string): number {
    const value = high >= 2 ** 31 ? (high - TWO_32) * TWO_32 + low : high * TWO_32 + low;
    if (!Number.isSafeInteger(value))
      throw this.error(
        `integer ${high >= 2 ** 31 ? '< -(2^53 - 1)' : '> 2^53 - 1'} is beyond what we can represent exactly`,
        field,
      );
    return value;
  }

  /** The next field's key; field 0 or a group wire type (3, 4) is an error. */
  tag(): Tag {
    const key = this.varint('field key');
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0 || key < 0) throw this.error(`invalid field key ${key} (field number 0)`);
    if (wire !== Wire.Varint && wire !== Wire.Fixed64 && wire !== Wire.LengthDelimited && wire !== Wire.Fixed32)
      throw this.error(`field ${field} has wire type ${wire}, which ONNX never uses (groups are not supported)`);
    return { field, wire };
  }

  /** The length of a length-delimited field, checked against the bytes left. */
  private lengthOf(field: string): number {
    const n = this.varint(field);
    const left = this.end - this.pos;
    if (n < 0) throw this.error(`negative length ${n}`, field);
    if (n > left) throw this.error(`length ${n} runs past the end of its message (${left} bytes left)`, field);
    return n;
  }

  /** A length-delimited field's bytes, as a view (no copy). */
  bytesField(field: string): Uint8Array {
    const n = this.lengthOf(field);
    const view = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return view;
  }

  /** A UTF-8 string field. */
  stringField(field: string): string {
    const view = this.bytesField(field);
    try {
      return utf8Decoder.decode(view);
    } catch {
      throw this.error('string is not valid UTF-8', field);
    }
  }

  /** A sub-message: a Reader over its bytes, at path `field`. */
  messageField(field: string): Reader {
    const n = this.lengthOf(field);
    const start = this.pos;
    this.pos += n;
    return new Reader(this.bytes, this.source, this.path === '' ? field : `${this.path}.${field}`, start, start + n);
  }

  float32(field: string): number {
    if (this.end - this.pos < 4) throw this.error('truncated float (needs 4 bytes)', field);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  float64(field: string): number {
    if (this.end - this.pos < 8) throw this.error('truncated double (needs 8 bytes)', field);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Skips a field we do not read, by its wire type (lengths checked like any other). */
  skip(wire: number, field: number): void {
    const name = `field ${field}`;
    if (wire === Wire.Varint) this.varint(name);
    else if (wire === Wire.Fixed64) this.advance(8, name);
    else if (wire === Wire.Fixed32) this.advance(4, name);
    else this.pos += this.lengthOf(name);
  }

  private advance(n: number, field: string): void {
    if (this.end - this.pos < n) throw this.error(`truncated (needs ${n} bytes)`, field);
    this.pos += n;
  }

  /** Throws unless a field has the wire type its schema gives it. */
  expect(tag: Tag, wire: Wire, field: string): void {
    if (tag.wire !== wire) throw this.error(`wire type ${tag.wire} where ${wire} was expected`, field);
  }

  /**
   * A repeated varint field, packed (one length-delimited run) or not (one value per key);
   * protobuf parsers must accept both. Values are appended to `out`.
   */
  repeatedVarint(tag: Tag, field: string, out: number[]): void {
    if (tag.wire === Wire.Varint) {
      out.push(this.varint(field));
      return;
    }
    this.expect(tag, Wire.LengthDelimited, field);
    const packed = this.messageField(field);
    while (!packed.done) out.push(packed.varint());
    this.pos = packed.end;
  }

  /** A repeated float or double field, packed or not (see repeatedVarint). */
  repeatedFloat(tag: Tag, field: string, width: 4 | 8, out: number[]): void {
    const wire = width === 4 ? Wire.Fixed32 : Wire.Fixed64;
    if (tag.wire === wire) {
      out.push(width === 4 ? this.float32(field) : this.float64(field));
      return;
    }
    this.expect(tag, Wire.LengthDelimited, field);
    const packed = this.messageField(field);
    if ((packed.end - packed.pos) % width !== 0)
      throw this.error(`packed run of ${packed.end - packed.pos} bytes is not a multiple of ${width}`, field);
    while (!packed.done) out.push(width === 4 ? packed.float32(field) : packed.float64(field));
    this.pos = packed.end;
  }
}
