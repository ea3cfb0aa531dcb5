/**
 * The playground's worker: it evaluates the learner's code, records and draws the graph, and
 * trains the live lessons, all off the page's thread. The page stays responsive, and Stop (or a
 * runaway loop in the code) is handled by terminating this worker and starting a new one.
 */
import { Tensor, getBackend, getThreads, ones, wasmFeatures, zeros } from '@nn/tensor';
import { Variable, variable } from '@nn/autograd';
import { graphHtml, graphToJSON, traceBackward } from '@nn/autograd/inspect';
import { SGD } from '@nn/nn';
import { type Compiled, compile, report } from './evaluate.js';
import { lessonById } from './lessons.js';
import type { CurvePoint, Environment, ErrorReport, FromWorker, ToWorker, TrainSettings } from './protocol.js';
import { DIGITS_SHOWN, LIBRARY, lessonScope, mnistDigits, trainingSetup } from './scopes.js';

const post = (message: FromWorker, transfer: Transferable[] = []): void => self.postMessage(message, { transfer });

/** Thrown to stop with a report already made (the phase and line it names). */
class Reported extends Error {
  constructor(readonly report: ErrorReport) {
    super(report.message);
  }
}

function environment(): Environment {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const backend = getBackend();
  return {
    backend,
    // Without isolation there is no SharedArrayBuffer: the pool cannot start and products run here.
    threads: backend === 'wasm' && isolated ? getThreads() : 1,
    isolated,
    relaxedSimd: wasmFeatures()?.relaxedSimd ?? null,
  };
}

/** Compiles the code over the scope's names; a syntax error is reported as such. */
function compileFor(code: string, scope: Record<string, unknown>): { compiled: Compiled; names: string[] } {
  const names = [...new Set([...Object.keys(LIBRARY), ...Object.keys(scope)])];
  try {
    return { compiled: compile(code, names), names };
  } catch (e) {
    throw new Reported(report(e, 'compile'));
  }
}

function describe(value: unknown, form: Compiled['form']): string {
  if (value === undefined) {
    return form === 'statements'
      ? 'undefined (statements need a `return` of the output)'
      : 'undefined (give the output itself: Run calls backward)';
  }
  if (value === null) return 'null';
  if (value instanceof Tensor) return 'a Tensor, which records no graph (make it with variable(...))';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}

/** Runs the compiled code with the scope's values; its result must be a Variable. */
function evaluate(compiled: Compiled, names: readonly string[], scope: Record<string, unknown>): Variable {
  const values = names.map((name) => (name in scope ? scope[name] : LIBRARY[name]));
  let result: unknown;
  try {
    result = compiled.run(...values);
  } catch (e) {
    throw new Reported(report(e, 'run', compiled));
  }
  if (!(result instanceof Variable)) {
    throw new Reported({
      name: 'TypeError',
      message: `the code must give a Variable (the output whose graph is drawn), but it gave ${describe(result, compiled.form)}`,
      line: null,
      phase: 'run',
    });
  }
  return result;
}

/** The most elements a value may have for the drawing to print it. */
const SMALL = 8;
/** The most values and nodes drawn: a 600-item chain lays out in about two seconds. */
const MAX_DRAWN = 600;

/** Backward from `output` (seeded with ones when it has several elements) and the explorer page. */
async function graphOf(output: Variable, title: string): Promise<{ html: string; summary: string }> {
  const grad = output.size === 1 ? undefined : ones(output.shape, { dtype: output.dtype });
  let steps;
  try {
    steps = traceBackward(output, grad === undefined ? {} : { grad });
    output.backward({ ...(grad === undefined ? {} : { grad }), retainGraph: true });
  } catch (e) {
    throw new Reported(report(e, 'run'));
  }
  try {
    // Values and gradients are written in the drawing, as in the seeds' figures, while they are
    // a few numbers each; larger ones would widen every ellipse, so those show on hover and click.
    const json = graphToJSON(output);
    const size = json.variables.length + json.nodes.length;
    if (size > MAX_DRAWN) {
      throw new Reported({
        name: 'RangeError',
        message: `the graph has ${json.nodes.length} nodes and ${json.variables.length} values; the playground draws at most ${MAX_DRAWN} in all (Graphviz would take minutes): make it smaller, e.g. fewer loop iterations`,
        line: null,
        phase: 'graph',
      });
    }
    const small = json.variables.every((v) => v.shape.reduce((a, b) => a * b, 1) <= SMALL);
    const html = await graphHtml(output, { title, trace: steps, values: small, grads: small });
    const shape = `(${output.shape.join(',')})`;
    const value = output.size === 1 ? ` = ${Number(output.data.item().toPrecision(6))}` : '';
    const seed = grad === undefined ? '' : ' (backward seeded with ones)';
    return { html, summary: `output ${shape} ${output.dtype}${value}${seed}, ${steps.length} nodes` };
  } catch (e) {
    if (e instanceof Reported) throw e;
    throw new Reported(report(e, 'graph'));
  }
}

async function run(id: number, lessonId: string, code: string): Promise<void> {
  const start = performance.now();
  const scope = await lessonScope(lessonId).catch((e) => {
    throw new Reported(report(e, 'data'));
  });
  const { compiled, names } = compileFor(code, scope);
  const output = evaluate(compiled, names, scope);
  const { html, summary } = await graphOf(output, lessonById(lessonId)?.title ?? 'Computation graph');
  post({ type: 'graph', id, html, summary, milliseconds: performance.now() - start, env: environment() });
}

/** The scores behind a loss: the first input of the loss's node (softmax-with-loss takes them first). */
function scoresOf(loss: Variable): Variable {
  const scores = loss.creator?.inputs[0];
  if (!(scores instanceof Variable) || scores.ndim !== 2) {
    throw new Reported({
      name: 'TypeError',
      message:
        'to train, the code must return a loss whose node takes the scores (N, classes) first, as F.softmaxCrossEntropy(scores, t) does',
      line: null,
      phase: 'train',
    });
  }
  return scores;
}

/** Predicted classes for the rows of x, from the code's own forward pass. */
function predict(compiled: Compiled, names: readonly string[], scope: Record<string, unknown>, x: Tensor): Tensor {
  const labels = zeros([x.shape[0]], { dtype: 'int32' });
  const loss = evaluate(compiled, names, { ...scope, x: variable(x, { name: 'x', requiresGrad: false }), t: labels });
  return scoresOf(loss).data.argmax(1);
}

const accuracyOf = (predicted: Tensor, t: Tensor): number => predicted.eq(t).mean().item();

/** The spiral's decision regions: a GRID × GRID raster of predicted classes over EXTENT². */
const GRID = 72;
const EXTENT: [number, number] = [-1.1, 1.1];
function gridPoints(): Tensor {
  const xy = new Float32Array(GRID * GRID * 2);
  const step = (EXTENT[1] - EXTENT[0]) / (GRID - 1);
  for (let row = 0; row < GRID; row++)
    for (let col = 0; col < GRID; col++) {
      const k = (row * GRID + col) * 2;
      xy[k] = EXTENT[0] + col * step;
      xy[k + 1] = EXTENT[1] - row * step; // row 0 at the top
    }
  return new Tensor(xy, [GRID * GRID, 2]);
}

async function train(id: number, lessonId: string, code: string, settings: TrainSettings): Promise<void> {
  const start = performance.now();
  const setup = await trainingSetup(lessonId).catch((e) => {
    throw new Reported(report(e, 'data'));
  });
  if (setup === null)
    throw new Reported({ name: 'Error', message: `${lessonId} is not a training lesson`, line: null, phase: 'train' });
  const { train: data, evaluation, params, batchSize, pointEvery, generator } = setup;
  const { compiled, names } = compileFor(code, { ...params, x: null, t: null });
  const optimizer = new SGD(Object.values(params), { lr: settings.lr });
  const n = data.x.shape[0];
  const perEpoch = Math.floor(n / batchSize);
  const iterations = perEpoch * settings.epochs;
  const grid = setup.view === 'boundary' ? gridPoints() : null;

  if (setup.view === 'boundary') {
    post({
      type: 'train-start',
      id,
      iterations,
      examples: n,
      view: {
        kind: 'boundary',
        points: Float32Array.from((data.x.toArray() as number[][]).flat()),
        labels: Int32Array.from(data.t.toArray() as number[]),
        classes: Object.values(params).at(-1)!.shape[0],
        extent: EXTENT,
        grid: GRID,
      },
    });
  } else {
    const digits = await mnistDigits();
    post({
      type: 'train-start',
      id,
      iterations,
      examples: n,
      view: { kind: 'digits', images: digits.images, labels: digits.labels, count: DIGITS_SHOWN },
    });
  }

  let iteration = 0;
  let lossSum = 0;
  let lossCount = 0;
  let curve: CurvePoint[] = [];
  let lastPost = 0;
  let accuracy = 0;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    const order = new Tensor(generator.permutation(n), [n]);
    const xs = data.x.take(order, 0);
    const ts = data.t.take(order, 0);
    for (let b = 0; b < perEpoch; b++) {
      const rows = `${b * batchSize}:${(b + 1) * batchSize}`;
      const loss = evaluate(compiled, names, {
        ...params,
        x: variable(xs.slice(rows), { name: 'x', requiresGrad: false }),
        t: ts.slice(rows),
      });
      if (loss.size !== 1) {
        throw new Reported({
          name: 'ShapeError',
          message: `to train, the loss must be one number; the code gave shape (${loss.shape.join(',')})`,
          line: null,
          phase: 'train',
        });
      }
      optimizer.zeroGrad();
      try {
        loss.backward();
      } catch (e) {
        throw new Reported(report(e, 'train'));
      }
      optimizer.step();
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Reported({
          name: 'ValueError',
          message: `the loss became ${value} at iteration ${iteration + 1} (epoch ${epoch + 1}): try a smaller learning rate than ${settings.lr}`,
          line: null,
          phase: 'train',
        });
      }
      lossSum += value;
      lossCount++;
      iteration++;
      if (iteration % pointEvery !== 0 && iteration !== iterations) continue;
      const predicted = predict(compiled, names, params, evaluation.x);
      accuracy = accuracyOf(predicted, evaluation.t);
      curve.push({ iteration, loss: lossSum / lossCount, accuracy });
      lossSum = 0;
      lossCount = 0;
      const now = performance.now();
      if (now - lastPost < 120 && iteration !== iterations) continue;
      lastPost = now;
      const message: FromWorker = {
        type: 'train-progress',
        id,
        fraction: iteration / iterations,
        epoch: epoch + 1,
        curve,
        milliseconds: now - start,
      };
      if (grid) message.regions = Uint8Array.from(predict(compiled, names, params, grid).toArray() as number[]);
      else message.predictions = Int32Array.from((predicted.toArray() as number[]).slice(0, DIGITS_SHOWN));
      post(message);
      curve = [];
    }
  }
  // The graph of one batch again, now with the trained values and their gradients.
  const loss = evaluate(compiled, names, {
    ...params,
    x: variable(data.x.slice(`0:${batchSize}`), { name: 'x', requiresGrad: false }),
    t: data.t.slice(`0:${batchSize}`),
  });
  const { html, summary } = await graphOf(loss, `${lessonById(lessonId)?.title ?? 'Training'}: after training`);
  const env = environment();
  post({ type: 'graph', id, html, summary, milliseconds: performance.now() - start, env });
  post({ type: 'train-done', id, accuracy, milliseconds: performance.now() - start, env });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const job =
    message.type === 'run'
      ? run(message.id, message.lesson, message.code)
      : train(message.id, message.lesson, message.code, message.settings);
  job.catch((e: unknown) =>
    post({
      type: 'error',
      id: message.id,
      error: e instanceof Reported ? e.report : report(e, message.type === 'run' ? 'run' : 'train'),
    }),
  );
};

post({ type: 'ready', env: environment() });
