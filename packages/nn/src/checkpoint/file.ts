/**
 * Safetensors files on disk. `save` is atomic: it writes a temporary file in the target's
 * directory, flushes it to the device, and renames it over the target, so a crash or a failed
 * write at any moment leaves either the old file or the new one, never a torn mix.
 *
 * Node's `fs` is imported on first use rather than at the top, so bundling @nn/nn for a browser
 * (which has encode/decode but no files) does not pull in Node built-ins.
 */
import type { Tensor } from '@nn/tensor';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors.js';

/**
 * A file path, or a `file:` URL.
 * @example await load(new URL('./model.safetensors', import.meta.url));
 */
export type FilePath = string | URL;

/**
 * Writes `tensors` (and optional string metadata) to a safetensors file, atomically: the bytes go
 * to a temporary file beside `path` (`.name.<pid>-<random>.tmp`), which is fsynced, closed and
 * renamed over `path`, and then the directory is fsynced. Temporary files of the same target left
 * by a killed save are removed first (see `removeStaleTemporaries`). If anything fails, the temporary file is
 * removed, `path` keeps its previous contents, and the error (Node's, with its `code`) is thrown.
 * Invalid input (a non-string metadata value) is rejected before the disk is touched.
 *
 * @example
 * await save('weights.safetensors', { W: randn([784, 50]), b: zeros([50]) }, { epoch: '3' });
 */
export async function save(
  path: FilePath,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes);
}

/**
 * Reads a safetensors file written by `save` or any other safetensors writer (PyTorch,
 * NumPy, JAX via the `safetensors` library). Every check of `decodeSafetensors` runs before a
 * tensor is allocated; format errors are CheckpointErrors whose message starts with `path`.
 * Files over 2 GiB are beyond Node's `readFile` and fail with its error.
 *
 * @example
 * const { tensors, metadata } = await load('weights.safetensors');
 * tensors.W.shape; // [784, 50]
 */
export async function load(path: FilePath): Promise<SafetensorsContents> {
  const fs = await import('node:fs/promises');
  const target = await pathString(path);
  const bytes = await fs.readFile(target);
  return decodeSafetensors(bytes, { source: target });
}

/** Writes `bytes` to `path` via a temporary file, fsync and rename (see `save`). */
export async function writeFileAtomic(path: FilePath, bytes: Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const target = await pathString(path);
  const directory = dirname(target);
  // Same directory, so the rename stays on one file system and is atomic; 'wx' never clobbers.
  await removeStaleTemporaries(directory, basename(target));
  const temporary = join(directory, `.${basename(target)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(temporary, 'wx');
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
    // Flush to the device before the rename: otherwise a power cut after the rename could leave
    // the new name pointing at a file whose data never reached the disk.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** A temporary file older than this is stale even if its pid is alive (the pid may have been reused). */
const STALE_TEMPORARY_MS = 24 * 60 * 60 * 1000;
/** Temporaries named before the pid was part of the name count as stale after this long. */
const STALE_UNNAMED_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * Removes temporary files that a killed save of `name` left in `directory`. Only names of the
 * exact pattern `.name.<pid>-<12 hex>.tmp` (or the older `.name.<12 hex>.tmp`) are considered,
 * so no other file is touched. One is stale when its writer is no longer running (`process.kill(pid,
 * 0)` says ESRCH) or it is over a day old; a pid-less one when it is over an hour old. A save in
 * progress, in this process or another, is left alone. Best effort: a failure here never fails
 * the save.
 */
async function removeStaleTemporaries(directory: string, name: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const { join } = await import('node:path');
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:(\\d+)-)?[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch {
    return;
  }
  for (const candidate of names) {
    const match = pattern.exec(candidate);
    if (!match) continue;
    const path = join(directory, candidate);
    try {
      const age = Date.now() - (await fs.stat(path)).mtimeMs;
      const pid = match[1] === undefined ? undefined : Number(match[1]);
      const stale =
        pid === undefined ? age > STALE_UNNAMED_TEMPORARY_MS : age > STALE_TEMPORARY_MS || !isProcessAlive(pid);
      if (stale) await fs.rm(path, { force: true });
    } catch {
      // Gone already (another save cleaned it) or not ours to remove: leave it.
    }
  }
}

/** Whether a process with this pid exists; EPERM means it exists but belongs to another user. */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Makes the rename itself durable. Best effort: some platforms (Windows) cannot open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  const fs = await import('node:fs/promises');
  try {
    const handle = await fs.open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file is already complete and renamed; only durability across a power cut is at stake.
  }
}

/** The path as a string (a `file:` URL converted), as it appears in error messages. */
export async function pathString(path: FilePath): Promise<string> {
  if (typeof path === 'string') return path;
  const { fileURLToPath } = await import('node:url');
  return fileURLToPath(path);
}
