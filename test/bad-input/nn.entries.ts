import type { Entry } from './catalogue.js';

/** @nn/nn. */
export const entries: Entry[] = [];
