import { ShapeError } from '@nn/tensor';
import type { Entry } from './catalogue.js';

/** @nn/tensor: creation, indexing, reductions, kernels' settings. */
export const entries: Entry[] = [
  { snippet: 'T.add(T.zeros([2, 3]), T.zeros([4, 3]))', throws: ShapeError, names: ['add', '(2,3)', '(4,3)'] },
];
