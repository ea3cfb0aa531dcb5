/**
 * vmap (issue 20): per-example gradients in one vectorised pass.
 *
 * The model: a linear softmax classifier, 784 → 10 (MNIST's shape), its loss per example
 * L(W, b, x, t) = softmaxCrossEntropy(x·W + b, t) for one image x (784) and its label t. Its
 * per-example gradients over a batch of 100 (dL/dW of shape 100×784×10, and dL/db) by
 *
 * - `vmap(grad(L), { inAxes: [null, null, 0, 0] })`: one call, each node's batching rule running
 *   on the whole batch (the matmul of the 100 images by W is one matrix product), against
 * - 100 separate `grad(L)` calls, one per example. Target: vmap at least 20× faster.
 * - one `grad` of the batch's mean loss, which gives only the mean of those gradients: the cost of
 *   the work itself, without the 100 separate gradients (what vmap adds beyond it: the 100×784×10
 *   outer products).
 * - forward only, the per-example losses: `vmap(L)` against 100 calls of L.
 * - jax-js (`@jax-js/jax`, wasm device) `vmap(grad(L))` of the same model, without and with `jit`;
 *   ratios above 1 mean jax-js is faster. Skipped, and said so, if jax-js does not load.
 *
 * Each row times a subject against a baseline taking turns in the same process (see
 * transforms.bench.ts, whose measurement this shares) and prints subject time / baseline time;
 * both sides' results are compared first. All float32.
 * Run: node --import tsx bench/run.ts vmap (or this file directly).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, type Tensor, randint, randn } from '@nn/tensor';
import { type Variable, grad, softmaxCrossEntropy, variable, vmap } from '@nn/autograd';
import { formatTime, machineInfo } from './harness.js';
import { type Contestant, type PairRow, envNumber, measureRow } from './transforms.bench.js';

const BATCH = 100;
const INPUTS = 784;
const CLASSES = 10;

function model() {
  return {
    W: randn([INPUTS, CLASSES], { generator: new Generator(31) }).mul(0.01),
    b: randn([CLASSES], { generator: new Generator(32) }).mul(0.01),
    x: randn([BATCH, INPUTS], { generator: new Generator(33) }),
    labels: randint(0, CLASSES, [BATCH], { generator: new Generator(34) }),
  };
}

/** One example's loss: x (784) and its label t (a 0-d int32). */
const loss = (W: Variable, b: Variable, x: Variable, t: Variable) => softmaxCrossEntropy(x.matmul(W).add(b), t);

/** The per-example dL/dW of every example, in one flat array (B, 784, 10). */
function ours(m: ReturnType<typeof model>): Record<'vmapped' | 'loop' | 'batch' | 'losses' | 'lossLoop', Contestant> {
  const perExample = vmap(grad(loss, [0, 1]), { inAxes: [null, null, 0, 0] });
  const rows = Array.from({ length: BATCH }, (_, k) => [m.x.slice(k), m.labels.slice(k)] as const);
  const gradient = grad(loss, [0, 1]);
  const perExampleLoss = vmap(loss, { inAxes: [null, null, 0, 0] });
  const [W, b] = [m.W, m.b].map((t) => variable(t, { requiresGrad: false }));
  const xs = variable(m.x, { requiresGrad: false });
  const batchGradient = grad((W: Variable, b: Variable) => softmaxCrossEntropy(xs.matmul(W).add(b), m.labels), [0, 1]);
  return {
    vmapped: {
      label: '@nn vmap(grad)',
      // The result's own storage (it is one contiguous (B, 784, 10) tensor): a copy would time
      // the copy, not vmap. The loop below has to stack its 100 results into one array.
      call: () => {
        const dW = perExample(m.W, m.b, m.x, m.labels)[0].data.contiguous();
        return (dW.data as Float32Array).subarray(dW.offset, dW.offset + dW.size);
      },
    },
    loop: {
      label: `@nn ${BATCH} grad calls`,
      call: () => {
        const out = new Float32Array(BATCH * INPUTS * CLASSES);
        rows.forEach(([x, t], k) => out.set(gradient(m.W, m.b, x, t)[0].data.toTypedArray(), k * INPUTS * CLASSES));
        return out;
      },
    },
    batch: {
      label: '@nn grad of the mean loss',
      call: () => batchGradient(m.W, m.b)[0].data.toTypedArray() as Float32Array,
    },
    losses: {
      label: '@nn vmap(loss)',
      call: () => perExampleLoss(m.W, m.b, m.x, m.labels).data.toTypedArray() as Float32Array,
    },
    lossLoop: {
      label: `@nn ${BATCH} loss calls`,
      call: () => Float32Array.from(rows, ([x, t]) => loss(W, b, variable(x), variable(t)).item()),
    },
  };
}

/** jax-js's vmap(grad) of the same loss, without and with jit; null when it cannot be loaded. */
async function jaxContestants(
  m: ReturnType<typeof model>,
): Promise<{ version: string; eager: Contestant; jitted: Contestant | null } | null> {
  try {
    // jax-js reads navigator at start-up; Node 20 has none.
    (globalThis as { navigator?: object }).navigator ??= {};
    const jax = await import('@jax-js/jax');
    await jax.init('wasm');
    jax.defaultDevice('wasm');
    const np = jax.numpy;
    type JaxArray = InstanceType<typeof jax.Array>;
    const array = (t: Tensor) => np.array(t.toTypedArray() as Float32Array).reshape([...t.shape]);
    const W = array(m.W);
    const b = array(m.b);
    const x = array(m.x);
    // One-hot rows (float) rather than integer labels: the per-example loss is −Σ onehot·log-softmax.
    const onehot = jax.nn.oneHot(
      np.array(Int32Array.from(m.labels.toTypedArray() as Int32Array), { dtype: np.int32 }),
      CLASSES,
    );
    const jaxLoss = (W_: JaxArray, b_: JaxArray, x_: JaxArray, t_: JaxArray) =>
      np.negative(np.sum(np.multiply(jax.nn.logSoftmax(np.add(np.matmul(x_, W_), b_)), t_)));
    const perExample = jax.vmap(jax.grad(jaxLoss, { argnums: [0, 1] }), [null, null, 0, 0]);
    // jax-js consumes its arguments: `.ref` keeps them for the next call.
    const run = (f: typeof perExample) => {
      const [dW, db] = f(W.ref, b.ref, x.ref, onehot.ref) as unknown as [JaxArray, JaxArray];
      db.dispose();
      return dW.dataSync() as Float32Array;
    };
    let jitted: Contestant | null = null;
    try {
      const compiled = jax.jit(perExample);
      run(compiled);
      jitted = { label: 'jax-js jit(vmap(grad))', call: () => run(compiled) };
    } catch (error) {
      console.log(`(jax-js jit(vmap(grad)) failed: ${(error as Error).message})`);
    }
    const manifest = new URL('../node_modules/@jax-js/jax/package.json', import.meta.url);
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    return { version, eager: { label: 'jax-js vmap(grad)', call: () => run(perExample) }, jitted };
  } catch (error) {
    console.log(`(jax-js not available: ${(error as Error).message})`);
    return null;
  }
}

/** Measures the rows, prints the table and writes bench/results/vmap.json. */
export async function run(): Promise<{ name: string; subject: number; baseline: number; ratio: number }[]> {
  const rounds = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 3)));
  const seconds = envNumber('BENCH_TIME', 0.6);
  const m = machineInfo();
  console.log(`\n## @nn/autograd vmap: per-example gradients\n`);
  console.log(`Node ${m.node}, ${m.cpu}, ${m.cores} cores, load ${m.load}; @nn wasm build: ${m.nnWasm}\n`);
  const data = model();
  const nn = ours(data);
  const name = `per-example grads, linear ${INPUTS}→${CLASSES} softmax CE, batch ${BATCH}`;
  const rows: (PairRow & { minRatio?: number })[] = [
    // The loop as subject: the ratio is vmap's speed-up.
    { name, subject: nn.loop, baseline: nn.vmapped, minRatio: 20 },
    { name, subject: nn.vmapped, baseline: nn.batch, compare: false },
    // Forward only: the per-example losses (100 numbers, where the gradients are 100×7850).
    { name: `per-example losses, same model and batch`, subject: nn.lossLoop, baseline: nn.losses },
  ];
  // Ours first: jax-js starts worker threads of its own once loaded.
  const results = rows.map((row) => measureRow(row, rounds, seconds));
  const peer = await jaxContestants(data);
  const peerRows: PairRow[] =
    peer === null
      ? []
      : [
          { name, subject: nn.vmapped, baseline: peer.eager },
          ...(peer.jitted ? [{ name, subject: nn.vmapped, baseline: peer.jitted }] : []),
        ];
  results.push(...peerRows.map((row) => measureRow(row, rounds, seconds)));
  const peerLabel = peer === null ? 'jax-js did not load' : `jax-js ${peer.version} (wasm device)`;
  console.log(`  (peer: ${peerLabel}; ratios against jax-js above 1 mean jax-js is faster)`);
  console.log('\n| row | subject | time | baseline | time | subject / baseline | target |');
  console.log('| --- | --- | ---: | --- | ---: | ---: | --- |');
  for (const r of results) {
    const min = (r.row as { minRatio?: number }).minRatio;
    const target = min === undefined ? '' : `≥ ${min}× ${r.ratio >= min ? '✓' : '✗'}`;
    console.log(
      `| ${r.name} | ${r.row.subject.label} | ${formatTime(r.subject)} | ${r.row.baseline.label} | ${formatTime(r.baseline)} | ${r.ratio.toFixed(2)}× | ${target} |`,
    );
  }
  const figures = results.map((r) => ({
    name: r.name,
    subject: r.row.subject.label,
    subjectMs: r.subject,
    baseline: r.row.baseline.label,
    baselineMs: r.baseline,
    ratio: r.ratio,
    minRatio: (r.row as { minRatio?: number }).minRatio,
  }));
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}vmap.json`, JSON.stringify({ machine: m, peer: peerLabel, rows: figures }, null, 2));
  return figures.map((f) => ({ name: f.name, subject: f.subjectMs, baseline: f.baselineMs, ratio: f.ratio }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
