/**
 * Shapes at the type level: what `Tensor<S>` and `Variable<S>` carry so that TypeScript checks
 * shapes while the user types. Nothing here exists at run time (type aliases only), and the
 * run-time checks stay as they are: where a type cannot be sure (a dimension typed `number`, a
 * shape typed `number[]`), it accepts, and the run-time check decides.
 *
 * Conventions: a literal dimension (`784`) is known; `number` is unknown. A shape that is not a
 * tuple (`number[]`) is of unknown rank, and every result computed from it is `number[]`.
 */

/** A shape as a type: a tuple of dimensions (`[2, 3]`), or `number[]` when the rank is unknown. */
export type ShapeType = readonly number[];

/** A mutable copy of a shape tuple (`readonly [2, 3]` → `[2, 3]`), as results are written. */
export type Dims<S extends ShapeType> = [...S];

declare const dimBrand: unique symbol;

/**
 * A named dimension: a number at run time, a type of its own at compile time, so a batch size
 * stays symbolic through a model (`Tensor<[Dim<'batch'>, 784]>`). Made by {@link dim}.
 */
export type Dim<Name extends string> = number & { readonly [dimBrand]: Name };

/** Why two shapes do not fit, as a type the compiler prints: `ShapeMismatch<'add', 3, 4>`. */
export interface ShapeMismatch<Op extends string, A, B> {
  readonly shapeMismatch: [op: Op, left: A, right: B];
}

/** Whether a dimension is known (a literal or a named dimension) rather than plain `number`. */
type IsKnown<D> = number extends D ? (D extends Dim<string> ? true : false) : true;

/** Whether a shape is a tuple (known rank). */
type IsTuple<S extends ShapeType> = number extends S['length'] ? false : true;

// ---- broadcasting -----------------------------------------------------------------------------

/** The broadcast of two dimensions, or `never` where two known dimensions differ and neither is 1. */
type BroadcastDim<A, B> = A extends 1
  ? B
  : B extends 1
    ? A
    : IsKnown<A> extends false
      ? B
      : IsKnown<B> extends false
        ? A
        : [A] extends [B]
          ? [B] extends [A]
            ? A
            : never
          : never;

/** NumPy broadcasting of two tuples, right-aligned; `never` somewhere inside on a mismatch. */
type BroadcastTuples<A extends ShapeType, B extends ShapeType> = A extends readonly [
  ...infer AR extends ShapeType,
  infer AL,
]
  ? B extends readonly [...infer BR extends ShapeType, infer BL]
    ? [...BroadcastTuples<AR, BR>, BroadcastDim<AL, BL>]
    : Dims<A>
  : Dims<B>;

/** The shape two operands broadcast to (`number[]` when either rank is unknown). */
export type Broadcast<A extends ShapeType, B extends ShapeType> =
  IsTuple<A> extends true ? (IsTuple<B> extends true ? BroadcastTuples<A, B> : number[]) : number[];

/** The first pair of known dimensions that do not broadcast, right-aligned, or `never`. */
type FirstMismatch<A extends ShapeType, B extends ShapeType> = A extends readonly [
  ...infer AR extends ShapeType,
  infer AL,
]
  ? B extends readonly [...infer BR extends ShapeType, infer BL]
    ? [BroadcastDim<AL, BL>] extends [never]
      ? [AL, BL]
      : FirstMismatch<AR, BR>
    : never
  : never;

/** `unknown` for no mismatch (`never`), else the {@link ShapeMismatch} of the pair. */
type MismatchOf<Op extends string, Pair> = [Pair] extends [never]
  ? unknown
  : Pair extends [infer L, infer R]
    ? ShapeMismatch<Op, L, R>
    : unknown;

/**
 * `unknown` (no constraint) when `A` and `B` broadcast, else a {@link ShapeMismatch} naming the op
 * and the two dimensions, intersected with an argument's type so that the call does not compile.
 */
export type BroadcastCheck<Op extends string, A extends ShapeType, B extends ShapeType> =
  IsTuple<A> extends true ? (IsTuple<B> extends true ? MismatchOf<Op, FirstMismatch<A, B>> : unknown) : unknown;

// ---- matmul -----------------------------------------------------------------------------------

type Last<S extends ShapeType> = S extends readonly [...unknown[], infer L] ? L : number;
type SecondLast<S extends ShapeType> = S extends readonly [...unknown[], infer L, unknown] ? L : number;
type Batch<S extends ShapeType> = S extends readonly [...infer R extends ShapeType, unknown, unknown] ? R : [];

/** NumPy matmul's shape: 1-d·1-d → [], 2-d and batched with broadcast batch dimensions. */
export type MatMul<A extends ShapeType, B extends ShapeType> =
  IsTuple<A> extends false
    ? number[]
    : IsTuple<B> extends false
      ? number[]
      : A extends readonly [unknown]
        ? B extends readonly [unknown]
          ? []
          : [...Batch<B>, Last<B>]
        : B extends readonly [unknown]
          ? [...Dims<A extends readonly [...infer R extends ShapeType, unknown] ? R : []>]
          : [...Broadcast<Batch<A>, Batch<B>>, SecondLast<A>, Last<B>];

/** The contracted dimensions of a matmul: A's last against B's first (1-d) or second-last. */
type Contracted<B extends ShapeType> = B extends readonly [infer K] ? K : SecondLast<B>;

/** `unknown` when the inner dimensions of `A @ B` can agree, else a {@link ShapeMismatch}. */
export type MatMulCheck<Op extends string, A extends ShapeType, B extends ShapeType> =
  IsTuple<A> extends true
    ? IsTuple<B> extends true
      ? Last<A> extends infer K
        ? Contracted<B> extends infer L
          ? IsKnown<K> extends true
            ? IsKnown<L> extends true
              ? [K] extends [L]
                ? [L] extends [K]
                  ? MismatchOf<Op, FirstMismatch<Batch<A>, Batch<B>>>
                  : ShapeMismatch<Op, K, L>
                : ShapeMismatch<Op, K, L>
              : unknown
            : unknown
          : unknown
        : unknown
      : unknown
    : unknown;

// ---- axes -------------------------------------------------------------------------------------

type Tuple<N extends number, T extends unknown[] = []> = T['length'] extends N ? T : Tuple<N, [...T, unknown]>;

/** A literal axis made non-negative for a rank (`-1` of rank 3 → 2); `never` when out of range. */
export type NormalizeAxis<A extends number, Rank extends number> = `${A}` extends `-${infer N extends number}`
  ? Tuple<Rank> extends [...infer Rest, ...Tuple<N>]
    ? Rest['length']
    : never
  : A;

/** `S` without the dimension at index `I`. */
type RemoveAt<S extends ShapeType, I, Seen extends number[] = []> = S extends readonly [
  infer H,
  ...infer R extends ShapeType,
]
  ? Seen['length'] extends I
    ? Dims<R>
    : [H, ...RemoveAt<R, I, [...Seen, H & number]>]
  : [];

/** `S` with the dimension at index `I` replaced by `D`. */
type ReplaceAt<S extends ShapeType, I, D, Seen extends number[] = []> = S extends readonly [
  infer H,
  ...infer R extends ShapeType,
]
  ? Seen['length'] extends I
    ? [D, ...Dims<R>]
    : [H, ...ReplaceAt<R, I, D, [...Seen, H & number]>]
  : [];

/** The indices of a reduction's axes, non-negative, as a union. */
type AxisIndices<Axes, Rank extends number> = Axes extends number
  ? NormalizeAxis<Axes, Rank>
  : Axes extends readonly (infer A extends number)[]
    ? NormalizeAxis<A, Rank>
    : never;

type ReduceKnown<S extends ShapeType, I, Keep extends boolean, Seen extends number[] = []> = S extends readonly [
  infer H,
  ...infer R extends ShapeType,
]
  ? Seen['length'] extends I
    ? Keep extends true
      ? [1, ...ReduceKnown<R, I, Keep, [...Seen, 0]>]
      : ReduceKnown<R, I, Keep, [...Seen, 0]>
    : [H, ...ReduceKnown<R, I, Keep, [...Seen, 0]>]
  : [];

/**
 * The shape of a reduction over `Axes` (a literal axis, a tuple of them, or undefined for all),
 * keeping reduced axes as 1 when `Keep` is true.
 */
export type Reduce<S extends ShapeType, Axes, Keep extends boolean = false> =
  IsTuple<S> extends false
    ? number[]
    : [Axes] extends [undefined | null]
      ? Keep extends true
        ? Ones<S>
        : []
      : [Axes] extends [number]
        ? number extends Axes
          ? number[]
          : ReduceKnown<S, AxisIndices<Axes, S['length']>, Keep>
        : Axes extends readonly number[]
          ? IsTuple<Axes> extends true
            ? ReduceKnown<S, AxisIndices<Axes, S['length']>, Keep>
            : number[]
          : number[];

type Ones<S extends ShapeType> = S extends readonly [unknown, ...infer R extends ShapeType] ? [1, ...Ones<R>] : [];

/** The keepdims flag of reduce options as a literal type. */
export type KeepDims<O> = O extends { keepdims: true } ? true : false;

// ---- movement ---------------------------------------------------------------------------------

/** A shape as written for reshape: `-1` is inferred at run time, so its type is `number`. */
export type Reshaped<T extends ShapeType> = { -readonly [K in keyof T]: T[K] extends -1 ? number : T[K] };

type Reverse<S extends ShapeType> = S extends readonly [infer H, ...infer R extends ShapeType]
  ? [...Reverse<R>, H]
  : [];

/** `S` with its axes permuted by `Axes` (literal indices), or reversed when `Axes` is undefined. */
export type Permute<S extends ShapeType, Axes = undefined> =
  IsTuple<S> extends false
    ? number[]
    : [Axes] extends [undefined]
      ? Reverse<S>
      : Axes extends readonly number[]
        ? IsTuple<Axes> extends true
          ? { -readonly [K in keyof Axes]: S[NormalizeAxis<Axes[K] & number, S['length']> & keyof S] }
          : number[]
        : number[];

/** `S` with axes `I` and `J` swapped. */
export type SwapAxes<S extends ShapeType, I extends number, J extends number> =
  IsTuple<S> extends false
    ? number[]
    : number extends I | J
      ? number[]
      : ReplaceAt<
          ReplaceAt<S, NormalizeAxis<I, S['length']>, S[NormalizeAxis<J, S['length']> & keyof S]>,
          NormalizeAxis<J, S['length']>,
          S[NormalizeAxis<I, S['length']> & keyof S]
        >;

/** `S` with a 1 inserted at `A` (negative counts from the end of the result). */
export type Unsqueeze<S extends ShapeType, A extends number> =
  IsTuple<S> extends false
    ? number[]
    : number extends A
      ? number[]
      : InsertAt<S, NormalizeAxis<A, [...Dims<S>, 1]['length'] & number>, 1>;

type InsertAt<S extends ShapeType, I, D, Seen extends number[] = []> = Seen['length'] extends I
  ? [D, ...Dims<S>]
  : S extends readonly [infer H, ...infer R extends ShapeType]
    ? [H, ...InsertAt<R, I, D, [...Seen, 0]>]
    : [D];

type DropOnes<S extends ShapeType> = S extends readonly [infer H, ...infer R extends ShapeType]
  ? IsKnown<H> extends false
    ? never
    : H extends 1
      ? DropOnes<R>
      : [H, ...DropOnes<R>]
  : [];

/**
 * `S` without size-1 axes: the ones named by `A`, or all of them (an unknown dimension might be
 * 1, so squeezing all of a shape with one gives `number[]`).
 */
export type Squeeze<S extends ShapeType, A = undefined> =
  IsTuple<S> extends false
    ? number[]
    : [A] extends [undefined]
      ? [DropOnes<S>] extends [never]
        ? number[]
        : DropOnes<S>
      : [A] extends [number]
        ? number extends A
          ? number[]
          : RemoveAt<S, NormalizeAxis<A, S['length']>>
        : number[];

type Product<S extends ShapeType> = S extends readonly [] ? 1 : number;

/** `flatten()` of all axes: one dimension (literal only for rank 0 and 1). */
type FlattenAll<S extends ShapeType> = S extends readonly [infer D] ? [D] : [Product<S>];

/**
 * `flatten(startAxis)` to the last axis: the leading dimensions kept, the rest one `number`
 * (their product is not computed at the type level), or the dimension itself when only one is
 * left. `flatten(1)` of `[B, 1, 28, 28]` is `[B, number]`.
 */
export type Flatten<S extends ShapeType, Start extends number = 0> =
  IsTuple<S> extends false
    ? number[]
    : number extends Start
      ? number[]
      : NormalizeAxis<Start, S['length']> extends infer I extends number
        ? Split<S, I> extends [infer Head extends ShapeType, infer Tail extends ShapeType]
          ? [...Head, ...FlattenAll<Tail>]
          : number[]
        : number[];

type Split<S extends ShapeType, I extends number, Head extends number[] = []> = Head['length'] extends I
  ? [Head, Dims<S>]
  : S extends readonly [infer H extends number, ...infer R extends ShapeType]
    ? Split<R, I, [...Head, H]>
    : [Head, []];

/** A literal shape argument inferred as a tuple type (`[2, 3]`), `number` alone as `[n]`. */
export type ShapeOf<S> = S extends number ? [S] : S extends ShapeType ? Dims<S> : number[];

/**
 * A named dimension of size `size`: the number itself at run time, `Dim<Name>` at compile time, so
 * shapes built with it say which dimension is which: `randn([dim('batch', 32), 784])` is a
 * `Tensor<[Dim<'batch'>, 784]>`, and a function typed `(x: Tensor<[Dim<'batch'>, 784]>)` takes it.
 */
export function dim<const Name extends string>(name: Name, size: number): Dim<Name> {
  void name; // the name lives in the type only
  return size as Dim<Name>;
}

/**
 * `unknown` when the leading (batch) dimensions of `A` and `B` can agree, else a
 * {@link ShapeMismatch}: logits `[B, C]` against labels `[B]` or targets `[B, C]`.
 */
export type BatchCheck<Op extends string, A extends ShapeType, B extends ShapeType> = A extends readonly [
  infer X,
  ...ShapeType,
]
  ? B extends readonly [infer Y, ...ShapeType]
    ? IsKnown<X> extends true
      ? IsKnown<Y> extends true
        ? [X] extends [Y]
          ? [Y] extends [X]
            ? unknown
            : ShapeMismatch<Op, X, Y>
          : ShapeMismatch<Op, X, Y>
        : unknown
      : unknown
    : unknown
  : unknown;

// ---- basic indexing and joining ---------------------------------------------------------------

/** What one index does to the axis it meets: drop it, keep it, or slice it to an unknown size. */
type IndexedDim<I, D> = I extends number ? [] : I extends ':' | null ? [D] : [number];

/** Applies indices left to right, each to the next axis; the axes after the last index stay. */
type ApplyIndices<S extends ShapeType, I extends readonly unknown[]> = I extends readonly [
  infer H,
  ...infer R extends readonly unknown[],
]
  ? S extends readonly [infer D, ...infer Rest extends ShapeType]
    ? [...IndexedDim<H, D>, ...ApplyIndices<Rest, R>]
    : number[]
  : Dims<S>;

type SplitLast<S extends ShapeType, N extends number, Tail extends number[] = []> = Tail['length'] extends N
  ? [Dims<S>, Tail]
  : S extends readonly [...infer Init extends ShapeType, infer L extends number]
    ? SplitLast<Init, N, [L, ...Tail]>
    : never;

/**
 * The shape of `x.slice(...indices)` (NumPy basic indexing): a literal integer drops its axis,
 * `':'` or `null` keeps it, any other slice gives `number`, `'...'` stands for the axes the other
 * indices leave. Unknown where the indices are not literal.
 */
export type Sliced<S extends ShapeType, I extends readonly unknown[]> =
  IsTuple<S> extends false
    ? number[]
    : string extends I[number]
      ? number[]
      : [AroundEllipsis<I>] extends [never]
        ? ApplyIndices<S, I>
        : AroundEllipsis<I> extends [infer Before extends readonly unknown[], infer After extends readonly unknown[]]
          ? SplitLast<S, After['length']> extends [infer Head extends ShapeType, infer Tail extends ShapeType]
            ? ApplyIndices<Head, Before> extends infer A extends ShapeType
              ? [...A, ...ApplyIndices<Tail, After>]
              : number[]
            : number[]
          : ApplyIndices<S, I>;

/** The indices before and after a `'...'`, or never without one. */
type AroundEllipsis<I extends readonly unknown[], Before extends unknown[] = []> = I extends readonly [
  infer H,
  ...infer R extends readonly unknown[],
]
  ? H extends '...'
    ? [Before, R]
    : AroundEllipsis<R, [...Before, H]>
  : never;

type TupleOf<N extends number, T extends unknown[] = []> = T['length'] extends N ? T : TupleOf<N, [...T, 0]>;
type SumDims<D extends readonly unknown[], Acc extends unknown[] = []> = D extends readonly [
  infer H,
  ...infer R extends readonly unknown[],
]
  ? IsKnown<H> extends true
    ? SumDims<R, [...Acc, ...TupleOf<H & number>]>
    : number
  : Acc['length'];

type AxisDims<Shapes extends readonly ShapeType[], A extends number> = {
  [K in keyof Shapes]: Shapes[K][A & keyof Shapes[K]];
};

/**
 * The shape of `concat(tensors, axis)`: the first shape with the axis summed over all (literal
 * sizes only; `number` otherwise). The other dimensions are checked at run time.
 */
export type Concatenated<Shapes extends readonly ShapeType[], A extends number> = Shapes extends readonly [
  infer First extends ShapeType,
  ...ShapeType[],
]
  ? IsTuple<First> extends false
    ? number[]
    : number extends A
      ? number[]
      : NormalizeAxis<A, First['length']> extends infer I extends number
        ? { [K in keyof First]: K extends `${I}` ? SumDims<AxisDims<Shapes, I>> : First[K] } extends infer R extends
            ShapeType
          ? Dims<R>
          : number[]
        : number[]
  : number[];

/** The shape of `stack(tensors, axis)`: a new axis of the count, at `axis`. */
export type Stacked<Shapes extends readonly ShapeType[], A extends number> = Shapes extends readonly [
  infer First extends ShapeType,
  ...ShapeType[],
]
  ? IsTuple<First> extends false
    ? number[]
    : number extends A
      ? number[]
      : InsertAt<First, NormalizeAxis<A, [...Dims<First>, 1]['length'] & number>, Shapes['length']>
  : number[];
