/**
 * Node's built-in modules, reached without an import statement. A bundler for the browser sees
 * no `node:` import to resolve (or to fail on), and in a browser these return null, so one build
 * of each package runs in both places: the code asks at run time what the platform offers.
 * `process.getBuiltinModule` is Node ≥ 20.16 (and Deno, Bun); @nn's engines field says so.
 */
import { PlatformError } from './errors.js';

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/** A Node built-in module (`'node:fs'`, …), or null where there is none (a browser, a worker of one). */
export function nodeBuiltin<T>(id: string): T | null {
  const process = (globalThis as { process?: NodeProcess }).process;
  return (process?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

/**
 * A Node built-in module that `op` cannot do without; elsewhere a PlatformError naming the op,
 * the module and `instead` (what to use on this platform).
 */
export function requireNodeBuiltin<T>(id: string, op: string, instead: string): T {
  const module = nodeBuiltin<T>(id);
  if (module === null) throw new PlatformError(`${op}: needs Node's ${id}, which this environment lacks; ${instead}`);
  return module;
}
