/**
 * Checkpoints in the safetensors format: a JSON header and raw little-endian tensor data, never
 * executable code. Format-level `encodeSafetensors`/`decodeSafetensors` work on bytes (and in a
 * browser); `save`/`load` add atomic files; `saveCheckpoint`/`loadCheckpoint` store a model with
 * its optimizer.
 *
 * @example
 * await saveCheckpoint('ckpt.safetensors', { model, optimizer, metadata: { epoch: '5' } });
 * await loadCheckpoint('ckpt.safetensors', { model, optimizer });
 */
export { CheckpointError } from './errors.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  MAX_HEADER_BYTES,
  MAX_HEADER_ENTRIES,
  type SafetensorsContents,
  type DecodeOptions,
} from './safetensors.js';
export { save, load, type FilePath } from './file.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  type StateDictHolder,
  type SaveCheckpointOptions,
  type LoadCheckpointOptions,
  type LoadCheckpointResult,
} from './checkpoint.js';
