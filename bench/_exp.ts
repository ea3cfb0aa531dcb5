import { Generator, randint, randn, kernels, registerBackend, setBackend, getBackend, type KernelBackend } from '@nn/tensor';
import { Linear, ReLU, SGD, Sequential, softmaxCrossEntropy } from '@nn/nn';
import { variable } from '@nn/autograd';
const g = new Generator(1);
const model = new Sequential(new Linear(784, 50, { generator: g }), new ReLU(), new Linear(50, 10, { generator: g }));
const opt = new SGD(model.parameters(), { lr: 0.1 });
const x = variable(randn([100, 784], { generator: g }), { requiresGrad: false });
const t = randint(0, 10, [100], { generator: g });
const step = () => { opt.zeroGrad(); const loss = softmaxCrossEntropy(model.forward(x), t); loss.backward(); opt.step(); return loss; };
function time(f: () => unknown, n = 2000) { for (let i = 0; i < 300; i++) f(); const s = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - s) / n; }
console.log('backend', getBackend(), 'eager ms', time(step).toFixed(4));
const real = kernels();
const tape: (() => void)[] = [];
const rec: any = { name: 'rec' };
for (const k of Object.keys(real)) if (k !== 'name') rec[k] = (...a: unknown[]) => { tape.push(() => (real as any)[k](...a)); return (real as any)[k](...a); };
registerBackend(rec as KernelBackend); setBackend('rec'); step(); setBackend(real.name);
console.log('tape length', tape.length);
const counts: Record<string, number> = {};
console.log('kernel-only replay ms', time(() => { for (const s of tape) s(); }).toFixed(4));
