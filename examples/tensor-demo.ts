/**
 * A tour of @nn/tensor: creation, broadcasting, reductions, views, matmul and seeded randomness.
 * Run: pnpm demo (or pnpm example tensor-demo)
 */
import { arange, eye, matmul, randn, seed, tensor, zeros } from '@nn/tensor';
import { runIfMain } from './lib/cli.js';

const section = (title: string) => console.log(`\n== ${title} ==`);

/** Prints the tour; returns a few of its figures for the test. Like every example, it exports `main` for `pnpm example`. */
export async function main(): Promise<{ sum: number; sameSeedSameNumbers: boolean; trace: number }> {
  section('creation and printing');
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  console.log(x.toString());
  console.log('shape', x.shape, 'strides', x.strides, 'dtype', x.dtype);

  section('broadcasting: (2,3) + (3) and (2,1) * (3)');
  console.log(x.add(tensor([10, 20, 30])).toString());
  console.log(
    tensor([[1], [2]])
      .mul(tensor([1, 10, 100]))
      .toString(),
  );

  section('reductions');
  console.log('sum over rows', x.sum(0).toArray(), 'mean over columns', x.mean(1).toArray());
  console.log('softmax of [1010, 1000, 990] (no overflow):', tensor([1010, 1000, 990]).softmax().toArray());

  section('views share storage');
  const t = x.T;
  console.log('x.T strides', t.strides, 'contiguous?', t.isContiguous);
  console.log('every other column reversed:', x.slice(':', '::-2').toArray());

  section("matmul (the seeds' shape check)");
  const W = arange(12).reshape(3, 4).astype('float32');
  console.log(`(2,3) @ (3,4) -> (${matmul(x, W).shape})`);
  try {
    matmul(zeros([10, 2]), zeros([3, 4]));
  } catch (error) {
    console.log('error:', (error as Error).message);
  }

  section('seeded randomness');
  seed(0);
  const a = randn([2, 3]);
  seed(0);
  const b = randn([2, 3]);
  console.log(a.toString());
  const sameSeedSameNumbers = a.equal(b);
  console.log('same seed, same numbers:', sameSeedSameNumbers);

  section('a 256×256 matmul');
  const m = randn([256, 256]);
  const start = performance.now();
  const product = m.matmul(m.T);
  const trace = product.mul(eye(256)).sum().item();
  console.log(`took ${(performance.now() - start).toFixed(1)} ms; trace = ${trace.toFixed(1)}`);
  return { sum: x.sum().item(), sameSeedSameNumbers, trace };
}

runIfMain(import.meta.url, main);
