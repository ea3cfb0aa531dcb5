import { type FloatDType, type Generator, type Tensor, ValueError } from '@nn/tensor';
import type { Variable } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';
import { ModuleList } from './container.js';
import { MultiheadAttention } from './attention.js';

/** Options of `TransformerEncoderLayer` (PyTorch's defaults). @example { dimFeedforward: 512, normFirst: true } */
export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, and on the weights (default 0.1). */
  dropout?: number;
  /** Feed-forward activation (default 'relu'). */
  activation?: 'relu' | 'gelu';
  /** Pre-norm (LayerNorm before each block, as GPT-2) instead of post-norm (default false). */
  normFirst?: boolean;
  /** Inputs (N, L, E) instead of (L, N, E) (default false). */
  batchFirst?: boolean;
  /** LayerNorm eps (default 1e-5). */
  layerNormEps?: number;
  /** Parameter element type (default float32). */
  dtype?: FloatDType;
  /** Random stream for init and dropout. */
  generator?: Generator;
}

/** Per-call masks of the encoder. @example { isCausal: true } */
export interface TransformerMaskOptions {
  /** (L, L) attention mask, as MultiheadAttention's attnMask (bool true = not allowed). */
  srcMask?: Tensor | null;
  /** (N, L) bool, true marks padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention. */
  isCausal?: boolean;
}

/**
 * One transformer encoder block as PyTorch's nn.TransformerEncoderLayer: self-attention and a
 * feed-forward block (Linear → activation → Linear), each with dropout, a residual connection and
 * LayerNorm — after the residual (post-norm, default) or before the block (`normFirst`).
 *
 * @example
 * const block = new TransformerEncoderLayer(128, 4, { dimFeedforward: 512, normFirst: true, batchFirst: true });
 * block.forward(x, { isCausal: true }).shape; // x's shape (N, L, 128)
 */
export class TransformerEncoderLayer extends Module {
  selfAttn: MultiheadAttention;
  linear1: Linear;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout: Dropout;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly options: Readonly<TransformerEncoderLayerOptions>;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    const activation = options.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'gelu')
      throw new ValueError(`TransformerEncoderLayer: activation must be 'relu' or 'gelu', got "${String(activation)}"`);
    this.options = { ...options };
    const p = options.dropout ?? 0.1;
    const { dtype, generator } = options;
    this.selfAttn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: options.batchFirst,
      dtype,
      generator,
    });
    const ff = options.dimFeedforward ?? 2048;
    this.linear1 = new Linear(dModel, ff, { dtype, generator });
    this.linear2 = new Linear(ff, dModel, { dtype, generator });
    const eps = options.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    const drop = () => new Dropout(p, generator ? { generator } : {});
    this.dropout = drop();
    this.dropout1 = drop();
    this.dropout2 = drop();
  }

  forward(x: Variable, masks: TransformerMaskOptions = {}): Variable {
    checkForwardInput(this, x);
    const attend = (h: Variable) =>
      this.dropout1.forward(
        this.selfAttn.attend(h, h, h, {
          attnMask: masks.srcMask,
          keyPaddingMask: masks.srcKeyPaddingMask,
          isCausal: masks.isCausal,
          needWeights: false,
        }).output,
      );
    const feedForward = (h: Variable) => {
      const a = this.linear1.forward(h);
      const act = this.options.activation === 'gelu' ? a.gelu() : a.relu();
      return this.dropout2.forward(this.linear2.forward(this.dropout.forward(act)));
    };
    if (this.options.normFirst) {
      const h = x.add(attend(this.norm1.forward(x)));
      return h.add(feedForward(this.norm2.forward(h)));
    }
    const h = this.norm1.forward(x.add(attend(x)));
    return this.norm2.forward(h.add(feedForward(h)));
  }

  /** A new layer with the same options and a copy of this one's parameters. @example layer.clone() */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    copy.loadStateDict(this.stateDict());
    return copy;
  }

  override extraRepr(): string {
    return `${this.dModel}, nhead=${this.nhead}, normFirst=${this.options.normFirst ?? false}`;
  }
}

/**
 * A stack of `numLayers` copies of `layer` (as PyTorch, each a deep copy starting from the same
 * weights), with an optional final LayerNorm.
 * @example
 * const encoder = new TransformerEncoder(new TransformerEncoderLayer(64, 4, { batchFirst: true }), 2);
 * encoder.forward(x, { isCausal: true });
 */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: LayerNorm | null;

  constructor(
    layer: TransformerEncoderLayer,
    readonly numLayers: number,
    norm: LayerNorm | null = null,
  ) {
    super();
    if (!Number.isInteger(numLayers) || numLayers <= 0)
      throw new ValueError(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => layer.clone()));
    this.norm = norm;
  }

  forward(x: Variable, masks: TransformerMaskOptions = {}): Variable {
    checkForwardInput(this, x);
    let h = x;
    for (const layer of this.layers) h = (layer as TransformerEncoderLayer).forward(h, masks);
    return this.norm ? this.norm.forward(h) : h;
  }
}
