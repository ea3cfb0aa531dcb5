/**
 * Training checkpoints: a model's and an optimizer's state dicts in one safetensors file, under
 * the key prefixes `model.` and `optimizer.`. Written against the small `StateDictHolder`
 * interface, which `Module` and every optimizer implement.
 */
import type { Tensor } from '@nn/tensor';
import { CheckpointError } from './errors.js';
import { load, pathString, save, type FilePath } from './file.js';

/**
 * Anything with a state dict: a `Module`, an optimizer, a learning-rate schedule.
 * @example const holders: StateDictHolder[] = [model, optimizer];
 */
export interface StateDictHolder {
  stateDict(): Record<string, Tensor>;
  loadStateDict(dict: Record<string, Tensor>, options?: { strict?: boolean }): unknown;
}

/**
 * What `saveCheckpoint` writes.
 * @example const options: SaveCheckpointOptions = { model, optimizer, metadata: { epoch: '3' } };
 */
export interface SaveCheckpointOptions {
  model: StateDictHolder;
  /** Saved under `optimizer.` so training can resume exactly. */
  optimizer?: StateDictHolder;
  /** String metadata (epoch, git hash, ...), stored in the header's `__metadata__`. */
  metadata?: Record<string, string>;
}

/**
 * Where `loadCheckpoint` puts what it reads.
 * @example const options: LoadCheckpointOptions = { model, strict: false };
 */
export interface LoadCheckpointOptions {
  model: StateDictHolder;
  /** Restored from the `optimizer.` keys; leave it out to load only the model (for inference). */
  optimizer?: StateDictHolder;
  /**
   * true (default): a key the model expects but the file lacks, a key under neither prefix, or an
   * optimizer with no saved state is an error. false: these are only listed in the result.
   */
  strict?: boolean;
}

/**
 * What `loadCheckpoint` reports. Keys are file keys, with their `model.`/`optimizer.` prefix.
 * @example const { metadata, missingKeys } = await loadCheckpoint(path, { model, strict: false }); // missingKeys: ['model.2.b']
 */
export interface LoadCheckpointResult {
  metadata: Record<string, string>;
  missingKeys: string[];
  unexpectedKeys: string[];
}

const MODEL = 'model.';
const OPTIMIZER = 'optimizer.';

/**
 * Saves a model (and optionally its optimizer) to one safetensors file, atomically (see `save`):
 * `model.<key>` for each model state-dict entry, `optimizer.<key>` for the optimizer's.
 *
 * @example
 * await saveCheckpoint('run/epoch-3.safetensors', { model, optimizer, metadata: { epoch: '3' } });
 */
export async function saveCheckpoint(path: FilePath, options: SaveCheckpointOptions): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  // defineProperty-free assignment is safe here: every key starts with a prefix, never "__proto__".
  for (const [key, t] of Object.entries(options.model.stateDict())) tensors[MODEL + key] = t;
  if (options.optimizer) {
    for (const [key, t] of Object.entries(options.optimizer.stateDict())) tensors[OPTIMIZER + key] = t;
  }
  await save(path, tensors, options.metadata);
}

/**
 * Loads a checkpoint written by `saveCheckpoint` into `model` (and `optimizer`), and returns the
 * file's metadata with the lists of missing and unexpected keys. `strict` is passed through to
 * `model.loadStateDict`, which owns the key and shape rules. It is all or nothing: if the
 * optimizer's state fails to load, the model is restored to what it was. Optimizer keys in the
 * file are ignored when no optimizer is given. A failure is a CheckpointError naming the file,
 * with the underlying error (e.g. a StateDictError) as its `cause`.
 *
 * @example
 * const model = new MLP();
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 * const { metadata } = await loadCheckpoint('run/epoch-3.safetensors', { model, optimizer });
 * const { missingKeys } = await loadCheckpoint('old.safetensors', { model, strict: false });
 */
export async function loadCheckpoint(path: FilePath, options: LoadCheckpointOptions): Promise<LoadCheckpointResult> {
  const strict = options.strict ?? true;
  const source = pathString(path);
  const { tensors, metadata } = await load(path);

  const modelDict: Record<string, Tensor> = {};
  const optimizerDict: Record<string, Tensor> = {};
  const stray: string[] = [];
  for (const [key, t] of Object.entries(tensors)) {
    if (key.startsWith(MODEL)) define(modelDict, key.slice(MODEL.length), t);
    else if (key.startsWith(OPTIMIZER)) define(optimizerDict, key.slice(OPTIMIZER.length), t);
    else stray.push(key);
  }
  const hasOptimizerState = Object.keys(optimizerDict).length > 0;
  if (strict && (stray.length > 0 || (options.optimizer && !hasOptimizerState))) {
    const problems: string[] = [];
    if (stray.length > 0) problems.push(`keys under neither 'model.' nor 'optimizer.': ${list(stray)}`);
    if (options.optimizer && !hasOptimizerState)
      problems.push(`an optimizer was given but the file has no 'optimizer.' keys`);
    const hint =
      Object.keys(modelDict).length === 0
        ? ` (is this a plain weights file? read it with load() and call model.loadStateDict())`
        : '';
    throw new CheckpointError(`${source}: ${problems.join('; ')}${hint}`);
  }

  const missingKeys: string[] = [];
  const unexpectedKeys = [...stray];
  const snapshot = options.optimizer && hasOptimizerState ? options.model.stateDict() : undefined;
  const modelReport = attempt(source, 'model', () => options.model.loadStateDict(modelDict, { strict }));
  collect(modelReport, MODEL, missingKeys, unexpectedKeys);

  if (options.optimizer) {
    if (hasOptimizerState) {
      try {
        const optimizerReport = attempt(source, 'optimizer', () =>
          options.optimizer!.loadStateDict(optimizerDict, { strict }),
        );
        collect(optimizerReport, OPTIMIZER, missingKeys, unexpectedKeys);
      } catch (error) {
        options.model.loadStateDict(snapshot!, { strict: true }); // all or nothing
        throw error;
      }
    } else {
      missingKeys.push(...Object.keys(options.optimizer.stateDict()).map((key) => OPTIMIZER + key));
    }
  }
  return { metadata, missingKeys, unexpectedKeys };
}

/** Runs a loadStateDict, turning its error into a CheckpointError that names the file. */
function attempt(source: string, part: string, load: () => unknown): unknown {
  try {
    return load();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CheckpointError(`${source}: cannot load the '${part}.' keys into the ${part}: ${message}`, {
      cause: error,
    });
  }
}

/** Adds a loadStateDict report's key lists (when it returns them, as Module does) with the prefix. */
function collect(report: unknown, prefix: string, missingKeys: string[], unexpectedKeys: string[]): void {
  if (typeof report !== 'object' || report === null) return;
  const { missingKeys: missing, unexpectedKeys: unexpected } = report as {
    missingKeys?: unknown;
    unexpectedKeys?: unknown;
  };
  if (Array.isArray(missing)) missingKeys.push(...missing.map((key) => prefix + String(key)));
  if (Array.isArray(unexpected)) unexpectedKeys.push(...unexpected.map((key) => prefix + String(key)));
}

/** Sets an own property even for the key "__proto__" (which plain assignment would not). */
function define(dict: Record<string, Tensor>, key: string, value: Tensor): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}

function list(keys: readonly string[]): string {
  const shown = keys
    .slice(0, 10)
    .map((k) => `'${k}'`)
    .join(', ');
  return keys.length > 10 ? `${shown}, … (${keys.length} in all)` : shown;
}
