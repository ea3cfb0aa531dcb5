import type { Entry } from './catalogue.js';

/** @nn/autograd. */
export const entries: Entry[] = [];
