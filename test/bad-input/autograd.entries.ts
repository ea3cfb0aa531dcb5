import { AnomalyError, AutogradError } from '@nn/autograd';
import { DTypeError, IndexError, ShapeError, ValueError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

/** @nn/autograd's engine core: backward, saved values and in-place changes, grad modes, custom nodes, functional transforms. */
export const entries: Entry[] = [
  // ---- in-place changes of values a graph saved (version checks) ----
  {
    snippet: `const x = A.variable([1, 2, 3], { name: 'x' }); const y = x.mul(x).sum();
      x.data.data[0] = 10; x.data.markModified(); y.backward();`,
    throws: AutogradError,
    names: ['Mul', "input 0 'x'", 'modified in place', 'clone', 'optimizer.step()'],
  },
  {
    snippet: `const x = A.variable([1, 2, 3]); const y = x.exp().sum(); x.data = T.tensor([0, 0, 0]); y.backward();`,
    throws: AutogradError,
    names: ['Exp', 'modified in place'],
  },
  {
    snippet: `const layer = new nn.Linear(3, 2); const opt = new nn.SGD(layer.parameters(), { lr: 0.1 });
      const loss = layer.forward(A.variable(T.tensor([[1, 2, 3]]), { requiresGrad: false })).sum();
      loss.backward({ retainGraph: true }); opt.step(); loss.backward();`,
    throws: AutogradError,
    names: ['Add', 'input 1', 'modified in place', 'optimizer.step()'],
    note: 'optimizer.step() between a forward and (another) backward',
  },
  {
    snippet: `const layer = new nn.Linear(3, 2); const opt = new nn.Adam(layer.parameters(), { lr: 0.1 });
      const x = A.variable(T.tensor([[1, 2, 3]]), { requiresGrad: false });
      layer.forward(x).sum().backward(); const loss = layer.forward(x).sum(); opt.step(); loss.backward();`,
    throws: AutogradError,
    names: ['modified in place', 'optimizer.step()'],
  },
  {
    snippet: `const x = A.variable([1, 2, 3]); const y = x.sigmoid();
      y.data.data[1] = 0; y.data.markModified(); y.backward({ grad: T.ones([3]) });`,
    throws: AutogradError,
    names: ['Sigmoid', 'output 0', 'modified in place'],
  },
  {
    snippet: `const x = A.variable([[1, 2], [3, 4]]); const y = x.mul(2).sum();
      x.data.transpose().markModified(); y.backward();`,
    throws: AutogradError,
    names: ['Mul', 'input 0'],
    note: 'a view marks the storage it shares',
  },
  {
    snippet: `const x = A.variable([1, 2, 3]); const y = x.mul(x).sum(); const t = T.tensor([1]);
      t.data[0] = 5; t.markModified(); y.backward(); return x.grad.data.toArray();`,
    returns: [2, 4, 6],
    note: 'an unrelated in-place write does not disturb a graph',
  },
  {
    snippet: `const layer = new nn.Linear(2, 1); const opt = new nn.SGD(layer.parameters(), { lr: 0.01 });
      const x = A.variable(T.tensor([[1, 2]]), { requiresGrad: false });
      for (let i = 0; i < 3; i++) { opt.zeroGrad(); layer.forward(x).sum().backward(); opt.step(); } return 'ok';`,
    returns: 'ok',
    note: 'normal training: step after backward',
  },
  {
    snippet: `const x = A.variable([1, 2]); const y = x.mul(3).sum(); const c = x.data.clone();
      c.data[0] = 9; c.markModified(); y.backward(); return x.grad.data.toArray();`,
    returns: [3, 3],
    note: 'clone before modifying, as the message says',
  },
  // ---- gradients of gradients ----
  {
    snippet: `const x = A.variable(3); x.mul(x).backward(); x.grad.backward();`,
    throws: AutogradError,
    names: ['backward', 'createGraph'],
  },
  {
    snippet: `const x = A.variable(3); x.mul(x).mul(x).backward({ createGraph: true }); const g = x.grad; x.zeroGrad(); g.backward(); return x.grad.item();`,
    returns: 18,
  },
  {
    snippet: `const x = A.variable(3); const [g] = A.gradients(x.mul(x), [x]); g.backward();`,
    throws: AutogradError,
    names: ['createGraph'],
  },
  { snippet: `A.grad(A.grad((x) => x.mul(x).mul(x)))(2).item()`, returns: 12 },
  // ---- grad modes are synchronous scopes ----
  { snippet: `A.noGrad(async () => 1)`, throws: AutogradError, names: ['noGrad', 'must be synchronous'] },
  { snippet: `A.enableGrad(async () => 1)`, throws: AutogradError, names: ['enableGrad', 'must be synchronous'] },
  {
    snippet: `A.detectAnomaly(async () => 1)`,
    throws: AutogradError,
    names: ['detectAnomaly', 'must be synchronous'],
  },
  {
    snippet: `try { A.noGrad(async () => 1); } catch {} return A.isGradEnabled();`,
    returns: true,
    note: 'the mode is restored after a rejected async callback',
  },
  { snippet: `A.noGrad(() => A.variable(2).mul(3)).requiresGrad`, returns: false },
  // ---- backward misuse ----
  {
    snippet: `const y = A.variable([1, 2]).mul(2); y.backward();`,
    throws: AutogradError,
    names: ['backward', '(2)', 'one-element', 'grad'],
  },
  {
    snippet: `const y = A.variable([1, 2]).mul(2); y.backward({ grad: T.ones([3]) });`,
    throws: AutogradError,
    names: ['backward', '(3)', '(2)'],
  },
  {
    snippet: `const x = A.variable(2); const y = x.mul(x); y.backward(); y.backward();`,
    throws: AutogradError,
    names: ['Mul', 'already freed', 'retainGraph'],
  },
  {
    snippet: `A.variable(2, { requiresGrad: false }).mul(3).backward();`,
    throws: AutogradError,
    names: ['backward', 'does not require grad'],
  },
  {
    snippet: `const x = A.variable(2); const y = x.mul(x); y.backward({ retainGraph: true }); y.backward(); return x.grad.item();`,
    returns: 8,
  },
  { snippet: `new A.Variable([1, 2])`, throws: ValueError, names: ['Variable', 'Tensor', 'variable('] },
  // ---- custom nodes ----
  {
    snippet: `class Bad extends A.Function { forward(x) { return x; } backward(gy) { return gy.data; } }
      new Bad().apply(A.variable(2)).backward();`,
    throws: AutogradError,
    names: ['Bad.backward', 'Variables', 'Tensor'],
  },
  {
    snippet: `class Wrong extends A.Function { forward(x) { return x; } backward() { return A.variable([1, 2]); } }
      new Wrong().apply(A.variable(2)).backward();`,
    throws: AutogradError,
    names: ['Wrong.backward', '(2)', 'input 0'],
  },
  {
    snippet: `class Two extends A.Function { forward(x) { return [x, x]; } backward(a, b) { return a.add(b); } }
      new Two().apply(A.variable(2));`,
    throws: AutogradError,
    names: ['Two', '2 outputs', 'applyAll'],
  },
  {
    snippet: `class Keep extends A.Function { forward(x) { return x; } backward(gy) { this.kept = gy; return gy.mul(1); } }
      const x = A.variable(T.ones([300, 300])); const node = new Keep();
      node.apply(x).mul(2).sum().backward(); const before = node.kept.data.toArray()[0][0];
      for (let i = 0; i < 3; i++) A.variable(T.ones([300, 300])).mul(5).exp().sum().backward();
      return [before, node.kept.data.toArray()[0][0]];`,
    returns: [2, 2],
    note: 'a custom node may keep its gradient: it is never recycled',
  },
  {
    snippet: `const x = A.variable([1]); x.registerHook(() => A.variable([1, 2])); x.mul(2).sum().backward();`,
    throws: AutogradError,
    names: ['registerHook', '(1)'],
  },
  // ---- anomaly mode ----
  {
    snippet: `A.detectAnomaly(() => A.variable(-1).log().backward());`,
    throws: AnomalyError,
    names: ['Log', 'nan', 'created at'],
  },
  // ---- functional transforms ----
  { snippet: `A.grad((x) => x.mul(x), [3])(2)`, throws: AutogradError, names: ['argnum 3', 'out of range'] },
  { snippet: `A.grad((x) => x.mul(x).sum())(T.tensor([1, 2])).data.toArray()`, returns: [2, 4] },
  // ---- forward mode and higher-order transforms (issue 20) ----
  {
    snippet: `A.jvp((x) => x.sin(), [T.tensor([1, 2, 3])], [T.tensor([[1, 2, 3]])])`,
    throws: ShapeError,
    names: ['jvp', 'tangent 0', '(1,3)', 'primal 0', '(3)'],
  },
  {
    snippet: `A.jvp((x) => x.sin(), [T.tensor([1, 2], { dtype: 'float64' })], [T.tensor([1, 2])])`,
    throws: DTypeError,
    names: ['jvp', 'tangent 0', 'float32', 'float64'],
  },
  {
    snippet: `A.jvp((x) => x.sin(), [T.tensor([1, 2], { dtype: 'int32' })], [1])`,
    throws: DTypeError,
    names: ['jvp', 'primal 0', 'int32', 'null'],
  },
  {
    snippet: `A.jvp((x, y) => x.mul(y), [1, 2], [1])`,
    throws: AutogradError,
    names: ['jvp', '2 primals', '1 tangents'],
  },
  {
    snippet: `A.jvp((x) => x.sin(), T.tensor([1]), T.tensor([1]))`,
    throws: AutogradError,
    names: ['jvp', 'arrays', 'jvp(f, [x], [v])'],
    note: 'primals passed bare instead of in an array',
  },
  {
    snippet: `A.jvp((x) => x.item(), [2], [1])`,
    throws: AutogradError,
    names: ['jvp', 'f must return a Variable', 'number'],
  },
  { snippet: `A.jvp((x) => [x.mul(2), { y: x }], [2], [1])[1][1].y.item()`, returns: 1 },
  {
    snippet: `class Cube extends A.Function { forward(x) { return x.mul(x).mul(x); } backward(gy) { return gy.mul(this.inputs[0].square().mul(3)); } }
      A.jvp((x) => new Cube().apply(x), [2], [1]);`,
    throws: AutogradError,
    names: ['Cube', 'no forward-mode rule', 'jvp(', "mode: 'rev'"],
    note: 'a custom node without a jvp rule',
  },
  {
    snippet: `class Cube extends A.Function { forward(x) { return x.mul(x).mul(x); } backward(gy) { return gy.mul(3); }
      jvp(dx) { return dx.data; } }
      A.jvp((x) => new Cube().apply(x), [2], [1]);`,
    throws: AutogradError,
    names: ['Cube.jvp', 'Variables', 'Tensor', 'output 0'],
    note: 'a jvp rule that returns a Tensor',
  },
  {
    snippet: `class Wide extends A.Function { forward(x) { return x; } backward(gy) { return gy; } jvp(dx) { return dx.reshape([1, -1]); } }
      A.jvp((x) => new Wide().apply(x), [T.tensor([1, 2])], [T.tensor([1, 1])]);`,
    throws: AutogradError,
    names: ['Wide.jvp', '(1,2)', 'output 0', '(2)'],
  },
  {
    snippet: `const x = A.variable([1, 2]); A.jvp((a, b) => a.mul(b), [x, x], [T.tensor([1, 0]), T.tensor([0, 1])]);`,
    throws: AutogradError,
    names: ['jvp', 'primals 0 and 1', 'same Variable'],
  },
  {
    snippet: `A.jacobian((x) => x.square(), T.tensor([1, 2]), { mode: 'forward' })`,
    throws: ValueError,
    names: ['jacobian', 'mode', "'rev'", "'fwd'", 'forward'],
  },
  {
    snippet: `A.jacobian((x) => x.square(), T.tensor([1, 2], { dtype: 'int32' }), { mode: 'fwd' })`,
    throws: DTypeError,
    names: ['jacobian', 'input 0', 'int32'],
  },
  {
    snippet: `A.jacobian((x) => x.square(), T.tensor([1, 2])).data.toArray()`,
    returns: [
      [2, 0],
      [0, 4],
    ],
  },
  { snippet: `A.jacobian((x) => x.square(), T.tensor([]), { mode: 'fwd' }).shape`, returns: [0, 0] },
  {
    snippet: `A.hessian((x) => x.square(), T.tensor([1, 2]))`,
    throws: AutogradError,
    names: ['hessian', 'one-element', '(2)'],
  },
  {
    snippet: `A.hvp((x) => x.square().sum(), T.tensor([1, 2]), T.tensor([1, 2, 3]))`,
    throws: ShapeError,
    names: ['hvp', 'vector v 0', '(3)', 'input 0', '(2)'],
  },
  {
    snippet: `A.hvp((x, y) => x.mul(y).sum(), [T.tensor([1]), T.tensor([2])], T.tensor([1]))`,
    throws: AutogradError,
    names: ['hvp', 'both be arrays'],
  },
  {
    snippet: `A.hessian((x) => x.pow(3).sum(), T.tensor([1, 2], { dtype: 'float64' })).data.toArray()`,
    returns: [
      [6, 0],
      [0, 12],
    ],
  },
  // ---- vmap (issue 20) ----
  {
    snippet: `A.vmap((x, y) => x.add(y))(T.zeros([3, 2]), T.zeros([4, 2]))`,
    throws: ShapeError,
    names: ['vmap', 'batch sizes', 'argument 0', '3', '(3,2)', 'argument 1', '4', '(4,2)'],
  },
  {
    snippet: `A.vmap((x) => x.sum(), { inAxes: 2 })(T.zeros([3, 2]))`,
    throws: IndexError,
    names: ['vmap', 'inAxes[0] = 2', 'out of range', '(3,2)'],
  },
  {
    snippet: `A.vmap((x) => x.sum())(T.tensor(5))`,
    throws: IndexError,
    names: ['vmap', '0-d', 'null'],
  },
  {
    snippet: `A.vmap((x, y) => x.add(y), { inAxes: [0] })(T.zeros([3]), T.zeros([3]))`,
    throws: ValueError,
    names: ['vmap', 'inAxes has 1 entries', '2 arguments'],
  },
  {
    snippet: `A.vmap((x) => x, { inAxes: '0' })`,
    throws: ValueError,
    names: ['vmap', 'inAxes', 'integer'],
  },
  {
    snippet: `A.vmap((x) => x.sum(), { inAxes: null })(T.zeros([3]))`,
    throws: ValueError,
    names: ['vmap', 'no argument is batched'],
  },
  {
    snippet: `A.vmap((x) => A.variable(x.item()))(T.zeros([3, 2]))`,
    throws: AutogradError,
    names: ['vmap', 'batched value', '(2)', 'cannot be read'],
  },
  {
    snippet: `class Cube extends A.Function { forward(x) { return x.mul(x).mul(x); } backward(gy) { return gy.mul(this.inputs[0].square().mul(3)); } }
      A.vmap((x) => new Cube().apply(x))(T.zeros([3]));`,
    throws: AutogradError,
    names: ['vmap', 'Cube', 'no batching rule', 'batch(inputs, size)'],
    note: 'a custom node without a batching rule: an error, never a loop',
  },
  {
    snippet: `A.vmap((x) => A.jvp((u) => u.sin(), [x], [x])[1])(T.zeros([3, 2]))`,
    throws: AutogradError,
    names: ['vmap', 'jvp', 'inside vmap', 'not supported', 'jvp(vmap(f))'],
  },
  {
    snippet: `A.vmap(A.grad((x) => x.square().sum()))(T.tensor([[1, 2], [3, 4]])).data.toArray()`,
    returns: [
      [2, 4],
      [6, 8],
    ],
  },
];
