/**
 * The seeds' apple and orange tax example (seed 001, §5) as a recorded graph: two Mul nodes for
 * the prices, an Add, and a Mul by the tax. Prints the price (715), the five gradients
 * (2.2, 110, 3.3, 165, 650) and the backward trace; draws the graph with values and gradients
 * (SVG) and writes the interactive explorer (HTML).
 *
 * Run: node --import tsx examples/graph-apple.ts [--out dir]    (default examples/out/graph-apple/)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toDot, variable } from '@nn/autograd';
import { formatGraph, formatTrace, renderSvg, traceBackward, writeGraphHtml } from '@nn/autograd/inspect';
import { runIfMain } from './lib/cli.js';

export interface ExampleOptions {
  /** Folder for the pictures (default examples/out/graph-apple/). */
  out?: string;
  /** Where text goes (default console.log). */
  log?: (text: string) => void;
}

export interface AppleResult {
  price: number;
  gradients: { apple: number; apple_num: number; orange: number; orange_num: number; tax: number };
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<AppleResult> {
  const out = options.out ?? fileURLToPath(new URL('./out/graph-apple/', import.meta.url));
  const log = options.log ?? console.log;

  // float64, as the seeds' Python floats.
  const opts = { dtype: 'float64' } as const;
  const apple = variable(100, { ...opts, name: 'apple' });
  const appleNum = variable(2, { ...opts, name: 'apple_num' });
  const orange = variable(150, { ...opts, name: 'orange' });
  const orangeNum = variable(3, { ...opts, name: 'orange_num' });
  const tax = variable(1.1, { ...opts, name: 'tax' });

  const applePrice = apple.mul(appleNum);
  applePrice.name = 'apple_price';
  const orangePrice = orange.mul(orangeNum);
  orangePrice.name = 'orange_price';
  const allPrice = applePrice.add(orangePrice);
  allPrice.name = 'all_price';
  const price = allPrice.mul(tax);
  price.name = 'price';

  log(formatGraph(price));
  // Trace first: backward() frees the graph's saved state, and the trace needs it.
  const steps = traceBackward(price);
  price.backward();

  const round = (v: number) => Number(v.toPrecision(10));
  const result: AppleResult = {
    price: round(price.item()),
    gradients: {
      apple: round(apple.grad!.item()),
      apple_num: round(appleNum.grad!.item()),
      orange: round(orange.grad!.item()),
      orange_num: round(orangeNum.grad!.item()),
      tax: round(tax.grad!.item()),
    },
    files: [],
  };
  log(`\nprice = ${result.price}`);
  for (const [name, g] of Object.entries(result.gradients)) log(`dprice/d${name} = ${g}`);
  log(`\n${formatTrace(steps)}`);

  await mkdir(out, { recursive: true });
  const dot = toDot(price, {
    values: true,
    grads: true,
    trace: steps,
    title: 'Apple and orange tax: values and gradients',
  });
  const files = { dot: join(out, 'apple.dot'), svg: join(out, 'apple.svg'), html: join(out, 'apple.html') };
  await writeFile(files.dot, dot);
  await writeFile(files.svg, await renderSvg(dot));
  await writeGraphHtml(price, files.html, { trace: steps, title: 'Apple and orange tax', values: true });
  result.files = Object.values(files);
  log(`\nwrote ${result.files.join(', ')}`);
  return result;
}

runIfMain(import.meta.url, (options) => main({ out: options.out }));
