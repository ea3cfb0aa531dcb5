import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '@nn/data';
import { loadTwoLayerNet, main } from '../two-layer-net.js';

const out = mkdtempSync(join(tmpdir(), 'two-layer-net-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('two-layer-net (smoke: 2,000 training images, 200 iterations, hidden 10)', () => {
  it('passes the gradient check, learns, and writes its pictures and checkpoint', async () => {
    const result = await main({ smoke: true, out });

    // The seeds' gradient check table: backprop agrees with central differences in float64
    // (the book's figures are 1e-13 to 1e-10).
    expect(result.gradientCheck).not.toBeNull();
    for (const value of Object.values(result.gradientCheck!)) expect(value).toBeLessThan(1e-6);

    // Epoch 0 (before training) is chance level; 200 iterations get well above it.
    expect(result.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.epochs[0].testAccuracy).toBeLessThan(0.25);
    expect(result.finalTrainAccuracy).toBeGreaterThan(0.5);
    expect(result.finalTestAccuracy).toBeGreaterThan(0.5);
    expect(result.losses).toHaveLength(200);
    expect(result.epochs[10].loss).toBeLessThan(result.epochs[1].loss);

    for (const file of result.files) expect(existsSync(file), file).toBe(true);
    expect(result.files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'accuracy.png',
      'accuracy.svg',
      'loss.png',
      'loss.svg',
      'two-layer-net.safetensors',
    ]);

    // The checkpoint rebuilds the same network: the same test accuracy on the same 1,000 images.
    const { net, metadata } = await loadTwoLayerNet(result.checkpoint);
    expect(metadata).toMatchObject({ network: 'TwoLayerNet', hiddenSize: '10', activation: 'relu', iterations: '200' });
    const { test } = loadMnist({ trainLimit: 0, testLimit: 1000 });
    expect(net.accuracy(test.x, test.t)).toBe(result.finalTestAccuracy);
  });
});
