/**
 * Seedable pseudo-random numbers with a fully specified algorithm, so a seed gives the same
 * stream on every machine, engine and version of this library.
 *
 * @module
 */
import { ValueError } from '../errors.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;
const UINT64_MASK = (1n << 64n) - 1n;

/** Left rotation of a 32-bit word (k in 1..31). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The canonical SplitMix64 output sequence (Steele, Lea & Flood 2014; the seeding routine Vigna
 * recommends for the xoshiro family). BigInt is used only here, once per seeding, so the hot
 * path stays on 32-bit integers.
 */
function splitMix64(seed: bigint, count: number): bigint[] {
  let x = seed;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    x = (x + 0x9e3779b97f4a7c15n) & UINT64_MASK;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & UINT64_MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & UINT64_MASK;
    out.push(z ^ (z >> 31n));
  }
  return out;
}

function describe(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

function seedToUint64(seed: number | bigint, op = 'Generator'): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new ValueError(`${op}: seed must be a finite integer or a bigint, got ${describe(seed)}`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** Largest float64 strictly below x (x finite, not the most negative value). */
function previousFloat64(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

/** Largest float32 strictly below x. */
function previousFloat32(x: number): number {
  const f = Math.fround(x);
  if (f < x) return f;
  if (f === 0) return -1.401298464324817e-45;
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, f);
  const bits = view.getUint32(0);
  view.setUint32(0, f > 0 ? bits - 1 : bits + 1);
  return view.getFloat32(0);
}

function checkFinite(name: string, what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`Generator.${name}: ${what} must be a finite number, got ${describe(value)}`);
  }
}

function checkUniformBounds(name: string, low: number, high: number): void {
  checkFinite(name, 'low', low);
  checkFinite(name, 'high', high);
  if (!(low <= high)) {
    throw new ValueError(`Generator.${name}: need low <= high, got low=${low}, high=${high}`);
  }
  // An infinite span would turn every draw into ±Infinity or NaN.
  if (!Number.isFinite(high - low)) {
    throw new ValueError(`Generator.${name}: high - low overflows (low=${low}, high=${high})`);
  }
}

function checkNormalParams(name: string, mean: number, std: number): void {
  checkFinite(name, 'mean', mean);
  checkFinite(name, 'std', std);
  if (std < 0) throw new ValueError(`Generator.${name}: std must be >= 0, got ${std}`);
}

function checkIntegerBounds(name: string, low: number, high: number): void {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
    throw new ValueError(
      `Generator.${name}: low and high must be safe integers, got low=${describe(low)}, high=${describe(high)}`,
    );
  }
  if (high <= low) {
    throw new ValueError(`Generator.${name}: need low < high, got low=${low}, high=${high}`);
  }
  if (high - low > TWO_POW_32) {
    throw new ValueError(`Generator.${name}: high - low must be <= 2^32, got ${high - low} (low=${low}, high=${high})`);
  }
}

function checkCount(name: string, what: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ValueError(`Generator.${name}: ${what} must be an integer in [0, ${max}], got ${describe(value)}`);
  }
}

const INT32_MAX_LENGTH = 2147483647;

/**
 * A seedable pseudo-random generator: xoshiro128** (Blackman & Vigna 2018) seeded by SplitMix64.
 *
 * The whole stream is specified below, so it can be reimplemented bit for bit in another
 * language. All words are unsigned 32-bit, arithmetic is modulo 2^32, `rotl` is a left rotation.
 *
 * **Seeding.** The seed (a finite integer `number`, or a `bigint`) is reduced modulo 2^64 (two's
 * complement for negatives: -1 becomes 2^64 - 1). SplitMix64 is run from that value:
 * `x += 0x9E3779B97F4A7C15; z = x; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; z = (z ^ z>>27) *
 * 0x94D049BB133111EB; out = z ^ z>>31` (all mod 2^64). Its first two outputs o1, o2 give the
 * state `s0 = low32(o1), s1 = high32(o1), s2 = low32(o2), s3 = high32(o2)`. The state is never
 * all zero (o1 = o2 = 0 would need two counters that differ by an odd constant to both be 0).
 *
 * **nextUint32 (xoshiro128\*\*).** `result = rotl(s1 * 5, 7) * 9; t = s1 << 9; s2 ^= s0;
 * s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)`; returns `result`.
 *
 * **random().** Two draws a then b: `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`, an exact multiple
 * of 2^-53 in [0, 1).
 *
 * **uniform(low, high).** `v = low + (high - low) * random()`; if rounding makes `v >= high`
 * (only when `high > low`), `v` becomes the largest float64 below `high`.
 *
 * **integer(low, high).** With `range = high - low` (1..2^32): draw x until
 * `x < 2^32 - (2^32 mod range)`, return `low + (x mod range)`. Rejection makes it unbiased; a
 * range of 2^32 accepts every draw, and every call consumes at least one draw.
 *
 * **normal(mean, std).** Basic (trigonometric) Box–Muller with a cached second value. If a
 * value is cached it is returned (as `mean + std * cached`) and the cache is cleared, whatever
 * other methods ran in between. Otherwise `u1 = 1 - random()` (in (0, 1], so log never sees 0),
 * `u2 = random()`, `r = sqrt(-2 ln u1)`; `z0 = r cos(2π u2)` is used now and `z1 = r sin(2π u2)`
 * is cached. The cache is part of {@link Generator.getState}. Integer and uniform streams are
 * exact everywhere; normals go through `Math.log/cos/sin`, which JavaScript does not require to
 * be correctly rounded, so another engine or language may differ in the last bit or so.
 *
 * **Fills.** `fillUniform`, `fillNormal`, `fillInteger` write, in index order, exactly what
 * repeated `uniform`, `normal`, `integer` calls return. Float32 outputs are rounded to nearest;
 * in `fillUniform` a value that rounds up to `high` becomes the largest float32 below `high`.
 *
 * **Shuffles.** Forward Fisher–Yates: for `i = 0 .. n-2`, `j = integer(i, n)`, swap `a[i]`,
 * `a[j]`. `permutation(n)` shuffles `[0, 1, ..., n-1]`. `choiceIndices(n, size, false)` runs the
 * same loop for `i = 0 .. min(size, n-1) - 1` and returns the first `size` entries, so
 * `choiceIndices(n, n, false)` equals `permutation(n)`.
 *
 * **Weighted choice.** With replacement: cumulative sums `c` of `p` in index order, and for each
 * sample `u = random() * c[n-1]`, the index is the first `i` with `c[i] > u` (the last index with
 * `p[i] > 0` if rounding left none). Without replacement: for each sample, the same rule over
 * the entries not yet taken, with their sum recomputed in index order; the taken entry's weight
 * then becomes 0.
 *
 * **spawn().** Draws a then b from this generator and returns `new Generator(a * 2^32 + b)`.
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * const x = g.random();            // same value on every machine
 * const i = g.integer(0, 10);      // 0..9
 * const order = g.permutation(5);  // e.g. Int32Array [3, 0, 4, 1, 2]
 * ```
 */
export class Generator {
  // State words are kept as int32 (the result of `^`, `<<`); getState reports them as uint32.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private hasSpareNormal = false;
  private spareNormal = 0;

  /**
   * @param seed A finite integer (reduced modulo 2^64) or a bigint.
   * @throws ValueError if the seed is fractional, NaN or infinite.
   * @example
   * ```ts
   * const g = new Generator(0);
   * ```
   */
  constructor(seed: number | bigint) {
    const [o1, o2] = splitMix64(seedToUint64(seed), 2);
    this.s0 = Number(o1 & 0xffffffffn) | 0;
    this.s1 = Number(o1 >> 32n) | 0;
    this.s2 = Number(o2 & 0xffffffffn) | 0;
    this.s3 = Number(o2 >> 32n) | 0;
  }

  /**
   * The next raw output, uniform in [0, 2^32).
   * @example
   * ```ts
   * new Generator(0).nextUint32(); // an integer in 0..4294967295
   * ```
   */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ this.s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = this.s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl(s3, 11);
    return result;
  }

  /**
   * A float64 uniform in [0, 1) with 53 random bits (two raw draws).
   * @example
   * ```ts
   * const u = new Generator(1).random(); // 0 <= u < 1
   * ```
   */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /**
   * A float64 uniform in [low, high); returns `low` when `low === high`.
   * @throws ValueError if a bound is not finite, `low > high`, or `high - low` overflows.
   * @example
   * ```ts
   * const angle = new Generator(1).uniform(-Math.PI, Math.PI);
   * ```
   */
  uniform(low: number, high: number): number {
    checkUniformBounds('uniform', low, high);
    return this.uniformUnchecked(low, high);
  }

  /**
   * A normal (Gaussian) sample by Box–Muller; see the class comment for the exact recipe.
   * @param mean Defaults to 0.
   * @param std Standard deviation, >= 0; defaults to 1.
   * @throws ValueError if `mean` or `std` is not finite, or `std < 0`.
   * @example
   * ```ts
   * const noise = new Generator(7).normal(0, 0.1);
   * ```
   */
  normal(mean = 0, std = 1): number {
    checkNormalParams('normal', mean, std);
    return mean + std * this.standardNormal();
  }

  /**
   * An unbiased integer uniform in [low, high), by rejection; ranges up to 2^32 are exact.
   * @throws ValueError unless `low`, `high` are safe integers with `low < high <= low + 2^32`.
   * @example
   * ```ts
   * const die = new Generator(3).integer(1, 7); // 1..6
   * ```
   */
  integer(low: number, high: number): number {
    checkIntegerBounds('integer', low, high);
    return low + this.bounded(high - low);
  }

  /**
   * Fills `out` with `uniform(low, high)` values, in index order.
   * @example
   * ```ts
   * const w = new Float32Array(6);
   * new Generator(0).fillUniform(w, -0.5, 0.5);
   * ```
   */
  fillUniform(out: Float32Array | Float64Array, low: number, high: number): void {
    checkUniformBounds('fillUniform', low, high);
    if (out instanceof Float64Array) {
      for (let i = 0; i < out.length; i++) out[i] = this.uniformUnchecked(low, high);
      return;
    }
    const belowHigh = previousFloat32(high);
    for (let i = 0; i < out.length; i++) {
      const v = Math.fround(this.uniformUnchecked(low, high));
      // Rounding to float32 can land exactly on `high`, which the half-open contract excludes.
      out[i] = v >= high && high > low ? belowHigh : v;
    }
  }

  /**
   * Fills `out` with `normal(mean, std)` values, in index order (sharing the normal cache).
   * @example
   * ```ts
   * const w = new Float64Array(4);
   * new Generator(0).fillNormal(w, 0, 1);
   * ```
   */
  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    checkNormalParams('fillNormal', mean, std);
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.standardNormal();
  }

  /**
   * Fills `out` with `integer(low, high)` values, in index order.
   * @throws ValueError as {@link Generator.integer}, or if values would not fit in int32.
   * @example
   * ```ts
   * const labels = new Int32Array(8);
   * new Generator(0).fillInteger(labels, 0, 10);
   * ```
   */
  fillInteger(out: Int32Array, low: number, high: number): void {
    checkIntegerBounds('fillInteger', low, high);
    if (low < -2147483648 || high > 2147483648) {
      throw new ValueError(`Generator.fillInteger: [low, high) must lie within int32, got low=${low}, high=${high}`);
    }
    const range = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + this.bounded(range);
  }

  /**
   * A uniformly random permutation of 0..n-1 (forward Fisher–Yates).
   * @throws ValueError if `n` is not an integer in [0, 2^31 - 1].
   * @example
   * ```ts
   * const order = new Generator(0).permutation(4); // e.g. Int32Array [2, 0, 3, 1]
   * ```
   */
  permutation(n: number): Int32Array {
    checkCount('permutation', 'n', n, INT32_MAX_LENGTH);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    this.shuffleInPlace(out);
    return out;
  }

  /**
   * Shuffles any indexable array of numbers in place (forward Fisher–Yates).
   * @example
   * ```ts
   * const xs = [1, 2, 3, 4];
   * new Generator(0).shuffleInPlace(xs);
   * ```
   */
  shuffleInPlace(a: { length: number; [i: number]: number }): void {
    const n = a.length;
    for (let i = 0; i < n - 1; i++) {
      const j = i + this.bounded(n - i);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }

  /**
   * Random indices into a population of size `n`, like NumPy's `choice(n, size, replace, p)`.
   * @param replace Without replacement the indices are distinct and `size <= n` is required.
   * @param p Optional weights (length `n`, finite, non-negative, positive sum), normalised
   *   internally; entries with weight 0 are never drawn.
   * @throws ValueError naming the offending argument(s).
   * @example
   * ```ts
   * const g = new Generator(0);
   * const batch = g.choiceIndices(100, 8, false);        // 8 distinct indices in 0..99
   * const skewed = g.choiceIndices(3, 5, true, [0.1, 0, 0.9]); // never 1
   * ```
   */
  choiceIndices(n: number, size: number, replace: boolean, p?: ArrayLike<number>): Int32Array {
    checkCount('choiceIndices', 'n', n, 2147483648);
    checkCount('choiceIndices', 'size', size, INT32_MAX_LENGTH);
    if (p === undefined) {
      if (replace) {
        if (n === 0 && size > 0) {
          throw new ValueError(`Generator.choiceIndices: cannot draw size=${size} from an empty population (n=0)`);
        }
        const out = new Int32Array(size);
        for (let i = 0; i < size; i++) out[i] = this.bounded(n);
        return out;
      }
      if (size > n) {
        throw new ValueError(
          `Generator.choiceIndices: without replacement size must be <= n, got size=${size}, n=${n}`,
        );
      }
      return this.partialShuffle(n, size);
    }
    const weights = checkedWeights(p, n);
    return replace ? this.weightedWithReplacement(weights, size) : this.weightedWithoutReplacement(weights, size);
  }

  /**
   * An independent child generator, seeded from this generator's next two raw outputs, so a
   * seeded parent always yields the same children in the same order.
   * @example
   * ```ts
   * const root = new Generator(0);
   * const workers = [root.spawn(), root.spawn()]; // distinct, reproducible streams
   * ```
   */
  spawn(): Generator {
    const high = BigInt(this.nextUint32());
    const low = BigInt(this.nextUint32());
    return new Generator((high << 32n) | low);
  }

  /**
   * A copy of the full state: `[s0, s1, s2, s3, hasSpareNormal (0 or 1), spareNormal]`, plain
   * numbers that survive JSON.
   * @example
   * ```ts
   * const g = new Generator(0);
   * const saved = g.getState();
   * const a = g.random();
   * g.setState(saved);
   * g.random() === a; // true
   * ```
   */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.hasSpareNormal ? 1 : 0, this.spareNormal];
  }

  /**
   * Restores a state from {@link Generator.getState}. A 4-word array (plain xoshiro128** state)
   * is also accepted and clears the normal cache.
   * @throws ValueError if the length is not 4 or 6, a word is not an integer in [0, 2^32), all
   *   four words are 0 (xoshiro's one forbidden state), or the cache entries are malformed.
   * @example
   * ```ts
   * const g = new Generator(1);
   * g.setState(new Generator(2).getState()); // g now replays seed 2's stream
   * ```
   */
  setState(s: number[]): void {
    if (!Array.isArray(s) || (s.length !== 4 && s.length !== 6)) {
      const got = Array.isArray(s) ? `length ${s.length}` : describe(s);
      throw new ValueError(`Generator.setState: expected an array of 4 or 6 numbers, got ${got}`);
    }
    for (let i = 0; i < 4; i++) {
      const w = s[i];
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) {
        throw new ValueError(`Generator.setState: state word ${i} must be an integer in [0, 2^32), got ${describe(w)}`);
      }
    }
    if (s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0) {
      throw new ValueError('Generator.setState: the all-zero state is invalid for xoshiro128**');
    }
    let hasSpare = false;
    let spare = 0;
    if (s.length === 6) {
      if (s[4] !== 0 && s[4] !== 1) {
        throw new ValueError(`Generator.setState: entry 4 (has cached normal) must be 0 or 1, got ${describe(s[4])}`);
      }
      if (typeof s[5] !== 'number' || !Number.isFinite(s[5]) || (s[4] === 0 && s[5] !== 0)) {
        throw new ValueError(
          'Generator.setState: entry 5 (cached normal) must be a finite number, and 0 when entry 4 is 0; ' +
            `got ${describe(s[5])}`,
        );
      }
      hasSpare = s[4] === 1;
      spare = s[5];
    }
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
    this.hasSpareNormal = hasSpare;
    this.spareNormal = spare;
  }

  /** Unbiased uniform integer in [0, range), range in 1..2^32, by rejection of the top partial block. */
  private bounded(range: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % range;
  }

  private uniformUnchecked(low: number, high: number): number {
    const v = low + (high - low) * this.random();
    // low + span * u can round up to high although u < 1; the contract is half-open.
    return v >= high && high > low ? previousFloat64(high) : v;
  }

  private standardNormal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      const z = this.spareNormal;
      this.spareNormal = 0;
      return z;
    }
    const u1 = 1 - this.random();
    const u2 = this.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = TWO_PI * u2;
    this.spareNormal = r * Math.sin(theta);
    this.hasSpareNormal = true;
    return r * Math.cos(theta);
  }

  /** The first `size` entries of a forward Fisher–Yates shuffle of 0..n-1. */
  private partialShuffle(n: number, size: number): Int32Array {
    const out = new Int32Array(size);
    const steps = Math.min(size, n - 1);
    // A dense scratch array is fastest, but choosing a few of very many (e.g. 10 of 1e9)
    // must not allocate n entries: a map of displaced entries yields the identical result.
    if (n <= 4 * size || n <= 65536) {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = i;
      for (let i = 0; i < steps; i++) {
        const j = i + this.bounded(n - i);
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
      }
      out.set(a.subarray(0, size));
      return out;
    }
    const displaced = new Map<number, number>();
    for (let i = 0; i < steps; i++) {
      const j = i + this.bounded(n - i);
      const atI = displaced.get(i) ?? i;
      out[i] = displaced.get(j) ?? j;
      displaced.set(j, atI);
    }
    return out;
  }

  private weightedWithReplacement(weights: Float64Array, size: number): Int32Array {
    const n = weights.length;
    const cumulative = new Float64Array(n);
    let sum = 0;
    let lastPositive = -1;
    for (let i = 0; i < n; i++) {
      sum += weights[i];
      cumulative[i] = sum;
      if (weights[i] > 0) lastPositive = i;
    }
    const out = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const u = this.random() * sum;
      // First i with cumulative[i] > u; a zero weight never increases the sum, so it is skipped.
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      out[k] = lo < n ? lo : lastPositive;
    }
    return out;
  }

  private weightedWithoutReplacement(weights: Float64Array, size: number): Int32Array {
    let positive = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i] > 0) positive++;
    if (size > positive) {
      throw new ValueError(
        'Generator.choiceIndices: without replacement size must be <= the number of nonzero probabilities, ' +
          `got size=${size}, n=${weights.length}, nonzero=${positive}`,
      );
    }
    const w = Float64Array.from(weights);
    const out = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      // Recomputing the sum (rather than subtracting) keeps rounding error from accumulating.
      let sum = 0;
      let lastPositive = -1;
      for (let i = 0; i < w.length; i++) {
        sum += w[i];
        if (w[i] > 0) lastPositive = i;
      }
      const u = this.random() * sum;
      let picked = lastPositive;
      let cumulative = 0;
      for (let i = 0; i < w.length; i++) {
        cumulative += w[i];
        if (w[i] > 0 && cumulative > u) {
          picked = i;
          break;
        }
      }
      out[k] = picked;
      w[picked] = 0;
    }
    return out;
  }
}

function checkedWeights(p: ArrayLike<number>, n: number): Float64Array {
  if (p.length !== n) {
    throw new ValueError(`Generator.choiceIndices: p must have length n=${n}, got length ${p.length}`);
  }
  const weights = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValueError(`Generator.choiceIndices: p[${i}] must be a finite number >= 0, got ${describe(v)}`);
    }
    weights[i] = v;
    sum += v;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new ValueError(`Generator.choiceIndices: p must have a finite positive sum, got ${sum}`);
  }
  return weights;
}

let global: Generator | undefined;

/** 64 bits from the platform's CSPRNG (Web Crypto, in browsers and Node >= 19). */
function entropySeed(): bigint {
  const cryptoLike = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  const words = new Uint32Array(2);
  if (cryptoLike?.getRandomValues) {
    cryptoLike.getRandomValues(words);
  } else {
    // Only for exotic runtimes without Web Crypto; the global stream is unseeded either way.
    words[0] = Math.floor(Math.random() * TWO_POW_32);
    words[1] = Math.floor(Math.random() * TWO_POW_32);
  }
  return (BigInt(words[0]) << 32n) | BigInt(words[1]);
}

/**
 * The generator used when an API takes no explicit one. Like NumPy, it starts from fresh OS
 * entropy (Web Crypto) on first use, so runs differ until {@link seed} is called. The same
 * object is returned every time; `seed()` re-seeds it in place.
 * @example
 * ```ts
 * seed(0);
 * const x = globalGenerator().random(); // reproducible after seed(0)
 * ```
 */
export function globalGenerator(): Generator {
  global ??= new Generator(entropySeed());
  return global;
}

/**
 * Re-seeds the global generator in place: afterwards it produces exactly the stream of
 * `new Generator(n)`, including for references obtained earlier from {@link globalGenerator}.
 * @throws ValueError if `n` is not a finite integer or a bigint.
 * @example
 * ```ts
 * seed(42);
 * globalGenerator().normal(); // same as new Generator(42).normal()
 * ```
 */
export function seed(n: number | bigint): void {
  seedToUint64(n, 'seed'); // so a bad seed is reported as seed's, not the Generator's
  const fresh = new Generator(n);
  if (global === undefined) global = fresh;
  else global.setState(fresh.getState());
}
