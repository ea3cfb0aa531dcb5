/**
 * The playground page: the lesson picker, the editor and its buttons, the graph explorer (the
 * page `graphHtml` of @nn/autograd/inspect writes, in a frame) and the training pictures. The
 * code itself runs in a worker (worker.ts), never on this thread.
 */
import { drawBoundary, drawCurve, drawDigits } from './charts.js';
import { DEFAULT_LESSON, LESSONS, type Lesson, lessonById } from './lessons.js';
import type { CurvePoint, Environment, ErrorReport, FromWorker, ToWorker, TrainingView } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  lesson: $<HTMLSelectElement>('lesson'),
  env: $('env'),
  isolation: $('isolation'),
  title: $('lesson-title'),
  source: $('lesson-source'),
  text: $('lesson-text'),
  vars: $('lesson-vars'),
  code: $<HTMLTextAreaElement>('code'),
  run: $<HTMLButtonElement>('run'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  reset: $<HTMLButtonElement>('reset'),
  settings: $('train-settings'),
  lr: $<HTMLInputElement>('lr'),
  epochs: $<HTMLInputElement>('epochs'),
  what: $('train-what'),
  progress: $<HTMLProgressElement>('progress'),
  status: $('status'),
  error: $('error'),
  frame: $<HTMLIFrameElement>('graph-frame'),
  training: $('training'),
  curve: $<HTMLCanvasElement>('curve'),
  view: $<HTMLCanvasElement>('view'),
  viewCaption: $('view-caption'),
  curveCaption: $('curve-caption'),
};

let lesson: Lesson = LESSONS[0];
/** The learner's edits, per lesson, kept while the page is open. */
const edits = new Map<string, string>();

// ---- the worker ----

let worker: Worker | null = null;
let nextId = 1;
let job: { id: number; kind: 'run' | 'train'; started: number; slow: number } | null = null;

function ensureWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (event: MessageEvent<FromWorker>) => receive(event.data);
  // An error the worker did not catch (its script failed to load, say): say so, never hang.
  w.onerror = (event) => {
    event.preventDefault();
    showError({
      name: 'Error',
      message: `the worker stopped: ${event.message || 'its script failed to load'}`,
      line: null,
      phase: 'run',
    });
    w.terminate();
    if (worker === w) worker = null;
    finish('');
  };
  worker = w;
  return w;
}

function send(kind: 'run' | 'train'): void {
  if (job) return;
  const id = nextId++;
  const code = ui.code.value;
  const message: ToWorker =
    kind === 'run'
      ? { type: 'run', id, lesson: lesson.id, code }
      : {
          type: 'train',
          id,
          lesson: lesson.id,
          code,
          settings: { lr: Number(ui.lr.value), epochs: Math.max(1, Math.round(Number(ui.epochs.value))) },
        };
  if (kind === 'train' && !(message.type === 'train' && message.settings.lr > 0)) {
    showError({
      name: 'ValueError',
      message: 'the learning rate must be a positive number',
      line: null,
      phase: 'train',
    });
    return;
  }
  hideError();
  const slow = window.setTimeout(() => {
    if (job?.id === id && kind === 'run')
      setStatus('Still running… Stop ends it (code that loops forever never finishes on its own).');
  }, 2000);
  job = { id, kind, started: performance.now(), slow };
  setBusy(kind);
  setStatus(kind === 'run' ? 'Running…' : 'Training…');
  ui.progress.value = 0;
  ensureWorker().postMessage(message);
}

function finish(status: string): void {
  if (job) window.clearTimeout(job.slow);
  job = null;
  setBusy(null);
  if (status) setStatus(status);
}

function stop(): void {
  if (!worker) return;
  worker.terminate();
  worker = null;
  const what = job?.kind === 'train' ? 'Training stopped' : 'Stopped';
  finish(`${what}: the worker running the code was ended; the next Run starts a new one.`);
}

// ---- training state, kept to redraw on resize ----

let view: TrainingView | null = null;
let curve: CurvePoint[] = [];
let iterations = 1;
let regions: Uint8Array | null = null;
let predictions: Int32Array | null = null;

function drawTraining(): void {
  if (ui.training.hidden) return;
  drawCurve(ui.curve, curve, iterations);
  if (view?.kind === 'boundary') drawBoundary(ui.view, view, regions);
  else if (view?.kind === 'digits') drawDigits(ui.view, view, predictions);
  else ui.view.getContext('2d')?.clearRect(0, 0, ui.view.width, ui.view.height);
}

function receive(message: FromWorker): void {
  if (message.type === 'ready') {
    showEnvironment(message.env);
    return;
  }
  if (!job || message.id !== job.id) return; // a message from a job already stopped
  switch (message.type) {
    case 'graph':
      showEnvironment(message.env);
      ui.frame.srcdoc = message.html;
      ui.frame.classList.remove('stale');
      if (job.kind === 'run') finish(`Ran in ${Math.round(message.milliseconds)} ms: ${message.summary}.`);
      break;
    case 'error':
      showError(message.error);
      // The frame still holds the last graph that worked: dimmed, and said so.
      if (ui.frame.srcdoc) ui.frame.classList.add('stale');
      finish(
        (job.kind === 'run' ? 'The code threw an error (below)' : 'Training stopped on an error (below)') +
          (ui.frame.srcdoc ? '; the graph shown is from the last run that worked.' : '.'),
      );
      break;
    case 'train-start':
      view = message.view;
      iterations = message.iterations;
      curve = [];
      regions = null;
      predictions = null;
      ui.viewCaption.textContent =
        view.kind === 'boundary'
          ? 'decision regions on the training points'
          : 'test digits: guess (label), red when wrong';
      drawTraining();
      break;
    case 'train-progress': {
      curve.push(...message.curve);
      if (message.regions) regions = message.regions;
      if (message.predictions) predictions = message.predictions;
      ui.progress.value = message.fraction;
      const last = curve.at(-1);
      setStatus(
        `Epoch ${message.epoch}, iteration ${last?.iteration ?? 0} of ${iterations}` +
          (last ? `: loss ${last.loss.toFixed(4)}, accuracy ${(100 * last.accuracy).toFixed(1)}%` : ''),
      );
      ui.curveCaption.textContent = last
        ? `loss ${last.loss.toFixed(3)} · accuracy ${(100 * last.accuracy).toFixed(1)}%`
        : 'loss and accuracy';
      drawTraining();
      break;
    }
    case 'train-done':
      ui.progress.value = 1;
      document.body.dataset.accuracy = String(message.accuracy);
      finish(
        `Trained in ${(message.milliseconds / 1000).toFixed(1)} s (${describeEnvironment(message.env)}): accuracy ${(100 * message.accuracy).toFixed(1)}%. The graph shows one batch with the trained values.`,
      );
      break;
  }
}

// ---- what the page says ----

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function setBusy(kind: 'run' | 'train' | null): void {
  document.body.dataset.state = kind === null ? 'idle' : kind === 'run' ? 'running' : 'training';
  ui.run.disabled = kind !== null;
  ui.train.disabled = kind !== null;
  ui.stop.disabled = kind === null;
  ui.lesson.disabled = kind === 'train';
}

const PHASES: Record<ErrorReport['phase'], string> = {
  compile: 'reading your code',
  run: 'running your code',
  graph: 'drawing the graph',
  train: 'training',
  data: 'loading the lesson’s data',
};

function showError(error: ErrorReport): void {
  ui.error.replaceChildren();
  const name = document.createElement('b');
  name.textContent = error.name;
  const where = ` while ${PHASES[error.phase]}${error.line === null ? '' : `, line ${error.line}`}: `;
  ui.error.append(name, document.createTextNode(where + error.message));
  ui.error.hidden = false;
  document.body.dataset.errors = String(Number(document.body.dataset.errors ?? 0) + 1);
}

function hideError(): void {
  ui.error.hidden = true;
  ui.error.replaceChildren();
}

function describeEnvironment(env: Environment): string {
  const kernels =
    env.backend === 'wasm' ? `wasm kernels${env.relaxedSimd ? ' (relaxed SIMD)' : ''}` : `${env.backend} kernels`;
  return `${kernels}, ${env.threads} thread${env.threads === 1 ? '' : 's'}`;
}

function showEnvironment(env: Environment): void {
  ui.env.textContent = `${describeEnvironment(env)}${env.isolated ? ', cross-origin isolated' : ''}`;
  showIsolation(env.isolated, env);
}

/** Said at once on load (the worker agrees later): no isolation means no threads. */
function showIsolation(isolated: boolean, env?: Environment): void {
  ui.isolation.hidden = isolated;
  ui.isolation.textContent = isolated
    ? ''
    : 'This page is not cross-origin isolated (its server sent no Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy headers), ' +
      `so SharedArrayBuffer is off and the code runs on one thread${env ? ` (${describeEnvironment(env)})` : ''}: training is slower. ` +
      '`pnpm playground` sends the headers; playground/README.md lists them for a static host.';
}

// ---- lessons ----

function fillLessons(): void {
  for (const l of LESSONS) {
    const option = document.createElement('option');
    option.value = l.id;
    option.textContent = l.title;
    ui.lesson.append(option);
  }
}

function lessonFromAddress(): Lesson {
  const id = /lesson=([\w-]+)/.exec(location.hash)?.[1] ?? DEFAULT_LESSON;
  return lessonById(id) ?? lessonById(DEFAULT_LESSON)!;
}

let opened = false;

function openLesson(next: Lesson): void {
  if (opened) edits.set(lesson.id, ui.code.value);
  opened = true;
  lesson = next;
  ui.lesson.value = next.id;
  ui.title.textContent = next.title;
  ui.source.textContent = next.source;
  ui.text.innerHTML = next.text; // our own text (lessons.ts), never the learner's
  ui.vars.textContent = next.variables;
  ui.code.value = edits.get(next.id) ?? next.code;
  ui.train.hidden = !next.train;
  ui.settings.hidden = !next.train;
  ui.training.hidden = !next.train;
  if (next.train) {
    ui.lr.value = String(next.train.lr);
    ui.epochs.value = String(next.train.epochs);
    ui.what.textContent = next.train.what;
  }
  view = null;
  curve = [];
  regions = null;
  predictions = null;
  ui.progress.value = 0;
  ui.viewCaption.textContent = '';
  ui.curveCaption.textContent = 'loss and accuracy';
  drawTraining();
  hideError();
  // Each lesson opens on its graph.
  if (job) stop();
  send('run');
}

// ---- events ----

ui.run.addEventListener('click', () => send('run'));
ui.train.addEventListener('click', () => send('train'));
ui.stop.addEventListener('click', stop);
ui.reset.addEventListener('click', () => {
  ui.code.value = lesson.code;
  edits.delete(lesson.id);
});
ui.lesson.addEventListener('change', () => {
  location.hash = `lesson=${ui.lesson.value}`;
});
window.addEventListener('hashchange', () => {
  const next = lessonFromAddress();
  if (next.id !== lesson.id) openLesson(next);
});
ui.code.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    send('run');
  } else if (event.key === 'Tab' && !event.shiftKey) {
    event.preventDefault();
    ui.code.setRangeText('  ', ui.code.selectionStart, ui.code.selectionEnd, 'end');
  }
});
ui.frame.addEventListener('load', () => {
  if (ui.frame.srcdoc) document.body.dataset.graphs = String(Number(document.body.dataset.graphs) + 1);
});
window.addEventListener('resize', drawTraining);
// Anything this page's own script throws is shown too, rather than leaving a half-built page.
window.addEventListener('error', (event) =>
  showError({ name: 'Error', message: event.message, line: null, phase: 'run' }),
);
window.addEventListener('unhandledrejection', (event) =>
  showError({
    name: 'Error',
    message: String((event.reason as Error)?.message ?? event.reason),
    line: null,
    phase: 'run',
  }),
);

fillLessons();
showIsolation(globalThis.crossOriginIsolated === true);
openLesson(lessonFromAddress());
