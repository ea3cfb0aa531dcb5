/**
 * The messages between the page (main.ts) and the worker that runs the user's code and the
 * training (worker.ts). Everything crosses as structured-cloneable data: text, numbers, typed arrays.
 */

/** Training settings the page lets a learner change. */
export interface TrainSettings {
  /** SGD's learning rate. */
  lr: number;
  epochs: number;
}

export type ToWorker =
  /** Evaluate `code` in the lesson's scope, run backward, and send back the explorer page. */
  | { type: 'run'; id: number; lesson: string; code: string }
  /** Train the lesson's parameters on its data, with `code` as the loss. */
  | { type: 'train'; id: number; lesson: string; code: string; settings: TrainSettings };

/** Where the code runs: which kernels, how many threads, and why. */
export interface Environment {
  backend: string;
  /** Threads large products may use (1 without cross-origin isolation). */
  threads: number;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer and so wasm threads available). */
  isolated: boolean;
  /** Whether the relaxed-SIMD build of the kernels runs (null: no WebAssembly SIMD, the js kernels run). */
  relaxedSimd: boolean | null;
}

/** An error thrown by the user's code (or by the framework on its behalf). */
export interface ErrorReport {
  /** The error class: ShapeError, AutogradError, SyntaxError, … */
  name: string;
  /** The message; the framework's name the operation and the shapes. */
  message: string;
  /** The line of the user's code it was thrown from, when the stack says. */
  line: number | null;
  /** What was being done: compiling the code, running it, drawing the graph, training. */
  phase: 'compile' | 'run' | 'graph' | 'train' | 'data';
}

/** One point of the training curve. */
export interface CurvePoint {
  iteration: number;
  /** Mean loss since the previous point. */
  loss: number;
  /** Accuracy at this point: on the training set (spiral) or the test subset (MNIST). */
  accuracy: number;
}

/** What the page draws beside the curve: the spiral's decision regions or a grid of test digits. */
export type TrainingView =
  | {
      kind: 'boundary';
      /** The training points, x0 y0 x1 y1 …, and their classes. */
      points: Float32Array;
      labels: Int32Array;
      classes: number;
      /** The square the grid covers: [min, max] on both axes. */
      extent: [number, number];
      /** Cells per side of the grid. */
      grid: number;
    }
  | {
      kind: 'digits';
      /** `count` images of 28×28 bytes. */
      images: Uint8Array;
      labels: Int32Array;
      count: number;
    };

export type FromWorker =
  | { type: 'ready'; env: Environment }
  | { type: 'graph'; id: number; html: string; summary: string; milliseconds: number; env: Environment }
  | { type: 'error'; id: number; error: ErrorReport }
  | { type: 'train-start'; id: number; view: TrainingView; iterations: number; examples: number }
  | {
      type: 'train-progress';
      id: number;
      /** Iterations done over iterations planned. */
      fraction: number;
      epoch: number;
      /** New points since the previous message. */
      curve: CurvePoint[];
      /** The predicted class of each grid cell, row by row from the top (boundary view). */
      regions?: Uint8Array;
      /** The predicted digit of each shown test image (digits view). */
      predictions?: Int32Array;
      milliseconds: number;
    }
  | { type: 'train-done'; id: number; accuracy: number; milliseconds: number; env: Environment };
