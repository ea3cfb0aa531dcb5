import {
  type FloatDType,
  type Generator,
  ShapeError,
  Tensor,
  ValueError,
  formatShape,
  uniform,
  zeros,
} from '@nn/tensor';
import { Variable, asVariable, concat } from '@nn/autograd';
import { Module, checkForwardInput } from '../module.js';
import { Parameter } from '../parameter.js';
import { Dropout } from './dropout.js';

/**
 * Recurrent layers with PyTorch's parameter layout, so a PyTorch state dict maps key for key:
 * for each layer k, `weight_ih_l{k}` (G·H, I_k), `weight_hh_l{k}` (G·H, H), `bias_ih_l{k}` and
 * `bias_hh_l{k}` (G·H), where G is the number of gates stacked along the rows (RNN 1; LSTM 4 in the
 * order i, f, g, o; GRU 3 in the order r, z, n), I_0 = inputSize and I_k = hiddenSize above.
 * Every parameter starts at U(−1/√H, 1/√H), PyTorch's initialization.
 *
 * The input projections of all time steps are one MatMul per layer (x·W_ihᵀ over (T·N, I)); only
 * the hidden projection h·W_hhᵀ runs step by step. Everything is composed of graph nodes (MatMul,
 * Add, Sigmoid, Tanh, Mul, Split, Concat), so backpropagation through time — and second
 * derivatives — is autograd's.
 */

/** Options of `RNN`, `LSTM` and `GRU` (PyTorch's arguments). @example new LSTM(10, 20, { numLayers: 2, batchFirst: true }) */
export interface RecurrentOptions {
  /** Stacked layers (default 1); layer k > 0 reads the hidden states of layer k − 1. */
  numLayers?: number;
  /** Learn the biases `bias_ih_l{k}` and `bias_hh_l{k}` (default true). */
  bias?: boolean;
  /** Input and output are (N, T, features) instead of (T, N, features) (default false, as PyTorch). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Element type of the parameters (default float32). */
  dtype?: FloatDType;
  /** Random stream of the initialization (and of the dropout masks). */
  generator?: Generator;
}

/** Options of `RNN`: its nonlinearity as well. @example new RNN(8, 16, { nonlinearity: 'relu' }) */
export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** A hidden state given as a Variable or a Tensor (a constant). */
type StateInput = Variable | Tensor;

/** One layer's parameters, read from the fields at each call (so a test may swap them). */
interface LayerWeights {
  weightIh: Variable;
  weightHh: Variable;
  biasIh: Variable | null;
  biasHh: Variable | null;
}

/** The shared machinery of RNN, LSTM and GRU: parameters, shape checks, layers, time loop. */
abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  /** Held privately so that it is not a submodule (PyTorch's LSTM has none); its mode follows ours. */
  readonly #dropout: Dropout;
  /** Whether the layer carries a cell state beside h (LSTM). */
  protected abstract readonly hasCell: boolean;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RecurrentOptions,
    /** Gates stacked along the rows of the weights (RNN 1, LSTM 4, GRU 3). */
    gates: number,
  ) {
    super();
    const name = new.target.name;
    for (const [what, n] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', options.numLayers ?? 1],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ValueError(`${name}: ${what} must be a positive integer, got ${n}`);
    }
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new ValueError(`${name}: dropout must be in [0, 1), got ${options.dropout}`);
    this.#dropout = new Dropout(this.dropout, { generator: options.generator });
    const dtype = options.dtype ?? 'float32';
    const bound = 1 / Math.sqrt(hiddenSize);
    const draw = (shape: number[]) => uniform(-bound, bound, shape, { dtype, generator: options.generator });
    const fields = this as unknown as Record<string, Parameter>;
    for (let k = 0; k < this.numLayers; k++) {
      const rows = gates * hiddenSize;
      const input = k === 0 ? inputSize : hiddenSize;
      // PyTorch's field order: weight_ih, weight_hh, bias_ih, bias_hh of each layer in turn.
      fields[`weight_ih_l${k}`] = new Parameter(draw([rows, input]), { name: `weight_ih_l${k}` });
      fields[`weight_hh_l${k}`] = new Parameter(draw([rows, hiddenSize]), { name: `weight_hh_l${k}` });
      if (this.bias) {
        fields[`bias_ih_l${k}`] = new Parameter(draw([rows]), { name: `bias_ih_l${k}` });
        fields[`bias_hh_l${k}`] = new Parameter(draw([rows]), { name: `bias_hh_l${k}` });
      }
    }
  }

  /** One time step of one layer: the input projection xW_ihᵀ + b_ih of this step, the state, the weights. */
  protected abstract step(inputGates: Variable, state: Variable[], weights: LayerWeights): Variable[];

  /** Layer k's parameters, read from their fields now. */
  protected layerWeights(k: number): LayerWeights {
    const fields = this as unknown as Record<string, Variable | undefined>;
    return {
      weightIh: fields[`weight_ih_l${k}`]!,
      weightHh: fields[`weight_hh_l${k}`]!,
      biasIh: fields[`bias_ih_l${k}`] ?? null,
      biasHh: fields[`bias_hh_l${k}`] ?? null,
    };
  }

  /**
   * Runs the sequence: `x` is (T, N, inputSize) — (N, T, inputSize) with batchFirst — or an
   * unbatched (T, inputSize); `initial` holds, per state, a (numLayers, N, hiddenSize) value
   * (numLayers, hiddenSize unbatched), zeros when absent. Returns the last layer's h at every step
   * (in x's layout) and the final states of every layer.
   */
  protected run(x: Variable | Tensor, initial: readonly (StateInput | undefined)[]): [Variable, Variable[]] {
    checkForwardInput(this, x);
    const input = asVariable(this.constructor.name, x);
    const unbatched = input.ndim === 2;
    if ((input.ndim !== 3 && !unbatched) || input.shape[input.ndim - 1] !== this.inputSize) {
      const layout = this.batchFirst ? '(N, T, inputSize)' : '(T, N, inputSize)';
      throw new ShapeError(
        `${this.describe()}: expected input of shape ${layout} or (T, inputSize) with inputSize = ${this.inputSize}, got ${formatShape(input.shape)}`,
      );
    }
    // Time-major (T, N, I) inside: one contiguous slab per step.
    let sequence = unbatched ? input.unsqueeze(1) : this.batchFirst ? input.transpose([1, 0, 2]) : input;
    const [T, N] = sequence.shape;
    if (T === 0)
      throw new ShapeError(`${this.describe()}: the input sequence is empty (T = 0), got ${formatShape(input.shape)}`);
    const states = initial.map((s, i) => this.initialState(s, i, N, unbatched, input.dtype));
    const finals: Variable[][] = states.map(() => []);
    for (let k = 0; k < this.numLayers; k++) {
      const weights = this.layerWeights(k);
      const features = sequence.shape[2];
      // All steps' input projections in one product: (T·N, I)·W_ihᵀ + b_ih.
      let projected = sequence.reshape([T * N, features]).matmul(weights.weightIh.T);
      if (weights.biasIh) projected = projected.add(weights.biasIh);
      const perStep = projected.reshape([T, N, -1]).split(T, 0);
      let state = states.map((s) => s.getItem(k));
      const outputs: Variable[] = [];
      for (let t = 0; t < T; t++) {
        state = this.step(perStep[t].reshape([N, -1]), state, weights);
        outputs.push(state[0].unsqueeze(0));
      }
      state.forEach((s, i) => finals[i].push(s.unsqueeze(0)));
      sequence = concat(outputs, 0);
      if (k < this.numLayers - 1 && this.dropout > 0) sequence = this.dropBetweenLayers(sequence);
    }
    let output = this.batchFirst && !unbatched ? sequence.transpose([1, 0, 2]) : sequence;
    let last = finals.map((layers) => concat(layers, 0));
    if (unbatched) {
      output = output.squeeze(1);
      last = last.map((s) => s.squeeze(1));
    }
    return [output, last];
  }

  /** Dropout on a layer's outputs, in training only (PyTorch's `dropout` argument). */
  private dropBetweenLayers(sequence: Variable): Variable {
    this.#dropout.training = this.training;
    return this.#dropout.forward(sequence);
  }

  /** An initial state as a (numLayers, N, H) Variable: zeros when absent, else checked. */
  private initialState(
    s: StateInput | undefined,
    index: number,
    N: number,
    unbatched: boolean,
    dtype: Tensor['dtype'],
  ): Variable {
    const H = this.hiddenSize;
    if (s === undefined) return new Variable(zeros([this.numLayers, N, H], { dtype }), { requiresGrad: false });
    if (!(s instanceof Variable) && !(s instanceof Tensor))
      throw new ValueError(`${this.describe()}: an initial state must be a Variable or a Tensor, got ${typeof s}`);
    const expected = unbatched ? [this.numLayers, H] : [this.numLayers, N, H];
    if (s.ndim !== expected.length || s.shape.some((d, i) => d !== expected[i])) {
      const what = this.hasCell ? (index === 0 ? 'h0' : 'c0') : 'h0';
      throw new ShapeError(
        `${this.describe()}: ${what} must have shape ${formatShape(expected)} (numLayers, ${unbatched ? '' : 'N, '}hiddenSize), got ${formatShape(s.shape)}`,
      );
    }
    const v = asVariable(this.constructor.name, s);
    return unbatched ? v.unsqueeze(1) : v;
  }

  /** `Name(inputSize, hiddenSize)` for error messages. */
  protected describe(): string {
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize})`;
  }

  override extraRepr(): string {
    const extras = [
      this.numLayers !== 1 ? `numLayers=${this.numLayers}` : '',
      this.bias ? '' : 'bias=false',
      this.batchFirst ? 'batchFirst=true' : '',
      this.dropout ? `dropout=${this.dropout}` : '',
    ].filter((s) => s !== '');
    return [`${this.inputSize}, ${this.hiddenSize}`, ...extras].join(', ');
  }
}

/** h·W_hhᵀ + b_hh. */
function hiddenProjection(h: Variable, weights: LayerWeights): Variable {
  const gates = h.matmul(weights.weightHh.T);
  return weights.biasHh ? gates.add(weights.biasHh) : gates;
}

/**
 * An Elman recurrent net (PyTorch's nn.RNN): h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
 * (or relu). Weights `weight_ih_l{k}` (H, I_k), `weight_hh_l{k}` (H, H).
 * `forward(x, h0?)` returns the output sequence; `forwardWithState(x, h0?)` returns [output, hN].
 * @example const [out, hN] = new RNN(8, 16).forwardWithState(x); // x: (T, N, 8)
 */
export class RNN extends RecurrentBase {
  protected readonly hasCell = false;
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, options, 1);
    this.nonlinearity = options.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu')
      throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(options.nonlinearity)}`);
  }

  /** The output sequence: the last layer's h at each step, (T, N, H) or (N, T, H) with batchFirst. */
  forward(x: Variable | Tensor, h0?: StateInput): Variable {
    return this.run(x, [h0])[0];
  }

  /** PyTorch's (output, h_n): h_n is (numLayers, N, H). @example const [y, h] = rnn.forwardWithState(x, h0); */
  forwardWithState(x: Variable | Tensor, h0?: StateInput): [Variable, Variable] {
    const [output, [h]] = this.run(x, [h0]);
    return [output, h];
  }

  protected step(inputGates: Variable, [h]: Variable[], weights: LayerWeights): Variable[] {
    const pre = inputGates.add(hiddenProjection(h, weights));
    return [this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu()];
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'relu' ? ", nonlinearity='relu'" : '');
  }
}

/**
 * Long short-term memory (PyTorch's nn.LSTM). With the gates stacked in the order i, f, g, o:
 *
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
 *
 * Weights `weight_ih_l{k}` (4H, I_k), `weight_hh_l{k}` (4H, H), biases (4H).
 * `forward(x, [h0, c0]?)` returns the output sequence; `forwardWithState` returns PyTorch's
 * `[output, [hN, cN]]`.
 *
 * @example
 * const lstm = new LSTM(10, 20, { numLayers: 2 });
 * const [output, [hN, cN]] = lstm.forwardWithState(x); // x (T, N, 10) → output (T, N, 20), hN and cN (2, N, 20)
 */
export class LSTM extends RecurrentBase {
  protected readonly hasCell = true;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, options, 4);
  }

  forward(x: Variable | Tensor, state?: readonly [StateInput, StateInput]): Variable {
    return this.run(x, this.initial(state))[0];
  }

  /** PyTorch's (output, (h_n, c_n)). @example const [y, [h, c]] = lstm.forwardWithState(x, [h0, c0]); */
  forwardWithState(x: Variable | Tensor, state?: readonly [StateInput, StateInput]): [Variable, [Variable, Variable]] {
    const [output, [h, c]] = this.run(x, this.initial(state));
    return [output, [h, c]];
  }

  private initial(state: readonly [StateInput, StateInput] | undefined): (StateInput | undefined)[] {
    if (state === undefined) return [undefined, undefined];
    if (!Array.isArray(state) || state.length !== 2)
      throw new ValueError(`${this.describe()}: the initial state must be a pair [h0, c0], got ${typeof state}`);
    return [state[0], state[1]];
  }

  protected step(inputGates: Variable, [h, c]: Variable[], weights: LayerWeights): Variable[] {
    const [i, f, g, o] = inputGates.add(hiddenProjection(h, weights)).split(4, 1);
    const cell = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    return [o.sigmoid().mul(cell.tanh()), cell];
  }
}

/**
 * Gated recurrent unit (PyTorch's nn.GRU). With the gates stacked in the order r, z, n:
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * (r multiplies the hidden projection including its bias, as in PyTorch and cuDNN.) Weights
 * `weight_ih_l{k}` (3H, I_k), `weight_hh_l{k}` (3H, H), biases (3H).
 *
 * @example const [output, hN] = new GRU(10, 20, { batchFirst: true }).forwardWithState(x); // x (N, T, 10)
 */
export class GRU extends RecurrentBase {
  protected readonly hasCell = false;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, options, 3);
  }

  forward(x: Variable | Tensor, h0?: StateInput): Variable {
    return this.run(x, [h0])[0];
  }

  /** PyTorch's (output, h_n). @example const [y, h] = gru.forwardWithState(x, h0); */
  forwardWithState(x: Variable | Tensor, h0?: StateInput): [Variable, Variable] {
    const [output, [h]] = this.run(x, [h0]);
    return [output, h];
  }

  protected step(inputGates: Variable, [h]: Variable[], weights: LayerWeights): Variable[] {
    const [xr, xz, xn] = inputGates.split(3, 1);
    const [hr, hz, hn] = hiddenProjection(h, weights).split(3, 1);
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    return [n.add(z.mul(h.sub(n)))]; // (1 − z)·n + z·h
  }
}
