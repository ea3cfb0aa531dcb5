/**
 * Vitest global setup: tests run from the TypeScript sources, which import the generated
 * src/kernels/wasm/kernels.wasm.generated.ts, so compile it when it is missing or out of date.
 */
import { buildWasm } from './build.mjs';

export default async function setup() {
  await buildWasm({ ifStale: true });
}
