import { requireNodeBuiltin } from '@nn/tensor/internal';
import { type ExampleInput, type Exportable, type ExportOptions, exportOnnx } from './export.js';

/**
 * ONNX files on disk. Node's fs is asked for at run time, never imported, so a browser bundle
 * of @nn/onnx holds no Node built-ins (there, exportOnnx gives the bytes to download or store).
 */

type Fs = typeof import('node:fs/promises');
const IN_A_BROWSER = 'in a browser, exportOnnx(...) gives the bytes to download or store';

/**
 * Exports like `exportOnnx` and writes the bytes to `path`.
 * @example await saveOnnx('mlp.onnx', model, [randn([1, 784])]);
 */
export async function saveOnnx(
  path: string | URL,
  model: Exportable,
  exampleInputs: readonly ExampleInput[],
  options: ExportOptions = {},
): Promise<void> {
  const bytes = exportOnnx(model, exampleInputs, options);
  await requireNodeBuiltin<Fs>('node:fs/promises', 'saveOnnx', IN_A_BROWSER).writeFile(path, bytes);
}

/**
 * The bytes of an ONNX file (for importOnnx or decodeModel).
 * @example const net = importOnnx(await readOnnx('mlp.onnx'));
 */
export async function readOnnx(path: string | URL): Promise<Uint8Array> {
  const fs = requireNodeBuiltin<Fs>('node:fs/promises', 'readOnnx', 'in a browser, fetch the file and pass its bytes');
  const buffer = await fs.readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
