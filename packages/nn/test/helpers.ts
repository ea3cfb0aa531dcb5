/**
 * Test helpers: gradient checks of whole Modules with the shared gradcheck kit of @nn/autograd.
 *
 * `checkModule` differentiates a module's output with respect to its input and every Parameter:
 * gradcheck hands f fresh leaf Variables for each evaluation, and f puts them in the parameters'
 * fields for the duration of one forward pass. Everything is float64 (the module is converted
 * with `astype`). Tolerances are gradcheck's (eps 1e-6, atol 1e-5, rtol 1e-3) unless given.
 */
import { Generator, type Tensor, randn } from '@nn/tensor';
import { Variable } from '@nn/autograd';
import { type GradcheckOptions, type GradcheckReport, assertGradcheck } from '@nn/autograd/testing';
import { type Module, Parameter } from '@nn/nn';

interface Slot {
  owner: Record<string, unknown>;
  key: string;
  name: string;
  param: Parameter;
}

/** Every Parameter held directly in a field of some module of the tree. */
function parameterSlots(module: Module): Slot[] {
  const slots: Slot[] = [];
  for (const [prefix, m] of module.namedModules()) {
    const owner = m as unknown as Record<string, unknown>;
    for (const key of Object.keys(owner)) {
      const value = owner[key];
      if (value instanceof Parameter)
        slots.push({ owner, key, name: prefix === '' ? key : `${prefix}.${key}`, param: value });
    }
  }
  return slots;
}

export interface CheckModuleOptions extends GradcheckOptions {
  /** Runs before every forward pass (e.g. to reset a Dropout generator so the mask is replayed). */
  beforeForward?: () => void;
}

/** assertGradcheck of x ↦ module.forward(x) with respect to x and all parameters, in float64. */
export function checkModule(module: Module, x: Tensor, options: CheckModuleOptions = {}): GradcheckReport {
  const { beforeForward, ...gradcheckOptions } = options;
  module.astype('float64');
  const slots = parameterSlots(module);
  const f = (input: Variable, ...params: Variable[]): Variable => {
    slots.forEach((s, i) => (s.owner[s.key] = params[i]));
    try {
      beforeForward?.();
      return module.forward(input);
    } finally {
      slots.forEach((s) => (s.owner[s.key] = s.param));
    }
  };
  const inputs = [
    new Variable(x.astype('float64'), { name: 'x' }),
    ...slots.map((s) => new Variable(s.param.data, { name: s.name })),
  ];
  return assertGradcheck(f, inputs, gradcheckOptions);
}

/** float64 standard normal samples from a fixed seed. */
export function sample(shape: number[], seed = 0): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed) });
}

/** Flat values of a tensor. */
export function values(t: Tensor): number[] {
  return Array.from(t.toTypedArray(), Number);
}

/** Mean and (biased) standard deviation of a list of numbers. */
export function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i];
  mean /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length) };
}
