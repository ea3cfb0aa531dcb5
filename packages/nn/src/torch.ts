import { type Tensor, formatShape, sameShape } from '@nn/tensor';
import { BatchNorm } from './layers/batchnorm.js';
import { Conv2d } from './layers/conv.js';
import { Linear } from './layers/linear.js';
import { Module, StateDictError } from './module.js';

/**
 * PyTorch state dicts (`model.state_dict()`, saved with safetensors) mapped onto our modules, and
 * back. The module paths are the same (`0`, `fc1`, `features.3`); the names and layouts of the
 * layers' own tensors differ:
 *
 * | our layer  | ours                      | PyTorch                                     |
 * | ---------- | ------------------------- | ------------------------------------------- |
 * | Linear     | `W` (in, out), `b`        | `weight` (out, in) — transposed, `bias`     |
 * | Conv2d     | `W` (out, in, kh, kw), `b`| `weight` (same layout), `bias`              |
 * | BatchNorm  | `gamma`, `beta`, `runningMean`, `runningVar` | `weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked` (not kept) |
 *
 * Any other parameter or buffer keeps its own name.
 */

/** One tensor of the mapping: PyTorch's key, ours, and what was done to it. */
export interface TorchMapping {
  torchKey: string;
  key: string;
  /** The shape in PyTorch's layout. */
  torchShape: number[];
  /** True for a Linear weight: (out, in) in PyTorch, (in, out) here. */
  transposed: boolean;
}

/** What loadTorchStateDict did. @example const report = loadTorchStateDict(net, tensors); console.log(report.mapped); */
export interface TorchLoadReport {
  /** Every tensor loaded, with its two names. */
  mapped: TorchMapping[];
  /** PyTorch keys the module expects that the dict lacks. */
  missingKeys: string[];
  /** Keys of the dict the module has no place for. */
  unexpectedKeys: string[];
  /** Keys present on both sides with shapes that disagree (in PyTorch's layout). */
  mismatchedKeys: string[];
  /** Keys read and deliberately dropped (BatchNorm's `num_batches_tracked`). */
  ignoredKeys: string[];
}

/** Options of loadTorchStateDict. @example loadTorchStateDict(net, tensors, { strict: false, rename: (k) => k.replace(/^module\./, '') }) */
export interface TorchLoadOptions {
  /**
   * true (default): any missing, unexpected or mismatched key is a StateDictError naming them
   * all, and nothing is loaded. false: what fits is loaded, the rest only reported.
   */
  strict?: boolean;
  /** Maps each key of the dict before matching, e.g. to drop DataParallel's `module.` prefix. */
  rename?: (torchKey: string) => string;
}

/** A place in our module for one PyTorch key. */
interface Slot {
  torchKey: string;
  key: string;
  transposed: boolean;
  /** Its current value (for the expected shape and dtype). */
  current: Tensor;
}

const join = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}.${name}`);

/** Every PyTorch key the module has a place for, plus the keys PyTorch has that we drop. */
function slotsOf(module: Module): { slots: Slot[]; ignored: string[] } {
  const slots: Slot[] = [];
  const ignored: string[] = [];
  const claimed = new Set<string>();
  const add = (prefix: string, torchName: string, ours: string, current: Tensor, transposed = false) => {
    slots.push({ torchKey: join(prefix, torchName), key: join(prefix, ours), transposed, current });
    claimed.add(join(prefix, ours));
  };
  for (const [prefix, m] of module.namedModules()) {
    if (m instanceof Linear) {
      add(prefix, 'weight', 'W', m.W.data, true);
      if (m.b !== null) add(prefix, 'bias', 'b', m.b.data);
    } else if (m instanceof Conv2d) {
      add(prefix, 'weight', 'W', m.W.data);
      if (m.b !== null) add(prefix, 'bias', 'b', m.b.data);
    } else if (m instanceof BatchNorm) {
      add(prefix, 'weight', 'gamma', m.gamma.data);
      add(prefix, 'bias', 'beta', m.beta.data);
      add(prefix, 'running_mean', 'runningMean', m.runningMean);
      add(prefix, 'running_var', 'runningVar', m.runningVar);
      ignored.push(join(prefix, 'num_batches_tracked'));
    }
  }
  // Everything else (a custom module's own Parameters and buffers) keeps its name.
  for (const [key, p] of module.namedParameters())
    if (!claimed.has(key)) slots.push({ torchKey: key, key, transposed: false, current: p.data });
  for (const [key, t] of module.namedBuffers())
    if (!claimed.has(key)) slots.push({ torchKey: key, key, transposed: false, current: t });
  return { slots, ignored };
}

function torchShape(slot: Slot): number[] {
  const shape = [...slot.current.shape];
  return slot.transposed ? shape.reverse() : shape;
}

/**
 * Loads a PyTorch `state_dict()` (e.g. the tensors of a safetensors file saved from it) into the
 * equivalent @nn model: Linear weights are transposed from (out, in), BatchNorm's names mapped,
 * `num_batches_tracked` dropped, dtypes converted to the model's. Returns a report of the mapping;
 * in strict mode (the default) missing, unexpected and mismatched keys are one StateDictError
 * naming each. The model's Parameter objects are kept (an optimizer built on them keeps working).
 *
 * @example
 * // PyTorch: nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10)); save_file(model.state_dict(), 'mlp.safetensors')
 * const net = new Sequential(new Linear(784, 50), new ReLU(), new Linear(50, 10));
 * const { tensors } = await load('mlp.safetensors');
 * const report = loadTorchStateDict(net, tensors); // report.mapped[0]: { torchKey: '0.weight', key: '0.W', transposed: true, ... }
 */
export function loadTorchStateDict(
  module: Module,
  tensors: Readonly<Record<string, Tensor>>,
  options: TorchLoadOptions = {},
): TorchLoadReport {
  const strict = options.strict ?? true;
  const rename = options.rename ?? ((k: string) => k);
  const given = new Map(Object.entries(tensors).map(([k, t]) => [rename(k), t]));
  const { slots, ignored } = slotsOf(module);
  const bySlot = new Set(slots.map((s) => s.torchKey));
  const ignoredKeys = ignored.filter((k) => given.has(k));
  const unexpectedKeys = [...given.keys()].filter((k) => !bySlot.has(k) && !ignored.includes(k));
  const missingKeys = slots.filter((s) => !given.has(s.torchKey)).map((s) => s.torchKey);
  const mismatched: string[] = [];
  const mapped: TorchMapping[] = [];
  const dict: Record<string, Tensor> = {};
  for (const slot of slots) {
    const t = given.get(slot.torchKey);
    if (t === undefined) continue;
    const expected = torchShape(slot);
    if (!sameShape(t.shape, expected)) {
      mismatched.push(
        `${slot.torchKey}: the model needs ${formatShape(expected)}, the dict has ${formatShape(t.shape)}`,
      );
      continue;
    }
    const value = slot.transposed ? t.transpose().contiguous() : t;
    dict[slot.key] = value.dtype === slot.current.dtype ? value : value.astype(slot.current.dtype);
    mapped.push({ torchKey: slot.torchKey, key: slot.key, torchShape: expected, transposed: slot.transposed });
  }
  const mismatchedKeys = mismatched.map((m) => m.slice(0, m.indexOf(':')));
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0 || mismatched.length > 0)) {
    const parts = [
      missingKeys.length > 0 ? `missing keys: ${missingKeys.join(', ')}` : '',
      unexpectedKeys.length > 0 ? `unexpected keys: ${unexpectedKeys.join(', ')}` : '',
      mismatched.length > 0 ? `shape mismatches: ${mismatched.join('; ')}` : '',
    ].filter(Boolean);
    throw new StateDictError(
      `loadTorchStateDict (${module.constructor.name}): ${parts.join('; ')} (pass { strict: false } to load what fits)`,
      missingKeys,
      unexpectedKeys,
    );
  }
  module.loadStateDict(dict, { strict: false });
  return { mapped, missingKeys, unexpectedKeys, mismatchedKeys, ignoredKeys };
}

/**
 * The module's parameters and buffers under PyTorch's names and layouts (Linear weights as
 * (out, in), BatchNorm as weight/bias/running_mean/running_var), copies, ready to save with
 * safetensors and load in PyTorch with `model.load_state_dict(load_file(path))`.
 *
 * @example
 * await save('mlp.safetensors', toTorchStateDict(net)); // keys 0.weight, 0.bias, 2.weight, 2.bias
 */
export function toTorchStateDict(module: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const slot of slotsOf(module).slots) {
    out[slot.torchKey] = slot.transposed ? slot.current.transpose().contiguous().clone() : slot.current.clone();
  }
  return out;
}
