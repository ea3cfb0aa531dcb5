/**
 * Safetensors files on disk. `save` is atomic: it writes a temporary file in the target's
 * directory, flushes it to the device, and renames it over the target, so a crash or a failed
 * write at any moment leaves either the old file or the new one, never a torn mix.
 *
 * Node's modules are asked for at run time (`nodeBuiltin`), never imported, so a browser bundle of
 * @nn/nn holds no Node built-ins. In a browser `load` fetches a URL and `save` is a PlatformError
 * (encodeSafetensors gives the bytes to download or store).
 */
import type { Tensor } from '@nn/tensor';
import { nodeBuiltin, requireNodeBuiltin } from '@nn/tensor/internal';
import { CheckpointError } from './errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors.js';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');
type Crypto = typeof import('node:crypto');
type Url = typeof import('node:url');

const BROWSER_SAVE = 'in a browser, encodeSafetensors(tensors) gives the bytes to download or store';

function nodeModules(op: string): { fs: Fs; path: Path } {
  return {
    fs: requireNodeBuiltin<Fs>('node:fs/promises', op, BROWSER_SAVE),
    path: requireNodeBuiltin<Path>('node:path', op, BROWSER_SAVE),
  };
}

/**
 * A file path, or a URL: `file:` in Node; `http(s):` (fetched) anywhere; in a browser a string is
 * a URL relative to the page.
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
 * Files over 2 GiB are beyond Node's `readFile` and fail with its error. An `http(s):` URL (and,
 * in a browser, any path) is fetched; an HTTP error status is a CheckpointError naming the URL.
 *
 * @example
 * const { tensors, metadata } = await load('weights.safetensors');
 * tensors.W.shape; // [784, 50]
 */
export async function load(path: FilePath): Promise<SafetensorsContents> {
  const fs = nodeBuiltin<Fs>('node:fs/promises');
  if (fs === null || isHttpUrl(path)) {
    const url = String(path);
    return decodeSafetensors(await fetchBytes(url), { source: url });
  }
  const target = pathString(path);
  const bytes = await fs.readFile(target);
  return decodeSafetensors(bytes, { source: target });
}

function isHttpUrl(path: FilePath): boolean {
  return /^https?:/i.test(String(path));
}

/** The body of `url`; a failed request or an error status is a CheckpointError naming the URL. */
async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new CheckpointError(`load: cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new CheckpointError(`load: ${url} answered HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Writes `bytes` to `path` via a temporary file, fsync and rename (see `save`). */
export async function writeFileAtomic(path: FilePath, bytes: Uint8Array): Promise<void> {
  const { fs, path: paths } = nodeModules('save');
  const { basename, dirname, join } = paths;
  const { randomBytes } = requireNodeBuiltin<Crypto>('node:crypto', 'save', BROWSER_SAVE);
  const target = pathString(path);
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
  const { fs, path } = nodeModules('save');
  const { join } = path;
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
  const { fs } = nodeModules('save');
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
export function pathString(path: FilePath): string {
  if (typeof path === 'string') return path;
  const url = nodeBuiltin<Url>('node:url');
  return url && path.protocol === 'file:' ? url.fileURLToPath(path) : path.href;
}
