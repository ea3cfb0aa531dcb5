/**
 * How layers change shapes, at the type level, so that `Sequential` can infer the output shape of
 * its chain and a layer that does not fit the one before it is a compile error. TypeScript has no
 * type-level functions, so each layer names its rule with a phantom field (`declare readonly
 * shapeRule`, which emits nothing) and {@link ApplyRule} interprets it. A module without a rule
 * gives an unknown shape (`number[]`): the run-time check decides.
 */
import type { Dims, Flatten, ShapeMismatch, ShapeType } from '@nn/tensor';

/** The output has the input's shape (activations, dropout, normalization). */
export interface SameShape {
  readonly rule: 'same';
}

/** The last dimension `In` becomes `Out` (Linear). */
export interface LastDim<In extends number, Out extends number> {
  readonly rule: 'lastDim';
  readonly in: In;
  readonly out: Out;
}

/** Axes from `Start` on are flattened into one (Flatten). */
export interface Flattens<Start extends number> {
  readonly rule: 'flatten';
  readonly start: Start;
}

type Known<D> = number extends D ? false : true;
type LastOf<S extends ShapeType> = S extends readonly [...ShapeType, infer L] ? L : number;
export type WithLast<S extends ShapeType, D> = S extends readonly [...infer Init extends ShapeType, unknown]
  ? [...Dims<Init>, D]
  : number[];

/** `unknown` when the last dimension of `S` can be `In`, else the mismatch (op, expected, got). */
export type LastDimCheck<Op extends string, S extends ShapeType, In> =
  Known<In> extends true
    ? Known<LastOf<S>> extends true
      ? [LastOf<S>] extends [In]
        ? unknown
        : ShapeMismatch<Op, In, LastOf<S>>
      : unknown
    : unknown;

/** The shape a rule gives for input shape `S`; a mismatch as a {@link ShapeMismatch}. */
export type ApplyRule<R, S extends ShapeType, Op extends string = string> = R extends SameShape
  ? Dims<S>
  : R extends LastDim<infer In, infer Out>
    ? LastDimCheck<Op, S, In> extends ShapeMismatch<string, unknown, unknown>
      ? LastDimCheck<Op, S, In>
      : WithLast<S, Out>
    : R extends Flattens<infer Start>
      ? Flatten<S, Start>
      : R extends Window2d<unknown, unknown, unknown, unknown, unknown>
        ? ApplyWindow<R, S, Op>
        : number[];

/** The rule of a module (its phantom `shapeRule`), or unknown. */
type RuleOf<M> = M extends { readonly shapeRule?: infer R } ? R : unknown;

/** The class name a module's errors carry, for the mismatch type. */
type NameOf<M> = M extends { readonly shapeName?: infer N extends string } ? N : 'Module';

/** The output shape of a chain of modules applied to `S`, or the first {@link ShapeMismatch}. */
export type ChainShape<M extends readonly unknown[], S extends ShapeType> = M extends readonly [
  infer Head,
  ...infer Rest,
]
  ? ApplyRule<RuleOf<Head>, S, NameOf<Head>> extends infer Out
    ? Out extends ShapeType
      ? ChainShape<Rest, Out>
      : Out
    : never
  : Dims<S>;

/**
 * `unknown` when every module of the chain accepts what the one before it gives (starting from a
 * shape of unknown rank with an unknown last dimension, so only the links between layers are
 * checked), else the first mismatch.
 */
export type ChainCheck<M extends readonly unknown[]> = M extends readonly [infer Head, ...infer Rest]
  ? RuleOf<Head> extends LastDim<number, infer Out>
    ? ChainFrom<Rest, [number, Out]>
    : RuleOf<Head> extends Window2d<number, infer Out extends number, unknown, unknown, unknown>
      ? ChainFrom<Rest, [number, Out, number, number]>
      : ChainCheck<Rest>
  : unknown;

type ChainFrom<M extends readonly unknown[], S extends ShapeType> =
  ChainShape<M, S> extends ShapeMismatch<string, unknown, unknown> ? ChainShape<M, S> : unknown;

// ---- convolution and pooling: output sizes by type-level arithmetic on literal sizes ---------------

/** A tuple of length `N` (sizes of images and kernels are small enough for this). */
type Tup<N extends number, T extends unknown[] = []> = T['length'] extends N ? T : Tup<N, [...T, 0]>;
type Add<A extends number, B extends number> = [...Tup<A>, ...Tup<B>]['length'] & number;
/** `A − B`, or never when negative. */
type Sub<A extends number, B extends number> = Tup<A> extends [...Tup<B>, ...infer R] ? R['length'] : never;
/** `A / B` when `B` divides `A` exactly, else never. */
type DivExact<A extends number, B extends number, Q extends unknown[] = []> = A extends 0
  ? Q['length']
  : Sub<A, B> extends infer R extends number
    ? [R] extends [never]
      ? never
      : DivExact<R, B, [...Q, 0]>
    : never;
/** A size option as a pair: `5` → [5, 5], `[3, 1]` → [3, 1], anything else unknown. */
export type SizePair<S> = S extends number ? [S, S] : S extends readonly [infer H, infer W] ? [H, W] : [number, number];

type AllKnown<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R]
  ? Known<H> extends true
    ? AllKnown<R>
    : false
  : true;

/**
 * One output size of a convolution or pooling window, (H + 2·pad − size) / stride + 1, or `number`
 * where a size is not literal or the stride does not divide evenly (a run-time ShapeError, as the
 * seeds ask: the type accepts and the run-time check names the sizes).
 */
export type WindowSize<H, K, S, P> =
  AllKnown<[H, K, S, P]> extends true
    ? Sub<Add<H & number, Add<P & number, P & number>>, K & number> extends infer D extends number
      ? [D] extends [never]
        ? number
        : DivExact<D, S & number> extends infer Q extends number
          ? [Q] extends [never]
            ? number
            : Add<Q, 1>
          : number
      : number
    : number;

/** A 2-d window (Conv2d or pooling) from `[N, C, H, W]` to `[N, Out, OH, OW]` (`Out`: C for pooling). */
export interface Window2d<In, Out, K, S, P> {
  readonly rule: 'window2d';
  readonly in: In;
  readonly out: Out;
  readonly kernel: K;
  readonly stride: S;
  readonly pad: P;
}

/** The output shape of a {@link Window2d} on `S`: a channel mismatch as a {@link ShapeMismatch}. */
export type ApplyWindow<R, S extends ShapeType, Op extends string> =
  R extends Window2d<infer In, infer Out, infer K, infer St, infer P>
    ? S extends readonly [infer N, infer C, infer H, infer W]
      ? Known<In> extends true
        ? Known<C> extends true
          ? [C] extends [In]
            ? WindowOut<N, C, Out, H, W, SizePair<K>, SizePair<St>, SizePair<P>>
            : ShapeMismatch<Op, In, C>
          : WindowOut<N, C, Out, H, W, SizePair<K>, SizePair<St>, SizePair<P>>
        : WindowOut<N, C, Out, H, W, SizePair<K>, SizePair<St>, SizePair<P>>
      : IsTupleShape<S> extends true
        ? ShapeMismatch<Op, 'a 4-d input', S['length']>
        : number[]
    : number[];

type IsTupleShape<S extends ShapeType> = number extends S['length'] ? false : true;

type WindowOut<N, C, Out, H, W, K extends unknown[], St extends unknown[], P extends unknown[]> = [
  N,
  Out extends 'same' ? C : Out,
  WindowSize<H, K[0], St[0], P[0]>,
  WindowSize<W, K[1], St[1], P[1]>,
];

/** `unknown` when module `M` accepts input shape `S`, else its {@link ShapeMismatch}. */
export type LayerCheck<M, S extends ShapeType> =
  ApplyRule<RuleOf<M>, S, NameOf<M>> extends infer Out
    ? Out extends ShapeMismatch<string, unknown, unknown>
      ? Out
      : unknown
    : unknown;

/** The output shape of module `M` on input shape `S` (`number[]` where unknown). */
export type LayerOutput<M, S extends ShapeType> =
  ApplyRule<RuleOf<M>, S, NameOf<M>> extends infer Out extends ShapeType ? Out : number[];
