/**
 * The shared timing harness of the @nn benchmarks.
 *
 * Each case is timed for @nn and, in the same process, for TensorFlow.js on its `cpu` backend
 * (and its `wasm` backend when `@tensorflow/tfjs-backend-wasm` loads). A measurement warms up
 * first (JIT compilation, code generation, scratch buffers), then repeats the call in batches
 * until a minimum time has passed and reports the median time per call: the median ignores the
 * odd sample that a garbage collection or the other process on a 2-core machine lands in.
 * @nn and the tfjs backends take turns in rounds within each row, so load that comes and goes
 * during a row affects every column alike.
 *
 * Fairness rules, the same for every row:
 * - Inputs are built outside the timed call, from the same numbers for both libraries.
 * - @nn results are plain typed arrays once the call returns, so nothing more is needed.
 * - tfjs calls run inside `tf.tidy` and end with `dataSync()`, so the timed call includes
 *   whatever it takes to get the numbers out (a copy out of the wasm heap, for example) and
 *   frees every intermediate, as a user of tfjs would write it.
 * - Before timing, each tfjs result is compared with @nn's, so both compute the same thing.
 *
 * Knobs (environment): BENCH_TIME=seconds of samples per column and row (default 0.6),
 * BENCH_ROUNDS=turns the columns take within a row (default 3), BENCH_BACKENDS=cpu,wasm
 * (which tfjs backends to compare against; default both).
 *
 * @example
 * // bench/example.bench.ts
 * import { runSuite, type Suite } from './harness.js';
 * export const suite: Suite = { name: 'example', title: 'Example', goal: 'faster than tfjs-cpu', cases: [...] };
 * // then: node --import tsx bench/run.ts example
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type * as TF from '@tensorflow/tfjs';
import { wasmFeatures } from '@nn/tensor';

/** The tfjs module, as the cases receive it. */
export type Tfjs = typeof TF;

/** The tfjs backends a row can be compared against. */
export type TfjsBackend = 'cpu' | 'wasm';

/** One row of a benchmark: the same computation in @nn and (optionally) in tfjs. */
export interface BenchCase {
  /** Short label, e.g. `matmul 256³`. */
  name: string;
  /** One line on what the row measures (kept in the JSON and useful in READMEs). */
  description?: string;
  /** Floating-point operations of one call; when given, GFLOP/s is reported. */
  flops?: number;
  /** The least tfjs-cpu/@nn ratio this row should reach (1 = as fast as tfjs-cpu). */
  target?: number;
  /** An absolute goal for @nn's own figure: a time per call at most, or GFLOP/s at least. */
  goal?: AbsoluteGoal;
  /** Builds the inputs and returns the call to time; its return value is checked against tfjs. */
  nn: () => () => unknown;
  /**
   * Builds the tfjs inputs (on the active backend) and returns the call to time. Tensors
   * created here are freed after the row; the call itself runs inside `tf.tidy`.
   */
  tfjs?: (tf: Tfjs) => () => TF.Tensor;
  /** Largest allowed |@nn − tfjs| relative to the largest |tfjs| value (default 1e-4). */
  tolerance?: number;
}

/** A row's absolute goal: `maxMs` per call, or `minGflops` (needs `flops`). */
export interface AbsoluteGoal {
  maxMs?: number;
  minGflops?: number;
}

/** A benchmark file's rows and the goal it states. */
export interface Suite {
  /** File stem and results name: `tensor` for `tensor.bench.ts` and `results/tensor.json`. */
  name: string;
  title: string;
  /** The target, printed with the table, e.g. "faster than tfjs-cpu on every row". */
  goal: string;
  cases: BenchCase[];
}

/** Median and spread of one measurement, in milliseconds per call. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  /** Calls per sample (fast calls are batched so that timer resolution does not matter). */
  batch: number;
  samples: number;
}

/** A measured row, as `compare` prints it and the JSON stores it. */
export interface Row {
  name: string;
  description?: string;
  flops?: number;
  target?: number;
  goal?: AbsoluteGoal;
  nn: Timing;
  tfjs: Partial<Record<TfjsBackend, Timing>>;
  /** Largest relative difference from each tfjs backend's result. */
  difference: Partial<Record<TfjsBackend, number>>;
}

export interface MachineInfo {
  node: string;
  v8: string;
  cpu: string;
  cores: number;
  platform: string;
  memoryGiB: number;
  /** 1-minute load average when the suite started: above ~1 means other work shared the cores. */
  load: number;
  tfjs?: string;
  wasm?: { simd: boolean; threads: boolean; threadCount?: number };
  /** @nn's WebAssembly build: 'relaxed SIMD (FMA)', 'SIMD128', or 'none'. */
  nnWasm?: string;
}

export interface MeasureOptions {
  /** Seconds of timed samples after warm-up (default BENCH_TIME or 0.6). */
  minTime?: number;
  /** Seconds of warm-up, at least one call (default 0.2). */
  warmup?: number;
  /** Fewest samples, whatever the time (default 3). */
  minSamples?: number;
}

const now = (): number => performance.now();

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Collects timing samples of one call. Fast calls are batched (each sample ≥ 2 ms) so timer
 * resolution does not matter; the batch size is fixed at warm-up so every sample is alike.
 */
export class Sampler {
  private readonly samples: number[] = [];
  private batch = 1;

  constructor(private readonly fn: () => void) {}

  /** Runs the call for at least `seconds` (and at least once), then sizes the batches. */
  warm(seconds: number): void {
    let calls = 0;
    const start = now();
    do {
      this.fn();
      calls++;
    } while (now() - start < seconds * 1000);
    const perCall = (now() - start) / calls;
    this.batch = Math.max(1, Math.ceil(2 / Math.max(perCall, 1e-6)));
  }

  /** Takes samples until `seconds` have passed and at least `minSamples` were taken. */
  sample(seconds: number, minSamples: number): void {
    const start = now();
    let taken = 0;
    while (taken < minSamples || now() - start < seconds * 1000) {
      const t0 = now();
      for (let i = 0; i < this.batch; i++) this.fn();
      this.samples.push((now() - t0) / this.batch);
      taken++;
    }
  }

  /** Median, min and max per call over every sample so far. */
  result(): Timing {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median, min: sorted[0], max: sorted[sorted.length - 1], batch: this.batch, samples: sorted.length };
  }
}

/**
 * Times `fn`: warm-up, then batches of calls until `minTime` has passed and `minSamples`
 * batches were taken; returns the median time per call in ms.
 *
 * @example measure(() => void matmul(a, b)).median // ms per call
 */
export function measure(fn: () => void, options: MeasureOptions = {}): Timing {
  const sampler = new Sampler(fn);
  sampler.warm(options.warmup ?? 0.2);
  sampler.sample(options.minTime ?? envNumber('BENCH_TIME', 0.6), options.minSamples ?? 3);
  return sampler.result();
}

// ---- tfjs ----------------------------------------------------------------------------------------

interface TfjsRuntime {
  tf: Tfjs;
  backends: TfjsBackend[];
  info: Pick<MachineInfo, 'tfjs' | 'wasm'>;
}

let runtime: Promise<TfjsRuntime> | undefined;

/** Loads tfjs once; the wasm backend is optional and skipped (with a note) if it does not load. */
export function loadTfjs(): Promise<TfjsRuntime> {
  runtime ??= (async () => {
    const wanted = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',').map((s) => s.trim());
    const tf = await import('@tensorflow/tfjs');
    // Production mode only silences tfjs's console advice (install tfjs-node); no kernel changes.
    tf.enableProdMode();
    const backends: TfjsBackend[] = [];
    const info: TfjsRuntime['info'] = { tfjs: tf.version.tfjs };
    if (wanted.includes('cpu') && (await tf.setBackend('cpu'))) backends.push('cpu');
    if (wanted.includes('wasm')) {
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        if (await tf.setBackend('wasm')) {
          backends.push('wasm');
          info.wasm = {
            simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
            threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
            threadCount: wasm.getThreadsCount?.(),
          };
        }
      } catch (error) {
        console.log(`(tfjs-wasm column skipped: ${(error as Error).message})`);
      }
    }
    return { tf, backends, info };
  })();
  return runtime;
}

/** Node, V8, CPU model and core count, plus the tfjs version and wasm features once loaded. */
function nnWasmBuild(): string {
  const features = wasmFeatures();
  return features === null ? 'none' : features.relaxedSimd ? 'relaxed SIMD (FMA)' : 'SIMD128';
}

export function machineInfo(extra: Partial<MachineInfo> = {}): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    load: Math.round(os.loadavg()[0] * 100) / 100,
    nnWasm: nnWasmBuild(),
    ...extra,
  };
}

function values(result: unknown): ArrayLike<number> | undefined {
  if (result && typeof result === 'object') {
    const r = result as { toTypedArray?: () => ArrayLike<number>; length?: number };
    if (typeof r.toTypedArray === 'function') return r.toTypedArray();
    if (typeof r.length === 'number') return result as ArrayLike<number>;
  }
  if (typeof result === 'number') return [result];
  return undefined;
}

/** max |a − b| / max |b|; Infinity when lengths differ. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** Measures every case of `suite`, prints the table, and writes `bench/results/<name>.json`. */
export async function runSuite(suite: Suite): Promise<Row[]> {
  const { tf, backends, info } = await loadTfjs();
  const machine = machineInfo(info);
  console.log(`\n## ${suite.title}\n`);
  console.log(formatMachine(machine));
  const rows: Row[] = [];
  const rounds = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 3)));
  const seconds = envNumber('BENCH_TIME', 0.6);
  for (const c of suite.cases) {
    rows.push(await measureCase(tf, backends, c, rounds, seconds));
    process.stdout.write(`  measured ${c.name}\n`);
  }
  console.log();
  compare(rows);
  const judged = rows.filter(hasTarget);
  const misses = judged.filter((r) => !meetsTarget(r));
  console.log(`\nTarget: ${suite.goal}.`);
  if (judged.length > 0) {
    console.log(
      misses.length === 0
        ? `All ${judged.length} rows with a target meet it.`
        : `Rows short of their target: ${misses.map((r) => r.name).join(', ')}.`,
    );
  }
  writeResults(suite, machine, rows);
  return rows;
}

/**
 * Measures one case for @nn and each tfjs backend. The contestants take turns: `rounds`
 * rounds of `seconds / rounds` each, so a change in background load during the row (the
 * machine is shared) hits every column alike instead of whichever ran last.
 */
async function measureCase(
  tf: Tfjs,
  backends: readonly TfjsBackend[],
  c: BenchCase,
  rounds: number,
  seconds: number,
): Promise<Row> {
  const difference: Row['difference'] = {};
  const nnCall = c.nn();
  const nnValues = values(nnCall());
  const contestants: { key: 'nn' | TfjsBackend; sampler: Sampler }[] = [
    { key: 'nn', sampler: new Sampler(() => void nnCall()) },
  ];
  tf.engine().startScope();
  try {
    if (c.tfjs) {
      for (const backend of backends) {
        await tf.setBackend(backend);
        // Inputs are made on the backend that will use them, so no call pays a transfer.
        const tfCall = c.tfjs(tf);
        if (nnValues) {
          // Not `tf.tidy(() => call().dataSync())`: tidy would walk the returned array element by element.
          let reference: ArrayLike<number> = [];
          tf.tidy(() => void (reference = tfCall().dataSync()));
          const d = relativeDifference(nnValues, reference);
          difference[backend] = d;
          if (!(d <= (c.tolerance ?? 1e-4))) {
            console.log(`WARNING ${c.name}: @nn and tfjs-${backend} differ by ${d.toExponential(2)} (relative)`);
          }
        }
        contestants.push({ key: backend, sampler: new Sampler(() => tf.tidy(() => void tfCall().dataSync())) });
      }
    }
    const select = async (key: 'nn' | TfjsBackend) => {
      if (key !== 'nn') await tf.setBackend(key);
    };
    for (const { key, sampler } of contestants) {
      await select(key);
      sampler.warm(0.2);
    }
    for (let round = 0; round < rounds; round++) {
      for (const { key, sampler } of contestants) {
        await select(key);
        sampler.sample(seconds / rounds, round === rounds - 1 ? 2 : 1);
      }
    }
  } finally {
    tf.engine().endScope();
  }
  const [nn, ...others] = contestants.map(({ key, sampler }) => [key, sampler.result()] as const);
  const tfjs: Row['tfjs'] = Object.fromEntries(others);
  return {
    name: c.name,
    description: c.description,
    flops: c.flops,
    target: c.target,
    goal: c.goal,
    nn: nn[1],
    tfjs,
    difference,
  };
}

/** tfjs time / @nn time: above 1 means @nn is faster. NaN when tfjs was not measured. */
export function ratio(row: Row, backend: TfjsBackend): number {
  const theirs = row.tfjs[backend];
  return theirs ? theirs.median / row.nn.median : NaN;
}

/** 1.23 µs / 45.6 ms / 1.20 s */
export function formatTime(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

function formatMachine(m: MachineInfo): string {
  const wasm = m.wasm
    ? `; tfjs-wasm simd=${m.wasm.simd} threads=${m.wasm.threads}${m.wasm.threadCount ? ` (${m.wasm.threadCount})` : ''}`
    : '';
  const busy =
    m.load > 1
      ? `\nNOTE: load average ${m.load} on ${m.cores} cores: other processes are running, figures will be noisy.`
      : '';
  const nn = m.nnWasm ? `; @nn wasm build: ${m.nnWasm}` : '';
  return `Node ${m.node} (V8 ${m.v8}), ${m.cpu}, ${m.cores} cores, ${m.platform}${nn}; tfjs ${m.tfjs ?? '—'}${wasm}${busy}\n`;
}

function hasTarget(r: Row): boolean {
  return r.target !== undefined || r.goal?.maxMs !== undefined || r.goal?.minGflops !== undefined;
}

/** Every goal the row states holds: the ratio to tfjs-cpu, the time per call, the GFLOP/s. */
function meetsTarget(r: Row): boolean {
  const { target, goal, flops, nn } = r;
  if (target !== undefined && !(ratio(r, 'cpu') >= target)) return false;
  if (goal?.maxMs !== undefined && !(nn.median <= goal.maxMs)) return false;
  if (goal?.minGflops !== undefined && !(flops !== undefined && flops / nn.median / 1e6 >= goal.minGflops))
    return false;
  return true;
}

function targetText({ target, goal }: Row): string {
  const parts = [
    target !== undefined ? `≥${target}× cpu` : '',
    goal?.maxMs !== undefined ? `≤ ${formatTime(goal.maxMs)}` : '',
    goal?.minGflops !== undefined ? `≥ ${goal.minGflops} GFLOP/s` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/**
 * Prints (and returns) a Markdown table of the rows: times per call (median), the tfjs/@nn
 * ratio per backend (above 1 means @nn is faster), GFLOP/s where the row counts flops, and
 * whether the row meets its target against tfjs-cpu.
 */
export function compare(rows: readonly Row[]): string {
  const backends = (['cpu', 'wasm'] as const).filter((b) => rows.some((r) => r.tfjs[b]));
  const hasFlops = rows.some((r) => r.flops);
  const anyTarget = rows.some(hasTarget);
  const header = ['case', '@nn', ...backends.map((b) => `tfjs-${b}`), ...backends.map((b) => `${b}/@nn`)];
  if (hasFlops) header.push('@nn GFLOP/s', ...backends.map((b) => `${b} GFLOP/s`));
  if (anyTarget) header.push('target', 'met');
  const dash = '—';
  const gflops = (flops: number | undefined, t: Timing | undefined) =>
    flops && t ? (flops / t.median / 1e6).toFixed(2) : dash;
  const body = rows.map((r) => {
    const cells = [
      r.name,
      formatTime(r.nn.median),
      ...backends.map((b) => (r.tfjs[b] ? formatTime(r.tfjs[b]!.median) : dash)),
      ...backends.map((b) => (r.tfjs[b] ? `${ratio(r, b).toFixed(2)}×` : dash)),
    ];
    if (hasFlops) cells.push(gflops(r.flops, r.nn), ...backends.map((b) => gflops(r.flops, r.tfjs[b])));
    if (anyTarget)
      cells.push(hasTarget(r) ? targetText(r) : dash, hasTarget(r) ? (meetsTarget(r) ? 'yes' : 'NO') : dash);
    return cells;
  });
  const table = [header, header.map(() => '---'), ...body];
  const widths = header.map((_, k) => Math.max(...table.map((cells) => [...cells[k]].length)));
  const right = (k: number) => k > 0;
  const text = table
    .map(
      (cells, line) =>
        `| ${cells
          .map((cell, k) => {
            if (line === 1) return right(k) ? '-'.repeat(widths[k] - 1) + ':' : '-'.repeat(widths[k]);
            const pad = ' '.repeat(widths[k] - [...cell].length);
            return right(k) ? pad + cell : cell + pad;
          })
          .join(' | ')} |`,
    )
    .join('\n');
  console.log(text);
  return text;
}

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

function writeResults(suite: Suite, machine: MachineInfo, rows: readonly Row[]): void {
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}${suite.name}.json`;
  const report = {
    suite: suite.name,
    title: suite.title,
    goal: suite.goal,
    date: new Date().toISOString(),
    machine,
    rows: rows.map((r) => ({ ...r, ratio: { cpu: ratio(r, 'cpu'), wasm: ratio(r, 'wasm') } })),
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`Results written to bench/results/${suite.name}.json`);
}
