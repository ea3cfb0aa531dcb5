import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as A from '@nn/autograd';
import * as data from '@nn/data';
import * as nn from '@nn/nn';
import * as onnx from '@nn/onnx';
import * as T from '@nn/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from './catalogue.js';

// One file of entries per area (`<area>.entries.ts`, exporting `entries`); each is a plain array,
// so a reviewer reads it as a table.
const tables: Record<string, Entry[]> = {};
for (const file of fs
  .readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.entries.ts'))
  .sort()) {
  const module = (await import(`./${file}`)) as { entries: Entry[] };
  tables[file.replace('.entries.ts', '')] = module.entries;
}

type Body = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => Body;
const scopeNames = ['T', 'A', 'nn', 'data', 'tmp', 'fs', 'path', 'onnx'];

/** Compiles a snippet: as one expression if it parses as one, else as a function body. */
function compile(snippet: string): Body {
  try {
    return new AsyncFunction(...scopeNames, `return (${snippet}\n);`);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return new AsyncFunction(...scopeNames, snippet);
  }
}

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function run(snippet: string): Promise<{ value?: unknown; error?: unknown }> {
  tmp = mkdtempSync(path.join(tmpdir(), 'nn-bad-input-'));
  try {
    return { value: await compile(snippet)(T, A, nn, data, tmp, fs, path, onnx) };
  } catch (error) {
    return { error };
  }
}

describe('bad-input catalogue', () => {
  it('has entries', () => expect(Object.values(tables).flat().length).toBeGreaterThan(0));
  for (const [table, entries] of Object.entries(tables)) {
    if (entries.length === 0) continue;
    describe(table, () => {
      for (const entry of entries) {
        it(entry.snippet, async () => {
          const { value, error } = await run(entry.snippet);
          if ('returns' in entry) {
            if (error) throw error;
            expect(value).toEqual(entry.returns);
            return;
          }
          expect(error, 'it threw nothing').toBeInstanceOf(Error);
          const e = error as Error;
          expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(T.NNError);
          expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(entry.throws);
          for (const word of entry.names) expect(e.message).toContain(word);
        });
      }
    });
  }
});
