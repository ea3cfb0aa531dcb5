/**
 * Process memory over many training steps (issue 8: "no growth of process memory over 10,000
 * training steps"). Trains the seeds' MLP (784-50-10, batch 100, SGD through @nn/nn) on the
 * default backend, forces a full garbage collection every `--every` steps and samples the
 * resident set, the JS heap and the memory outside it (typed arrays, WebAssembly memory).
 *
 * A leak shows as a trend after warm-up, so the verdict compares the last samples with the first
 * ones taken after warm-up rather than with the start (JIT code, scratch buffers and the worker
 * pool are allocated once at the beginning). Exits with status 1 when the resident set grew by
 * more than `--tolerance-mib`.
 *
 * Run: node --expose-gc --import tsx bench/memory.ts [--steps 10000] [--every 1000] [--tolerance-mib 32]
 */
import { parseArgs } from 'node:util';
import { getBackend, getThreads } from '@nn/tensor';
import { variable } from '@nn/autograd';
import { Linear, SGD, Sequential, Sigmoid, softmaxCrossEntropy } from '@nn/nn';
import { mlpParameters } from './autograd.bench.js';

const MIB = 1024 * 1024;

interface Sample {
  step: number;
  rss: number;
  heapUsed: number;
  external: number;
}

function sample(step: number): Sample {
  (globalThis as { gc?: () => void }).gc!();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { step, rss: rss / MIB, heapUsed: heapUsed / MIB, external: (external + arrayBuffers) / MIB };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function main(): void {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    console.error('bench/memory.ts needs a forced GC: run it with node --expose-gc --import tsx bench/memory.ts');
    process.exit(2);
  }
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '10000' },
      every: { type: 'string', default: '1000' },
      'tolerance-mib': { type: 'string', default: '32' },
    },
  });
  const steps = Number(values.steps);
  const every = Number(values.every);
  const tolerance = Number(values['tolerance-mib']);

  const p = mlpParameters();
  const x = variable(p.x, { requiresGrad: false });
  const model = new Sequential(new Linear(784, 50), new Sigmoid(), new Linear(50, 10));
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  console.log(
    `MLP 784-50-10, batch 100, SGD; backend ${getBackend()}, ${getThreads()} thread(s); ${steps} steps, a sample every ${every}\n`,
  );
  console.log('  step    rss MiB   heap MiB   outside heap MiB');

  const samples: Sample[] = [];
  const started = performance.now();
  for (let step = 0; step <= steps; step++) {
    if (step % every === 0) {
      const s = sample(step);
      samples.push(s);
      console.log(
        `${String(step).padStart(6)}  ${s.rss.toFixed(1).padStart(9)}  ${s.heapUsed.toFixed(1).padStart(9)}  ${s.external.toFixed(1).padStart(17)}`,
      );
    }
    if (step === steps) break;
    const loss = softmaxCrossEntropy(model.forward(x), p.labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  }
  const seconds = (performance.now() - started) / 1000;

  // The first two samples (step 0 and the first interval) are warm-up; compare the next two with the last two.
  const settled = samples.slice(2, 4);
  const last = samples.slice(-2);
  const growth = mean(last.map((s) => s.rss)) - mean(settled.map((s) => s.rss));
  const heapGrowth = mean(last.map((s) => s.heapUsed)) - mean(settled.map((s) => s.heapUsed));
  console.log(
    `\n${steps} steps in ${seconds.toFixed(1)} s; after warm-up the resident set changed by ${growth.toFixed(1)} MiB, the JS heap by ${heapGrowth.toFixed(1)} MiB (tolerance ${tolerance} MiB)`,
  );
  if (growth > tolerance) {
    console.log('GROWTH: memory is not stable over the run');
    process.exitCode = 1;
  } else {
    console.log('stable: no growth beyond the tolerance');
  }
}

main();
