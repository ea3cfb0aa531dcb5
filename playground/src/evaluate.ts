/**
 * Turning the editor's text into a function of the lesson's variables, and errors into reports
 * the page can show. Runs in the worker: code that loops forever blocks only the worker, and the
 * page's Stop button terminates it.
 */
import type { ErrorReport } from './protocol.js';

export type UserFunction = (...values: unknown[]) => unknown;

/** Lines that `new Function` writes before the body ("function anonymous(a,b\n) {"). */
const FUNCTION_HEADER_LINES = 2;

/** A compiled piece of user code and the line its first line has in the function V8 reports. */
export interface Compiled {
  run: UserFunction;
  firstLine: number;
  /** Whether the code was read as one expression or as statements. */
  form: 'expression' | 'statements';
}

/**
 * Compiles `code` over `names`: first as one expression (`x.matmul(W).sum()`), and if that does
 * not parse, as statements that end in `return` (several lines, `const h = …`).
 */
export function compile(code: string, names: readonly string[]): Compiled {
  const expression = code.trim().replace(/;+$/, '');
  try {
    // The newline before `)` keeps a trailing // comment from swallowing it.
    const run = new Function(...names, `"use strict";\nreturn (\n${expression}\n);`) as UserFunction;
    return { run, firstLine: FUNCTION_HEADER_LINES + 3, form: 'expression' };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  const run = new Function(...names, `"use strict";\n${code}`) as UserFunction;
  return { run, firstLine: FUNCTION_HEADER_LINES + 2, form: 'statements' };
}

/** The user's line an error was thrown from, read from its stack (V8 names the code `<anonymous>`). */
function userLine(error: unknown, compiled: Compiled | null): number | null {
  if (compiled === null || !(error instanceof Error) || typeof error.stack !== 'string') return null;
  const match = /<anonymous>:(\d+):\d+/.exec(error.stack);
  if (!match) return null;
  const line = Number(match[1]) - compiled.firstLine + 1;
  return line >= 1 ? line : null;
}

/** What the page shows for anything thrown. */
export function report(error: unknown, phase: ErrorReport['phase'], compiled: Compiled | null = null): ErrorReport {
  if (error instanceof Error) {
    return {
      name: error.name || error.constructor.name,
      message: error.message,
      line: userLine(error, compiled),
      phase,
    };
  }
  return { name: 'Error', message: `the code threw ${typeof error} ${String(error)}`, line: null, phase };
}
