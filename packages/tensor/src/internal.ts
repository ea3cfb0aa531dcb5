/**
 * @nn/tensor/internal — plumbing that @nn's own packages share and users should not call: the
 * Node built-ins reached without an import (runtime.ts), the storage pool's record-and-recycle pair the backward engine uses to reuse the scratch buffers of
 * a pass, and the storage version counters behind autograd's in-place checks. Not public API: it
 * may change in any release. The public knobs of the pool (setStorageRecycling,
 * setStoragePoolCapacity, storagePoolStatus, clearStoragePool) are exported from '@nn/tensor'.
 *
 * @example
 * import { recordStorage, recycleStorage } from '@nn/tensor/internal';
 * const { allocated } = recordStorage(true, () => zeros([1000, 1000]));
 * recycleStorage(allocated!); // only when nothing can reach those buffers any more
 */
export { recordStorage, recycleStorage } from './storage-pool.js';
export { markStorageModified, storageModifiedAt, storageWriteClock, tickWriteClock } from './storage-pool.js';
export { nodeBuiltin, requireNodeBuiltin } from './runtime.js';
