/**
 * The whole matmul test file again with the plain-JavaScript kernels selected: the default
 * backend is 'wasm' where WebAssembly SIMD runs, so matmul.test.ts itself covers that one.
 */
import { afterAll, beforeAll } from 'vitest';
import { getBackend, setBackend } from '../src/kernels/index.js';
import './matmul.test.js';

let previous = 'js';
beforeAll(() => {
  previous = getBackend();
  setBackend('js');
});
afterAll(() => setBackend(previous));
