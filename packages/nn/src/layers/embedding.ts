import {
  DTypeError,
  type FloatDType,
  type Generator,
  IndexError,
  Tensor,
  ValueError,
  formatShape,
  normal,
} from '@nn/tensor';
import { Variable, take, where } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';
import type { Initializer } from '../init.js';

/** Options of `Embedding`. @example new Embedding(1000, 64, { paddingIdx: 0 }) */
export interface EmbeddingOptions {
  /**
   * An index whose row is initialized to zeros and never receives a gradient (a padding token),
   * as in PyTorch; negative counts from the end. Default: none.
   */
  paddingIdx?: number | null;
  /** Initializer of `weight` (default N(0, 1), PyTorch's). */
  init?: Initializer;
  /** Element type of the weight (default float32). */
  dtype?: FloatDType;
  /** Random stream of the default initializer. */
  generator?: Generator;
}

/**
 * A lookup table (PyTorch's nn.Embedding): row `i` of `weight` (numEmbeddings, embeddingDim) is the
 * vector of index `i`. `forward(indices)` takes int32 indices of any shape and returns the shape
 * indices.shape + [embeddingDim]. The lookup is a Gather node, whose backward adds each output
 * row's gradient into its index's row (repeated indices add up).
 *
 * With `paddingIdx`, that row starts at zeros and its gradient is always 0, so a padding token
 * stays fixed while the rest trains; the output still shows the row's current value.
 *
 * @example
 * const embed = new Embedding(65, 128);
 * embed.forward(tensor([[1, 2, 3]], { dtype: 'int32' })).shape; // [1, 3, 128]
 */
export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0)
        throw new ValueError(`Embedding: ${what} must be a positive integer, got ${n}`);
    }
    this.paddingIdx = checkPaddingIdx(options.paddingIdx ?? null, numEmbeddings);
    const dtype = options.dtype ?? 'float32';
    const shape = [numEmbeddings, embeddingDim];
    const weight = options.init
      ? options.init(shape, { fanIn: numEmbeddings, fanOut: embeddingDim, dtype, generator: options.generator })
      : normal(0, 1, shape, { dtype, generator: options.generator });
    if (this.paddingIdx !== null)
      weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.weight = new Parameter(weight, { name: 'weight' });
  }

  /** Looks up int32 `indices` (a Tensor, or a Variable whose data is used): shape indices.shape + [embeddingDim]. */
  forward(indices: Variable | Tensor): Variable {
    checkForwardInput(this, indices);
    const idx = indices instanceof Variable ? indices.data : indices;
    this.checkIndices(idx);
    const rows = take(this.weight, idx, 0);
    if (this.paddingIdx === null) return rows;
    // The padding rows take the weight's current row as a constant: same values, no gradient.
    const padding = idx.eq(this.paddingIdx).reshape([...idx.shape, 1]);
    return where(padding, this.weight.data.slice(this.paddingIdx), rows);
  }

  /** int32 indices, each in [0, numEmbeddings): a named error otherwise (take would wrap negatives). */
  private checkIndices(idx: Tensor): void {
    if (idx.dtype !== 'int32')
      throw new DTypeError(
        `Embedding(${this.numEmbeddings}, ${this.embeddingDim}): indices must be int32, got ${idx.dtype} of shape ${formatShape(idx.shape)} (tensor(ids, { dtype: 'int32' }))`,
      );
    const flat = idx.contiguous();
    for (let i = 0; i < flat.size; i++) {
      const index = flat.data[flat.offset + i];
      if (index < 0 || index >= this.numEmbeddings)
        throw new IndexError(
          `Embedding(${this.numEmbeddings}, ${this.embeddingDim}): index ${index} (element ${i} of indices of shape ${formatShape(idx.shape)}) is out of range [0, ${this.numEmbeddings})`,
        );
    }
  }

  override extraRepr(): string {
    const padding = this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${padding}`;
  }
}

function checkPaddingIdx(paddingIdx: number | null, numEmbeddings: number): number | null {
  if (paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)
    throw new ValueError(
      `Embedding: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${paddingIdx}`,
    );
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}
