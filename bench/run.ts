/**
 * Runs the benchmark files in bench/: all `*.bench.ts` by default, or the ones named on the
 * command line by stem (`node --import tsx bench/run.ts tensor autograd`).
 *
 * Order is fixed so that runs compare: the files listed in ORDER first, then any others
 * alphabetically. Each file exports `suite: Suite` (see harness.ts), or, for a file whose rows
 * compare @nn with itself or with a peer other than tfjs (transforms.bench.ts), `run()`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runSuite, type Suite } from './harness.js';

/** Known suites, cheapest and most basic first. New files not listed here run after these. */
const ORDER = ['tensor', 'autograd', 'nn', 'data'];

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort((a, b) => {
    const [i, j] = [ORDER.indexOf(a), ORDER.indexOf(b)].map((k) => (k < 0 ? ORDER.length : k));
    return i - j || a.localeCompare(b);
  });

const requested = process.argv.slice(2).map((name) => name.replace(/(\.bench)?(\.ts)?$/, ''));
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark: ${unknown.join(', ')}. Available: ${available.join(', ')}.`);
  process.exit(1);
}

for (const name of requested.length > 0 ? available.filter((n) => requested.includes(n)) : available) {
  const module = (await import(pathToFileURL(`${here}${name}.bench.ts`).href)) as {
    suite?: Suite;
    run?: () => Promise<unknown>;
  };
  if (module.suite) await runSuite(module.suite);
  else if (module.run) await module.run();
  else console.error(`bench/${name}.bench.ts exports no \`suite\` (or \`run\`); skipped.`);
}
