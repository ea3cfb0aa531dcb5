/**
 * Function transforms (issue 20): what forward mode and second derivatives cost.
 *
 * Each row times a subject against a baseline in the same process, taking turns (as every
 * suite here does), and reports subject time / baseline time:
 *
 * - `jvp` of the seeds' MLP (784-50-10, batch 100, softmax cross-entropy) along a direction in
 *   all four parameters, against the MLP's forward alone. Target ≤ 3×: the matmuls' rule is two
 *   products where the forward has one.
 * - `hvp` of the same loss along a parameter direction (forward-over-reverse), against one
 *   forward + backward (`valueAndGrad`). Target ≤ 5×.
 * - the 100×100 Jacobian of a 100→100 tanh layer, tanh(W·x + b), by reverse mode (100 backward
 *   passes) and by forward mode (100 jvps), and the 100×100 Hessian of Σ tanh(W·x + b), against
 *   jax-js (`@jax-js/jax`, wasm device: jacrev / jacfwd / hessian, which batch their passes
 *   with vmap; without jit). Ratios above 1 mean jax-js is faster. If jax-js does not load,
 *   these rows compare against our own reverse-mode jacobian instead and say so.
 *
 * All float32 (jax-js's default and ours). Both sides' results are compared before timing.
 * Run: node --import tsx bench/run.ts transforms (or this file directly).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, randn, type Tensor } from '@nn/tensor';
import { type Variable, hessian, hvp, jacobian, jvp, softmaxCrossEntropy, valueAndGrad, variable } from '@nn/autograd';
import { Sampler, formatTime, machineInfo } from './harness.js';
import { mlpParameters } from './autograd.bench.js';

export interface Contestant {
  label: string;
  /** The call to time; its result is compared with the other side's. */
  call: () => ArrayLike<number>;
}

export interface PairRow {
  name: string;
  subject: Contestant;
  baseline: Contestant;
  /** Largest subject/baseline time ratio the row aims for; none for a comparison with a peer. */
  maxRatio?: number;
  /** Compare the two results (same computation on both sides); default true. */
  compare?: boolean;
  /** The baseline's result in the subject's layout, for the comparison (default: as it is). */
  baselineAs?: (values: ArrayLike<number>) => ArrayLike<number>;
}

/** An n×n matrix's values transposed. */
function transposed(values: ArrayLike<number>): number[] {
  const n = Math.round(Math.sqrt(values.length));
  return Array.from({ length: values.length }, (_, k) => values[(k % n) * n + Math.floor(k / n)]);
}

function input(shape: number[], seed: number, scale = 1): Tensor {
  return randn(shape, { generator: new Generator(seed) }).mul(scale);
}

const data = (v: Variable | Variable[]): Float32Array => {
  const first = Array.isArray(v) ? v[0] : v;
  return first.data.contiguous().toTypedArray() as Float32Array;
};

// ---- the MLP rows ------------------------------------------------------------------------------

function mlpRows(): PairRow[] {
  const p = mlpParameters();
  const x = variable(p.x, { requiresGrad: false });
  const loss = (W1: Variable, b1: Variable, W2: Variable, b2: Variable) =>
    softmaxCrossEntropy(x.matmul(W1).add(b1).sigmoid().matmul(W2).add(b2), p.labels);
  const params = [p.W1, p.b1, p.W2, p.b2];
  const direction = params.map((t, i) => input([...t.shape], 10 + i, 0.01));
  const constants = params.map((t) => variable(t, { requiresGrad: false }));
  const forward: Contestant = {
    label: 'forward',
    call: () => data(loss(...(constants as [Variable, Variable, Variable, Variable]))),
  };
  const allArgs = [0, 1, 2, 3];
  return [
    {
      name: 'jvp MLP 784-50-10, batch 100 (all parameters)',
      subject: { label: 'jvp', call: () => data(jvp(loss, params, direction)[1]) },
      baseline: forward,
      maxRatio: 3,
      compare: false,
    },
    {
      name: 'hvp MLP 784-50-10, batch 100 (all parameters)',
      subject: { label: 'hvp', call: () => data(hvp(loss, params, direction)) },
      baseline: {
        label: 'forward+backward',
        call: () => data(valueAndGrad(loss, allArgs)(...params)[1]),
      },
      maxRatio: 5,
      compare: false,
    },
  ];
}

// ---- the tanh-layer rows -----------------------------------------------------------------------

const N = 100;

async function layerRows(): Promise<{ rows: PairRow[]; peer: string }> {
  const Wt = input([N, N], 21, 0.1);
  const bt = input([N], 22, 0.1);
  const xt = input([N], 23);
  const W = variable(Wt, { requiresGrad: false });
  const b = variable(bt, { requiresGrad: false });
  const layer = (v: Variable) => W.matmul(v).add(b).tanh();
  const scalar = (v: Variable) => layer(v).sum();
  const ours = {
    rev: { label: '@nn jacobian rev', call: () => data(jacobian(layer, xt)) },
    fwd: { label: '@nn jacobian fwd', call: () => data(jacobian(layer, xt, { mode: 'fwd' })) },
    hessian: { label: '@nn hessian', call: () => data(hessian(scalar, xt)) },
  };
  const peer = await loadJax(Wt, bt, xt);
  if (peer === null) {
    return {
      peer: 'our own reverse-mode jacobian (jax-js did not load)',
      rows: [
        { name: `jacobian fwd ${N}→${N} tanh`, subject: ours.fwd, baseline: ours.rev },
        { name: `hessian of Σ tanh, ${N} inputs`, subject: ours.hessian, baseline: ours.rev, compare: false },
      ],
    };
  }
  return {
    peer: `jax-js ${peer.version} (wasm device, no jit)`,
    rows: [
      { name: `jacobian rev ${N}→${N} tanh`, subject: ours.rev, baseline: peer.jacrev },
      {
        name: `jacobian fwd ${N}→${N} tanh`,
        subject: ours.fwd,
        baseline: peer.jacfwd,
        // jax-js 0.1.25's jacfwd returns the Jacobian transposed, (input, output) (its jacrev and
        // JAX's jacfwd give (output, input)): compared transposed, timed as it is.
        baselineAs: transposed,
      },
      { name: `hessian of Σ tanh, ${N} inputs`, subject: ours.hessian, baseline: peer.hessian },
    ],
  };
}

/** jax-js's jacrev, jacfwd and hessian of the same layer, or null when it cannot be loaded. */
async function loadJax(
  Wt: Tensor,
  bt: Tensor,
  xt: Tensor,
): Promise<{ version: string; jacrev: Contestant; jacfwd: Contestant; hessian: Contestant } | null> {
  try {
    // jax-js reads navigator at start-up; Node 20 has none.
    (globalThis as { navigator?: object }).navigator ??= {};
    const jax = await import('@jax-js/jax');
    await jax.init('wasm');
    jax.defaultDevice('wasm');
    const np = jax.numpy;
    const W = np.array(Wt.toTypedArray() as Float32Array).reshape([N, N]);
    const b = np.array(bt.toTypedArray() as Float32Array);
    const x = np.array(xt.toTypedArray() as Float32Array);
    // jax-js consumes its arguments: `.ref` keeps W, b and x for the next call.
    const layer = (v: InstanceType<typeof jax.Array>) => np.tanh(np.matmul(W.ref, v).add(b.ref));
    const scalar = (v: InstanceType<typeof jax.Array>) => layer(v).sum();
    const jacrev = jax.jacrev(layer);
    const jacfwd = jax.jacfwd(layer);
    const hess = jax.hessian(scalar);
    const manifest = new URL('../node_modules/@jax-js/jax/package.json', import.meta.url);
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    return {
      version,
      jacrev: { label: 'jax-js jacrev', call: () => jacrev(x.ref).dataSync() as Float32Array },
      jacfwd: { label: 'jax-js jacfwd', call: () => jacfwd(x.ref).dataSync() as Float32Array },
      hessian: { label: 'jax-js hessian', call: () => hess(x.ref).dataSync() as Float32Array },
    };
  } catch (error) {
    console.log(`(jax-js not available: ${(error as Error).message})`);
    return null;
  }
}

// ---- running -----------------------------------------------------------------------------------

export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** One row's figures: median ms per call of each side, and subject / baseline. */
export interface Measured {
  name: string;
  row: PairRow;
  subject: number;
  baseline: number;
  ratio: number;
}

/** Checks that both sides agree, then times them taking turns (median ms per call). */
export function measureRow(row: PairRow, rounds: number, seconds: number): Measured {
  if (row.compare !== false) {
    const reference = row.baseline.call();
    const d = relativeDifference(row.subject.call(), row.baselineAs ? row.baselineAs(reference) : reference);
    if (!(d <= 1e-4)) console.log(`WARNING ${row.name}: the two sides differ by ${d.toExponential(2)} (relative)`);
  }
  const samplers = [row.subject, row.baseline].map((c) => new Sampler(() => void c.call()));
  for (const s of samplers) s.warm(0.2);
  for (let round = 0; round < rounds; round++)
    for (const s of samplers) s.sample(seconds / rounds, round === rounds - 1 ? 2 : 1);
  const [subject, baseline] = samplers.map((s) => s.result().median);
  process.stdout.write(`  measured ${row.name}\n`);
  return { name: row.name, row, subject, baseline, ratio: subject / baseline };
}

/** Measures the rows (subject and baseline taking turns), prints the table and returns the ratios. */
export async function run(): Promise<{ name: string; subject: number; baseline: number; ratio: number }[]> {
  const rounds = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 3)));
  const seconds = envNumber('BENCH_TIME', 0.6);
  const m = machineInfo();
  console.log(`\n## @nn/autograd function transforms: jvp, hvp, jacobian, hessian\n`);
  console.log(`Node ${m.node}, ${m.cpu}, ${m.cores} cores, load ${m.load}; @nn wasm build: ${m.nnWasm}\n`);
  // The MLP rows first: jax-js, loaded for the layer rows, starts worker threads of its own.
  const results = mlpRows().map((row) => measureRow(row, rounds, seconds));
  const { rows: layer, peer } = await layerRows();
  console.log(`  (layer rows against ${peer})`);
  results.push(...layer.map((row) => measureRow(row, rounds, seconds)));
  console.log('\n| row | subject | time | baseline | time | subject / baseline | target |');
  console.log('| --- | --- | ---: | --- | ---: | ---: | --- |');
  for (const r of results) {
    const target = r.row.maxRatio === undefined ? '' : `≤ ${r.row.maxRatio}× ${r.ratio <= r.row.maxRatio ? '✓' : '✗'}`;
    console.log(
      `| ${r.name} | ${r.row.subject.label} | ${formatTime(r.subject)} | ${r.row.baseline.label} | ${formatTime(r.baseline)} | ${r.ratio.toFixed(2)}× | ${target} |`,
    );
  }
  const figures = results.map(({ name, row, subject, baseline, ratio }) => ({
    name,
    subject: row.subject.label,
    subjectMs: subject,
    baseline: row.baseline.label,
    baselineMs: baseline,
    ratio,
    maxRatio: row.maxRatio,
  }));
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}transforms.json`, JSON.stringify({ machine: m, peer, rows: figures }, null, 2));
  return figures.map(({ name, subjectMs, baselineMs, ratio }) => ({
    name,
    subject: subjectMs,
    baseline: baselineMs,
    ratio,
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
