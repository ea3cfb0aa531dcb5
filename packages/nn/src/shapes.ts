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
    : ChainCheck<Rest>
  : unknown;

type ChainFrom<M extends readonly unknown[], S extends ShapeType> =
  ChainShape<M, S> extends ShapeMismatch<string, unknown, unknown> ? ChainShape<M, S> : unknown;
