import type { Entry } from './catalogue.js';

/** @nn/data. */
export const entries: Entry[] = [];
