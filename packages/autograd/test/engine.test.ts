import { describe, expect, it } from 'vitest';
import { Tensor, ones, tensor, zeros } from '@nn/tensor';
import * as F from '@nn/autograd';
import {
  AnomalyError,
  AutogradError,
  Function,
  Variable,
  detectAnomaly,
  enableGrad,
  gradients,
  isAnomalyEnabled,
  isGradEnabled,
  noGrad,
  variable,
} from '@nn/autograd';
import * as nodeClasses from '@nn/autograd/nodes';

describe('Variable', () => {
  it('wraps numbers, nested arrays and Tensors and passes shape, dtype, ndim, size through', () => {
    const s = variable(2);
    expect([s.shape, s.dtype, s.ndim, s.size]).toEqual([[], 'float32', 0, 1]);
    const m = variable(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { name: 'm', dtype: 'float64' },
    );
    expect([m.shape, m.dtype, m.ndim, m.size, m.name]).toEqual([[2, 3], 'float64', 2, 6, 'm']);
    const t = tensor([1, 2]);
    const v = variable(t, { requiresGrad: false });
    expect(v.data).toBe(t);
    expect(v.requiresGrad).toBe(false);
    expect(v.isLeaf).toBe(true);
    expect(String(v.mul(2).add(variable(1)))).toContain('creator=Add');
  });

  it('methods and F functions build the same nodes; numbers and Tensors are operands', () => {
    const x = variable([1, 2]);
    expect(x.mul(3).creator!.name).toBe('Mul');
    expect(F.mul(3, x).toArray()).toEqual([3, 6]);
    expect(F.sub(tensor([10, 10]), x).toArray()).toEqual([9, 8]);
    const names = [
      x.exp(),
      x.sigmoid(),
      x.relu(),
      x.sum(),
      x.reshape(2, 1),
      x.reshape(1, 2).T,
      x.slice(0),
      x.max(),
    ].map((y) => y.creator!.name);
    expect(names).toEqual(['Exp', 'Sigmoid', 'ReLU', 'Sum', 'Reshape', 'Transpose', 'GetItem', 'Max']);
    expect(x.matmul(x).creator!.rule).toBe('MatMul: dX = dY·Wᵀ, dW = Xᵀ·dY');
  });

  it('every exported node class is named by its export name (robust to bundlers renaming classes)', () => {
    const nodes = Object.entries(nodeClasses).filter(
      ([key, value]) =>
        typeof value === 'function' &&
        (value as { prototype?: unknown }).prototype instanceof Function &&
        key !== 'BroadcastingFunction',
    );
    expect(nodes.length).toBeGreaterThanOrEqual(37);
    for (const [key, cls] of nodes)
      expect((Object.create((cls as { prototype: object }).prototype) as Function).name).toBe(key);
  });

  it('chains x.matmul(W).add(b).sigmoid()', () => {
    const x = variable([[1, 2]]);
    const W = variable([
      [1, 0],
      [0, 1],
    ]);
    const b = variable([0, -2]);
    const y = x.matmul(W).add(b).sigmoid();
    y.sum().backward();
    expect(y.toArray()).toEqual([[1 / (1 + Math.exp(-1)), 0.5].map((v) => Math.fround(v))]);
    expect(b.grad!.shape).toEqual([2]);
  });

  it('detach cuts the graph', () => {
    const x = variable(3);
    const d = x.mul(2).detach();
    expect([d.creator, d.requiresGrad]).toEqual([null, false]);
    expect(d.mul(x).creator!.needsInputGrad).toEqual([false, true]);
  });
});

describe('backward', () => {
  it('seeds 1 for a one-element output and rejects a non-scalar without grad', () => {
    const x = variable([1, 2, 3]);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/shape \(3\).*one-element output/);
    y.backward({ grad: tensor([1, 0, 1]) });
    expect(x.grad!.toArray()).toEqual([2, 0, 2]);
    expect(() => x.mul(2).backward({ grad: ones([2]) })).toThrow(AutogradError);
    const one = variable([[5]]);
    one.mul(2).backward();
    expect(one.grad!.toArray()).toEqual([[2]]);
  });

  it('rejects backward of a value that does not require grad', () => {
    const y = noGrad(() => variable(1).mul(2));
    expect(() => y.backward()).toThrow(/does not require grad/);
  });

  it('accumulates where a value feeds several nodes (Branch)', () => {
    const x = variable(3, { dtype: 'float64' });
    x.mul(x).add(x).backward(); // 2x + 1
    expect(x.grad!.item()).toBe(7);
    const y = variable(2, { dtype: 'float64' });
    const h = y.square(); // used by three consumers
    h.add(h).add(h.mul(h)).backward(); // d/dy (2y² + y⁴) = 4y + 4y³
    expect(y.grad!.item()).toBe(40);
  });

  it('accumulates leaf gradients across calls until zeroGrad', () => {
    const x = variable(2);
    x.mul(3).backward();
    x.mul(3).backward();
    expect(x.grad!.item()).toBe(6);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).backward();
    expect(x.grad!.item()).toBe(3);
    x.grad = null;
    x.mul(5).backward();
    expect(x.grad!.item()).toBe(5);
  });

  it('keeps intermediate gradients only with retainGrad', () => {
    const x = variable(2);
    const h = x.mul(3);
    const k = x.mul(4).retainGrad();
    h.mul(k).backward();
    expect(h.grad).toBeNull();
    expect(k.grad!.item()).toBe(6);
    expect(x.grad!.item()).toBe(48); // d/dx 12x² = 24x
  });

  it('frees the graph after backward: a second backward throws naming the node', () => {
    const x = variable([1, 2]);
    const loss = x.mul(x).sum();
    loss.backward();
    expect(loss.creator!.freed).toBe(true);
    expect(loss.creator!.inputs[0].creator!.freed).toBe(true);
    expect(() => loss.backward()).toThrow(/graph through Sum .*already freed.*retainGraph: true/);

    // Saved tensors are dropped too (SoftmaxCrossEntropy saves its probabilities).
    const s = variable([[1, 2, 3]]);
    const ce = s.softmaxCrossEntropy(tensor([0], { dtype: 'int32' }));
    ce.backward();
    expect((ce.creator as unknown as { savedTensors: unknown }).savedTensors).toBeNull();
    expect(() => noGrad(() => ce.creator!.backward(variable(1)))).toThrow(
      /SoftmaxCrossEntropy.backward: saved tensors are not available/,
    );
  });

  it('retainGraph allows a second backward, which accumulates', () => {
    const x = variable([1, 2]);
    const loss = x.mul(x).sum();
    loss.backward({ retainGraph: true });
    expect(loss.creator!.freed).toBe(false);
    loss.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
    expect(() => loss.backward()).toThrow(AutogradError);
  });

  it('createGraph records the backward pass; broadcasting is undone by a SumTo node', () => {
    const a = variable([1, 2, 3]);
    const b = variable([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    a.mul(b).sum().backward({ createGraph: true });
    expect(a.grad!.creator!.name).toBe('SumTo');
    expect(a.grad!.toArray()).toEqual([3, 3, 3]);
    expect(b.grad!.requiresGrad).toBe(true);
    // Without createGraph gradients are plain constants.
    const c = variable([1, 2, 3]);
    c.mul(b).sum().backward();
    expect([c.grad!.creator, c.grad!.requiresGrad]).toEqual([null, false]);
  });

  it('handles a 100,000-node chain without recursion', () => {
    const x = variable(0, { dtype: 'float64' });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1);
    expect(y.generation).toBe(100_000);
    y.backward();
    expect(y.item()).toBe(100_000);
    expect(x.grad!.item()).toBe(1);
    // A long chain with branching at every step (each value used twice).
    const z = variable(1, { dtype: 'float64' });
    let w = z;
    for (let i = 0; i < 50_000; i++) w = w.mul(0.5).add(w.mul(0.5));
    w.backward();
    expect(z.grad!.item()).toBeCloseTo(1, 9);
  });

  it('rejects a gradient of the wrong shape from a non-broadcasting node', () => {
    class Bad extends Function {
      forward(x: Tensor): Tensor {
        return x.sum();
      }
      backward(gy: Variable): Variable {
        return gy;
      }
    }
    expect(() => new Bad().apply(variable([1, 2])).backward()).toThrow(
      /Bad.backward returned a gradient of shape \(\) for input 0 of shape \(2\)/,
    );
  });
});

describe('requiresGrad pruning', () => {
  it('does not record nodes whose inputs do not require grad', () => {
    const x = variable([1, 2], { requiresGrad: false });
    const y = x.mul(2).exp();
    expect([y.creator, y.requiresGrad]).toEqual([null, false]);
    const W = variable([[1], [1]]);
    const z = y.matmul(W);
    expect(z.creator!.name).toBe('MatMul');
    expect(z.creator!.needsInputGrad).toEqual([false, true]);
    expect(z.creator!.inputs[0].creator).toBeNull(); // the path behind x was never recorded
  });

  it('does not ask for, or store, gradients of inputs that do not need them', () => {
    const calls: boolean[][] = [];
    class Spy extends Function {
      forward(a: Tensor, b: Tensor): Tensor {
        return a.mul(b);
      }
      backward(gy: Variable) {
        calls.push([...this.needsInputGrad]);
        const [a, b] = this.inputs;
        return [this.needsInputGrad[0] ? gy.mul(b) : null, this.needsInputGrad[1] ? gy.mul(a) : null];
      }
    }
    const a = variable(2);
    const b = variable(3, { requiresGrad: false });
    new Spy().apply(a, b).backward();
    expect(calls).toEqual([[true, false]]);
    expect(a.grad!.item()).toBe(3);
    expect(b.grad).toBeNull();
    // Even a gradient returned for it is ignored.
    const c = variable(1, { requiresGrad: false });
    const d = variable(1);
    d.add(c).backward();
    expect(c.grad).toBeNull();
  });
});

describe('grad modes', () => {
  it('noGrad and enableGrad nest and restore, also after an exception', () => {
    const x = variable(1);
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      expect(x.mul(2).creator).toBeNull();
      enableGrad(() => {
        expect(isGradEnabled()).toBe(true);
        expect(x.mul(2).creator!.name).toBe('Mul');
        noGrad(() => expect(isGradEnabled()).toBe(false));
        expect(isGradEnabled()).toBe(true);
      });
      expect(isGradEnabled()).toBe(false);
      expect(() =>
        enableGrad(() => {
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(isGradEnabled()).toBe(false);
    });
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => 42)).toBe(42);
  });

  it('rejects async callbacks (they are synchronous scopes)', async () => {
    const promise = Promise.resolve(1);
    expect(() => noGrad(() => promise)).toThrow(/synchronous/);
    expect(isGradEnabled()).toBe(true);
    await promise;
  });
});

describe('hooks', () => {
  it('see and replace a leaf gradient once per backward, with the summed total', () => {
    const x = variable(2);
    const seen: number[] = [];
    const handle = x.registerHook((g) => {
      seen.push(g.item());
      return g.mul(10);
    });
    x.mul(x).backward(); // two contributions, one call with their sum
    expect(seen).toEqual([4]);
    expect(x.grad!.item()).toBe(40);
    handle.remove();
    x.zeroGrad();
    x.mul(x).backward();
    expect(seen).toEqual([4]);
    expect(x.grad!.item()).toBe(4);
  });

  it('on an intermediate value change what flows further back', () => {
    const x = variable(3);
    const h = x.mul(2);
    let seen = 0;
    h.registerHook((g) => {
      seen = g.item();
      return g.mul(0);
    });
    h.mul(5).backward();
    expect(seen).toBe(5);
    expect(x.grad!.item()).toBe(0);
  });

  it('a hook that returns nothing only observes', () => {
    const x = variable(3);
    x.registerHook(() => undefined);
    x.mul(4).backward();
    expect(x.grad!.item()).toBe(4);
  });
});

describe('custom nodes', () => {
  class Swish extends Function {
    override get rule(): string {
      return 'Swish: dx = dy·(s + y·(1 − s)), s = sigmoid(x)';
    }
    forward(x: Tensor): Tensor {
      return x.mul(x.sigmoid());
    }
    backward(gy: Variable): Variable {
      const x = this.inputs[0];
      const y = this.outputs[0];
      const s = x.sigmoid();
      return gy.mul(s.add(y.mul(s.neg().add(1))));
    }
  }

  it('a subclass of Function is a node with a name, a rule and a working backward', () => {
    const x = variable([-1, 0, 2], { dtype: 'float64' });
    const y = new Swish().apply(x);
    expect(y.creator!.name).toBe('Swish');
    y.sum().backward();
    const expected = [-1, 0, 2].map((v) => {
      const s = 1 / (1 + Math.exp(-v));
      return s + v * s * (1 - s);
    });
    (x.grad!.toArray() as number[]).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 12));
  });

  it('multi-output nodes via applyAll; unused outputs get zero gradients', () => {
    const x = variable([1, 2, 3, 4]);
    const [a, b] = x.split(2);
    expect(a.creator).toBe(b.creator);
    expect([a.outputIndex, b.outputIndex]).toEqual([0, 1]);
    b.sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 1, 1]);
    expect(() => new nodeClasses.Split(2, 0).apply(x)).toThrow(/applyAll/);
  });
});

describe('anomaly mode', () => {
  it('names the node whose forward produced NaN and where it was created', () => {
    expect(isAnomalyEnabled()).toBe(false);
    let error: unknown;
    try {
      detectAnomaly(() => variable(-1).log());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AnomalyError);
    expect((error as Error).message).toMatch(/^Log produced nan in its forward output 0/);
    expect((error as Error).message).toContain('engine.test.ts');
    expect(isAnomalyEnabled()).toBe(false);
  });

  it('names the node whose backward produced Inf', () => {
    const x = variable([0, 1]);
    expect(() => detectAnomaly(() => x.sqrt().sum().backward())).toThrow(
      /^Sqrt produced inf in its backward \(Div produced inf .*\)\. The node was created at:\n.*engine\.test\.ts/s,
    );
  });

  it('captures no stacks outside anomaly mode', () => {
    const y = variable(1).mul(2);
    expect(y.creator!.creationStack).toBeNull();
    expect(detectAnomaly(() => variable(1).mul(2)).creator!.creationStack).toContain('engine.test.ts');
    // Outside anomaly mode NaN passes silently, as in PyTorch.
    expect(Number.isNaN(variable(-1).log().item())).toBe(true);
  });
});

describe('gradients (torch.autograd.grad)', () => {
  it('returns gradients for leaves and intermediates without touching .grad', () => {
    const x = variable([1, 2]);
    const h = x.mul(3);
    const y = h.square().sum();
    const [gx, gh] = gradients(y, [x, h]);
    expect(gx!.toArray()).toEqual([18, 36]);
    expect(gh!.toArray()).toEqual([6, 12]);
    expect(x.grad).toBeNull();
    const unrelated = variable(1);
    expect(gradients(x.sum(), [unrelated])).toEqual([null]);
  });

  it('with createGraph the results are differentiable', () => {
    const x = variable([1, 2, 3], { dtype: 'float64' });
    const [dx] = gradients(x.pow(3).sum(), [x], { createGraph: true });
    const [ddx] = gradients(dx!.sum(), [x]);
    expect(ddx!.toArray()).toEqual([6, 12, 18]);
  });

  it('accepts explicit seeds for non-scalar outputs', () => {
    const x = variable([1, 2]);
    const [g] = gradients(x.mul(x), [x], { gradOutputs: [tensor([1, -1])] });
    expect(g!.toArray()).toEqual([2, -4]);
    expect(zeros([2]).shape).toEqual([2]);
  });
});

describe('operands', () => {
  it('numbers take the dtype of the other operand; integer tensors are constants too', () => {
    const x = variable([1, 2], { dtype: 'float64' });
    expect(x.mul(0.1).dtype).toBe('float64');
    const ints = new Variable(tensor([1, 2], { dtype: 'int32' }), { requiresGrad: false });
    expect(ints.add(1).dtype).toBe('int32');
  });
});
