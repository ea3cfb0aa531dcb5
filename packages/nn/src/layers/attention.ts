import {
  type FloatDType,
  type Generator,
  ShapeError,
  type Tensor,
  ValueError,
  formatShape,
  full,
  rand,
  tensor,
} from '@nn/tensor';
import { type Variable, matmul, split, transpose } from '@nn/autograd';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { Linear } from './linear.js';
import * as init from '../init.js';

/**
 * The value masked scores get. A large finite negative instead of −Infinity: exp underflows to
 * exactly 0 all the same, but a fully masked row gives uniform weights instead of NaN, and
 * float64 gradchecks stay finite.
 */
const MASKED = -1e9;

/** Options of `scaledDotProductAttention`. @example { isCausal: true, dropoutP: 0.1 } */
export interface AttentionOptions {
  /**
   * Mask broadcastable to (..., L, S). A bool tensor: true marks the pairs that **take part**
   * (PyTorch's F.scaled_dot_product_attention convention); a float tensor is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Query i sees keys j ≤ i only (an upper-triangular mask); not together with attnMask. */
  isCausal?: boolean;
  /** Dropout probability on the attention weights (apply only in training; default 0). */
  dropoutP?: number;
  /** Score scale (default 1/√E). */
  scale?: number;
  /** Random stream for the dropout mask. */
  generator?: Generator;
}

/**
 * An additive mask of shape (L, S): 0 where query i may see key j (j ≤ i), `MASKED` above the
 * diagonal. Built with plain tensor creation (no tril op needed).
 * @example causalMask(3, 3, 'float64') // [[0,-1e9,-1e9],[0,0,-1e9],[0,0,0]]
 */
export function causalMask(L: number, S: number, dtype: FloatDType = 'float32'): Tensor {
  const values = new Array<number>(L * S);
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) values[i * S + j] = j > i ? MASKED : 0;
  return tensor(values, { dtype }).reshape([L, S]);
}

/** A mask as additive scores: bool true (allowed) → 0, false → MASKED; floats as they are. */
function additive(t: Tensor, dtype: FloatDType, allowedIsTrue: boolean): Tensor {
  if (t.dtype !== 'bool') return t;
  const blocked = allowedIsTrue ? full(t.shape, 1, { dtype }).sub(t.astype(dtype)) : t.astype(dtype);
  return blocked.mul(MASKED);
}

function broadcastsTo(mask: readonly number[], target: readonly number[]): boolean {
  if (mask.length > target.length) return false;
  const off = target.length - mask.length;
  return mask.every((n, i) => n === 1 || n === target[off + i]);
}

/**
 * Scaled dot-product attention with PyTorch's semantics (F.scaled_dot_product_attention):
 *
 *   softmax(q·kᵀ · scale + mask) · v,   q (..., L, E), k (..., S, E), v (..., S, Ev) → (..., L, Ev)
 *
 * Composed from graph nodes (MatMul, Mul, Add, Softmax, Transpose), so its backward is the one
 * autograd derives and second derivatives work; Softmax is already max-shifted, so no fused
 * node is needed for stability. Returns the output and the weights (..., L, S).
 *
 * @example
 * const { output } = scaledDotProductAttention(q, k, v, { isCausal: true });
 */
export function scaledDotProductAttention(
  q: Variable,
  k: Variable,
  v: Variable,
  options: AttentionOptions = {},
): { output: Variable; weights: Variable } {
  const op = 'scaledDotProductAttention';
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new ShapeError(
      `${op}: q, k, v need at least 2 axes (..., L, E), got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`,
    );
  const [L, E] = q.shape.slice(-2);
  const [S, Ek] = k.shape.slice(-2);
  if (Ek !== E)
    throw new ShapeError(`${op}: q ${formatShape(q.shape)} and k ${formatShape(k.shape)} differ in the last axis`);
  if (v.shape[v.ndim - 2] !== S)
    throw new ShapeError(`${op}: k ${formatShape(k.shape)} and v ${formatShape(v.shape)} differ in sequence length`);
  const dtype: FloatDType = q.dtype === 'float64' ? 'float64' : 'float32';
  const scale = options.scale ?? 1 / Math.sqrt(E);
  let scores = matmul(q, transpose(k, swapLast(k.ndim))).mul(scale);
  if (options.isCausal && options.attnMask) throw new ValueError(`${op}: give attnMask or isCausal, not both`);
  if (options.isCausal) scores = scores.add(causalMask(L, S, dtype));
  if (options.attnMask) {
    const m = options.attnMask;
    if (!broadcastsTo(m.shape, scores.shape))
      throw new ShapeError(
        `${op}: attnMask ${formatShape(m.shape)} does not broadcast to the scores ${formatShape(scores.shape)} (..., L, S)`,
      );
    scores = scores.add(additive(m, dtype, true));
  }
  const weights = scores.softmax(-1);
  const p = options.dropoutP ?? 0;
  if (!(p >= 0 && p < 1)) throw new ValueError(`${op}: dropoutP must be in [0, 1), got ${p}`);
  let used = weights;
  if (p > 0) {
    const u = rand(weights.shape, { dtype, ...(options.generator ? { generator: options.generator } : {}) });
    used = weights.mul(
      u
        .gt(p)
        .astype(dtype)
        .mul(1 / (1 - p)),
    );
  }
  return { output: matmul(used, v), weights };
}

function swapLast(ndim: number): number[] {
  const axes = Array.from({ length: ndim }, (_, d) => d);
  [axes[ndim - 2], axes[ndim - 1]] = [axes[ndim - 1], axes[ndim - 2]];
  return axes;
}

/** Options of `MultiheadAttention`. @example { batchFirst: true, dropout: 0.1 } */
export interface MultiheadAttentionOptions {
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Inputs (N, L, E) instead of PyTorch's default (L, N, E) (default false). */
  batchFirst?: boolean;
  /** Width of the keys (default embedDim). */
  kdim?: number;
  /** Width of the values (default embedDim). */
  vdim?: number;
  /** Parameter element type (default float32). */
  dtype?: FloatDType;
  /** Random stream for init and dropout. */
  generator?: Generator;
}

/** Per-call options of `MultiheadAttention.forward`. @example { keyPaddingMask, needWeights: true } */
export interface MultiheadAttentionCallOptions {
  /** (N, S) bool, true marks padded keys that get zero weight (PyTorch's convention); or float, added. */
  keyPaddingMask?: Tensor | null;
  /** (L, S) or (N·numHeads, L, S): bool true = **not** allowed (PyTorch's MHA convention); float added. */
  attnMask?: Tensor | null;
  /** Causal self-attention (query i sees keys ≤ i). */
  isCausal?: boolean;
  /** Return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** Average the weights over heads (N, L, S) instead of (N, numHeads, L, S) (default true). */
  averageAttnWeights?: boolean;
}

/**
 * Multi-head attention as PyTorch's nn.MultiheadAttention. With kdim = vdim = embedDim the
 * projections are one parameter `inProjWeight` (3E, E) in PyTorch's (out, in) layout, rows
 * [Wq; Wk; Wv], applied as x·Wᵀ, with `inProjBias` (3E); otherwise `qProjWeight` (E, E),
 * `kProjWeight` (E, kdim), `vProjWeight` (E, vdim). `outProj` is our Linear, whose W is (in, out):
 * PyTorch's out_proj.weight transposed.
 *
 * @example
 * const mha = new MultiheadAttention(64, 4, { batchFirst: true });
 * const { output, weights } = mha.forward(x, x, x, { isCausal: true }); // (N, L, 64), (N, L, L)
 */
export class MultiheadAttention extends Module {
  inProjWeight: Parameter | null;
  qProjWeight: Parameter | null;
  kProjWeight: Parameter | null;
  vProjWeight: Parameter | null;
  inProjBias: Parameter | null;
  outProj: Linear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly kdim: number;
  readonly vdim: number;
  private readonly generator: Generator | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(embedDim) || embedDim <= 0)
      throw new ValueError(`MultiheadAttention: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0)
      throw new ValueError(`MultiheadAttention: numHeads ${numHeads} must divide embedDim ${embedDim}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new ValueError(`MultiheadAttention: dropout must be in [0, 1), got ${this.dropout}`);
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.generator = options.generator;
    const dtype = options.dtype ?? 'float32';
    const make = (rows: number, cols: number, name: string) =>
      new Parameter(
        init.xavierUniform()([rows, cols], { fanIn: cols, fanOut: rows, dtype, generator: this.generator }),
        {
          name,
        },
      );
    const same = this.kdim === embedDim && this.vdim === embedDim;
    this.inProjWeight = same ? make(3 * embedDim, embedDim, 'inProjWeight') : null;
    this.qProjWeight = same ? null : make(embedDim, embedDim, 'qProjWeight');
    this.kProjWeight = same ? null : make(embedDim, this.kdim, 'kProjWeight');
    this.vProjWeight = same ? null : make(embedDim, this.vdim, 'vProjWeight');
    const bias = options.bias ?? true;
    this.inProjBias = bias ? new Parameter(full([3 * embedDim], 0, { dtype }), { name: 'inProjBias' }) : null;
    this.outProj = new Linear(embedDim, embedDim, { bias, dtype, biasInit: init.zeros(), generator: this.generator });
  }

  /** Self-attention shortcut: `forward(x)` is `attend(x, x, x).output`. */
  forward(x: Variable): Variable {
    return this.attend(x, x, x, { needWeights: false }).output;
  }

  /**
   * Attention of `query` over `key`/`value`: (L, N, E), (S, N, kdim), (S, N, vdim), or batch
   * first, or unbatched (L, E). Returns the output in the query's layout and the weights
   * (null unless needWeights).
   */
  attend(
    query: Variable,
    key: Variable,
    value: Variable,
    options: MultiheadAttentionCallOptions = {},
  ): { output: Variable; weights: Variable | null } {
    const name = 'MultiheadAttention';
    const unbatched = query.ndim === 2;
    const rank = unbatched ? 2 : 3;
    for (const [what, x, width] of [
      ['query', query, this.embedDim],
      ['key', key, this.kdim],
      ['value', value, this.vdim],
    ] as const) {
      if (x.ndim !== rank || x.shape[rank - 1] !== width)
        throw new ShapeError(
          `${name}: ${what} must be ${unbatched ? '(L, E)' : this.batchFirst ? '(N, L, E)' : '(L, N, E)'} with last axis ${width}, got ${formatShape(x.shape)}`,
        );
    }
    // Everything inside runs batch first: (N, L, E).
    const toNLE = (x: Variable) =>
      unbatched ? x.reshape([1, ...x.shape]) : this.batchFirst ? x : transpose(x, [1, 0, 2]);
    const [q0, k0, v0] = [toNLE(query), toNLE(key), toNLE(value)];
    if (k0.shape[0] !== q0.shape[0] || v0.shape[0] !== q0.shape[0] || k0.shape[1] !== v0.shape[1])
      throw new ShapeError(
        `${name}: query ${formatShape(query.shape)}, key ${formatShape(key.shape)}, value ${formatShape(value.shape)} disagree in batch or key length`,
      );
    const [N, L] = q0.shape;
    const S = k0.shape[1];
    const [wq, wk, wv] = this.inProjWeight
      ? split(this.inProjWeight, 3, 0)
      : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
    const [bq, bk, bv] = this.inProjBias ? split(this.inProjBias, 3, 0) : [null, null, null];
    const project = (x: Variable, w: Variable, b: Variable | null, len: number) => {
      let y = matmul(x, transpose(w));
      if (b) y = y.add(b);
      return transpose(y.reshape([N, len, this.numHeads, this.headDim]), [0, 2, 1, 3]); // (N, H, len, D)
    };
    const q = project(q0, wq, bq, L);
    const k = project(k0, wk, bk, S);
    const v = project(v0, wv, bv, S);
    const dtype: FloatDType = q.dtype === 'float64' ? 'float64' : 'float32';
    let mask: Tensor | null = null;
    if (options.attnMask) {
      const m = options.attnMask;
      const ok =
        (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) ||
        (m.ndim === 3 && m.shape[0] === N * this.numHeads && m.shape[1] === L && m.shape[2] === S);
      if (!ok)
        throw new ShapeError(
          `${name}: attnMask must be (L, S) = ${formatShape([L, S])} or (N·numHeads, L, S) = ${formatShape([N * this.numHeads, L, S])}, got ${formatShape(m.shape)}`,
        );
      const a = additive(m, dtype, false);
      mask = m.ndim === 3 ? a.reshape([N, this.numHeads, L, S]) : a;
    }
    if (options.keyPaddingMask) {
      const m = options.keyPaddingMask;
      const want = unbatched ? [S] : [N, S];
      if (m.ndim !== want.length || m.shape.some((n, i) => n !== want[i]))
        throw new ShapeError(`${name}: keyPaddingMask must be ${formatShape(want)}, got ${formatShape(m.shape)}`);
      const a = additive(m, dtype, false).reshape([N, 1, 1, S]);
      mask = mask ? a.add(mask) : a;
    }
    if (options.isCausal && mask) throw new ValueError(`${name}: give attnMask/keyPaddingMask or isCausal, not both`);
    const { output, weights } = scaledDotProductAttention(q, k, v, {
      attnMask: mask,
      isCausal: options.isCausal === true,
      dropoutP: this.training ? this.dropout : 0,
      generator: this.generator,
    });
    let out: Variable = this.outProj.forward(transpose(output, [0, 2, 1, 3]).reshape([N, L, this.embedDim]));
    out = unbatched ? out.reshape([L, this.embedDim]) : this.batchFirst ? out : transpose(out, [1, 0, 2]);
    if (options.needWeights === false) return { output: out, weights: null };
    let w = options.averageAttnWeights === false ? weights : weights.mean(1);
    if (unbatched) w = w.reshape(w.shape.slice(1));
    return { output: out, weights: w };
  }

  override extraRepr(): string {
    return `${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}`;
  }
}
