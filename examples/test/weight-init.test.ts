import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../weight-init.js';

const out = mkdtempSync(join(tmpdir(), 'weight-init-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('weight-init example', () => {
  it("shows the book's activation distributions and that He initial weights learn fastest", async () => {
    const { activations: a, mnist, files } = await main({ smoke: true, out });
    for (const layers of Object.values(a)) expect(layers).toHaveLength(5);

    // sigmoid, std 1: most activations pile up near 0 and 1, in every layer (figure 6-10).
    for (const layer of a['sigmoid-std1']) expect(layer.nearEnds).toBeGreaterThan(0.5);
    // sigmoid, std 0.01: all near 0.5, with almost no spread (figure 6-11).
    for (const layer of a['sigmoid-std0.01']) {
      expect(Math.abs(layer.mean - 0.5)).toBeLessThan(0.01);
      expect(layer.std).toBeLessThan(0.03);
      expect(layer.nearEnds).toBe(0);
    }
    // sigmoid, Xavier: a real spread in every layer, without saturating (figure 6-12).
    for (const layer of a['sigmoid-xavier']) {
      expect(layer.std).toBeGreaterThan(0.08);
      expect(layer.nearEnds).toBeLessThan(0.01);
    }
    // tanh, Xavier: centred on 0.
    for (const layer of a['tanh-xavier']) expect(Math.abs(layer.mean)).toBeLessThan(0.01);
    // ReLU: about half the outputs are 0; std 0.01 vanishes, Xavier shrinks, He keeps its size (figure 6-14).
    for (const key of ['relu-std0.01', 'relu-xavier', 'relu-he'])
      for (const layer of a[key]) expect(Math.abs(layer.zeros - 0.5)).toBeLessThan(0.06);
    expect(a['relu-std0.01'][4].std).toBeLessThan(1e-4);
    a['relu-xavier'].slice(1).forEach((layer, i) => expect(layer.std).toBeLessThan(a['relu-xavier'][i].std));
    const he = a['relu-he'].map((layer) => layer.std);
    expect(Math.max(...he) / Math.min(...he)).toBeLessThan(1.3);

    // MNIST (smoke: 30 iterations): std 0.01 stays at ln 10 = 2.3026; He is ahead of Xavier (figure 6-15).
    const { runs } = mnist;
    for (const run of Object.values(runs)) expect(run.loss).toHaveLength(30);
    expect(Math.abs(runs['std=0.01'].finalLoss - Math.log(10))).toBeLessThan(0.01);
    expect(runs.He.finalLoss).toBeLessThan(runs.Xavier.finalLoss);
    expect(runs.Xavier.finalLoss).toBeLessThan(runs['std=0.01'].finalLoss);

    expect(files).toHaveLength(8);
    for (const file of files) expect(existsSync(file)).toBe(true);
  });
});
