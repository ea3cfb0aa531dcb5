/**
 * Perceptrons as logic gates (seed 001, chapter 1 "感知机"; the book's chapter 2).
 *
 * A perceptron fires (outputs 1) when the weighted sum of its inputs plus a bias is positive:
 * y = 1 if x·w + b > 0, else 0. With the book's weights and biases one perceptron is an AND, a
 * NAND or an OR gate. XOR needs two layers: NAND and OR side by side, then AND of their outputs.
 * Prints the four truth tables and draws each gate's decision regions.
 *
 * Run: node --import tsx examples/run.ts perceptron [--out dir]
 */
import { stack, tensor, type Tensor } from '@nn/tensor';
import { runIfMain, outputDir, type ExampleOptions } from './lib/cli.js';
import { decisionRegions, saveChart } from './lib/plot.js';

/** A gate as the book writes it: two weights and a bias. */
interface Gate {
  w: [number, number];
  b: number;
}

// The book's parameters (001 §1.3). Only the weights and bias change from gate to gate.
const AND: Gate = { w: [0.5, 0.5], b: -0.7 };
const NAND: Gate = { w: [-0.5, -0.5], b: 0.7 };
const OR: Gate = { w: [0.5, 0.5], b: -0.2 };

/**
 * One perceptron applied to a batch of inputs x (N, 2): the book's `np.sum(w*x) + b`, then
 * `tmp <= 0 → 0, else 1`. float64, as NumPy's default, so 0.5 + 0.5 − 0.7 is the book's number.
 */
function perceptron(gate: Gate, x: Tensor): Tensor {
  const w = tensor(gate.w, { dtype: 'float64' });
  return x.matmul(w).add(gate.b).gt(0).astype('int32');
}

/**
 * XOR as a two-layer perceptron (001 §1.5): layer 1 computes s1 = NAND(x) and s2 = OR(x);
 * layer 2 computes AND(s1, s2).
 */
function xor(x: Tensor): Tensor {
  const s1 = perceptron(NAND, x);
  const s2 = perceptron(OR, x);
  return perceptron(AND, stack([s1, s2], 1).astype('float64'));
}

/** The figures main returns: each gate's outputs for the inputs (0,0), (1,0), (0,1), (1,1). */
export interface PerceptronResult {
  inputs: number[][];
  AND: number[];
  NAND: number[];
  OR: number[];
  XOR: number[];
  /** The hidden layer of XOR: [s1, s2] per input. */
  xorHidden: number[][];
  files: string[];
}

export async function main(options: ExampleOptions = {}): Promise<PerceptronResult> {
  const dir = outputDir('perceptron', options);

  // The four inputs in the book's order, one per row, so each gate runs once on the whole table.
  const inputs = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  const x = tensor(inputs, { dtype: 'float64' });

  const outputs = {
    AND: perceptron(AND, x).toArray() as number[],
    NAND: perceptron(NAND, x).toArray() as number[],
    OR: perceptron(OR, x).toArray() as number[],
    XOR: xor(x).toArray() as number[],
  };
  const xorHidden = stack([perceptron(NAND, x), perceptron(OR, x)], 1).toArray() as number[][];

  const gates: [keyof typeof outputs, string][] = [
    ['AND', 'w = (0.5, 0.5), b = -0.7'],
    ['NAND', 'w = (-0.5, -0.5), b = 0.7'],
    ['OR', 'w = (0.5, 0.5), b = -0.2'],
    ['XOR', 'AND(NAND(x1, x2), OR(x1, x2))'],
  ];
  for (const [name, how] of gates) {
    console.log(`\n${name}   ${how}`);
    console.log(' x1 x2 | y');
    inputs.forEach(([x1, x2], i) => console.log(`  ${x1}  ${x2} | ${outputs[name][i]}`));
  }
  console.log('\nXOR hidden layer (s1 = NAND, s2 = OR):');
  inputs.forEach(([x1, x2], i) =>
    console.log(`  (${x1}, ${x2}) -> s = (${xorHidden[i].join(', ')}) -> y = ${outputs.XOR[i]}`),
  );

  // Pictures: where each gate outputs 1 over the plane around the four inputs. AND and OR are
  // split by one straight line; XOR's region is a band between two lines, which no single
  // perceptron can draw (001 §1.4, 感知机的局限性).
  const grid = (n: number, from: number, to: number) =>
    Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
  const xs = grid(81, -0.5, 1.5);
  const ys = grid(81, -0.5, 1.5);
  // Every grid point as one row of a batch (row-major over ys × xs, as decisionRegions wants), so
  // each gate runs once over the whole plane.
  const plane = tensor(
    ys.flatMap((b) => xs.map((a) => [a, b])),
    { dtype: 'float64' },
  );
  const files: string[] = [];
  const pictures: [string, string, (p: Tensor) => Tensor][] = [
    ['and', 'AND: 0.5·x1 + 0.5·x2 − 0.7 > 0', (p) => perceptron(AND, p)],
    ['nand', 'NAND: −0.5·x1 − 0.5·x2 + 0.7 > 0', (p) => perceptron(NAND, p)],
    ['or', 'OR: 0.5·x1 + 0.5·x2 − 0.2 > 0', (p) => perceptron(OR, p)],
    ['xor', 'XOR = AND(NAND, OR): two layers', xor],
  ];
  for (const [file, title, gate] of pictures) {
    const spec = decisionRegions(
      { xs, ys, classes: gate(plane).toTypedArray() },
      { x: inputs.map((p) => p[0]), y: inputs.map((p) => p[1]), label: gate(x).toTypedArray() },
      { title },
    );
    const saved = await saveChart(spec, `${dir}/perceptron-${file}`);
    files.push(saved.svg, saved.png);
  }
  console.log(`\nwrote ${files.filter((f) => f.endsWith('.png')).join(', ')}`);

  return { inputs, ...outputs, xorHidden, files };
}

runIfMain(import.meta.url, main);
