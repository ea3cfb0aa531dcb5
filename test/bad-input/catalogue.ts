/**
 * The bad-input catalogue: what a new user might write, and what @nn must answer. Each entry is a
 * snippet of JavaScript, run with the four packages in scope as `T` (@nn/tensor), `A`
 * (@nn/autograd), `nn` (@nn/nn), `data` (@nn/data) and `onnx` (@nn/onnx), plus `tmp` (a fresh temporary folder) and
 * `fs`/`path` (Node's). A snippet that is one expression is its own result; otherwise it is a
 * function body (`await` allowed) that may `return` one.
 *
 * An entry either names the error it must throw (its class, which must be an `NNError`, and words
 * its message must contain, so a message that names neither the op nor the value fails), or gives
 * the value it must return, for inputs whose right answer is not an error.
 */
import type { NNError } from '@nn/tensor';

export type ErrorClass = abstract new (...args: never[]) => NNError;

export type Entry =
  | { snippet: string; throws: ErrorClass; names: string[]; note?: string }
  | { snippet: string; returns: unknown; note?: string };
