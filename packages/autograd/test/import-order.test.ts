/**
 * Export order no longer matters: whichever autograd module is loaded first (an op module, the
 * engine, Function, Variable), every node class extends a defined Function and works.
 */
import { describe, expect, it, vi } from 'vitest';

const modules = [
  '../src/ops/activation.js',
  '../src/ops/elementwise.js',
  '../src/ops/matmul.js',
  '../src/ops/conv.js',
  '../src/ops/loss.js',
  '../src/ops/reduce.js',
  '../src/ops/movement.js',
  '../src/ops/indexing.js',
  '../src/engine.js',
  '../src/function.js',
  '../src/functional.js',
  '../src/variable.js',
];

describe('module load order', () => {
  it.each(modules)('loading %s first works', async (first) => {
    vi.resetModules();
    await expect(import(first)).resolves.toBeDefined();
    const { variable } = await import('../src/variable.js');
    const x = variable([1, 2, 3]);
    x.mul(x).sigmoid().sum().backward();
    expect(x.grad!.shape).toEqual([3]);
  });
});
