import { NNError } from '@nn/tensor';

/**
 * A safetensors file (or byte buffer) that cannot be read or written as one: a bad header length,
 * malformed JSON, an unknown dtype, offsets that disagree with a shape, overlapping or missing
 * bytes, or a checkpoint whose keys do not match the model. The message starts with the file (or
 * the `source` given to `decodeSafetensors`) and says what is wrong, e.g.
 * `model.safetensors: tensor 'W1': data_offsets [0, 100] hold 100 bytes but float32 (784,50) needs 156800`.
 *
 * Errors of the file system itself (a missing file, a full disk) are not CheckpointErrors: they
 * reach the caller unchanged, with Node's `code` (`ENOENT`, `ENOSPC`, ...).
 *
 * @example
 * try { decodeSafetensors(new Uint8Array(4), { source: 'weights.safetensors' }); }
 * catch (e) { if (e instanceof CheckpointError) console.log(e.message); }
 * // "weights.safetensors: file is 4 bytes, shorter than the 8-byte header length"
 */
export class CheckpointError extends NNError {
  override name = 'CheckpointError';
  /** `options.cause`: the underlying error, e.g. the StateDictError of a model that does not fit. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options && 'cause' in options) this.cause = options.cause;
  }
}
