/**
 * What every example shares: its options from the command line, where it writes its pictures,
 * and how it runs when started directly (`pnpm example <name> --smoke --out dir`).
 *
 * An example file exports `main(options)` (returning the figures it printed, so tests can assert
 * them) and ends with `runIfMain(import.meta.url, main)`.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ExampleOptions {
  /** Folder for the pictures (default `examples/out/<name>/`). */
  out?: string;
  /** A fast run for tests: fewer iterations, smaller data; same code paths. */
  smoke?: boolean;
  /** Any other `--key value` / `--flag` from the command line, as strings or `true`. */
  [option: string]: string | number | boolean | undefined;
}

/** The folder an example writes into, created if missing. */
export function outputDir(name: string, options: ExampleOptions): string {
  const dir = options.out ?? fileURLToPath(new URL(`../out/${name}/`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  return resolve(dir);
}

/** Parses `--key value`, `--key=value` and bare `--flag` arguments; numbers become numbers. */
export function parseArgs(argv: readonly string[]): ExampleOptions {
  const options: ExampleOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'; options look like --epochs 3 or --smoke`);
    const [key, inline] = arg.slice(2).split('=', 2);
    const next = argv[i + 1];
    const value = inline ?? (next !== undefined && !next.startsWith('--') ? (i++, next) : 'true');
    const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    options[name] =
      value === 'true'
        ? true
        : value === 'false'
          ? false
          : value !== '' && Number.isFinite(Number(value))
            ? Number(value)
            : value;
  }
  return options;
}

/** A numeric option with a default, rejecting non-numbers with a message naming the option. */
export function numberOption(options: ExampleOptions, name: string, fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new Error(`--${name} must be a number, got ${String(value)}`);
  return value;
}

/** Runs `main` with the command-line options when the file is started directly, not imported. */
export function runIfMain(moduleUrl: string, main: (options: ExampleOptions) => Promise<unknown>): void {
  const started = process.argv[1];
  if (!started || moduleUrl !== pathToFileURL(resolve(started)).href) return;
  main(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
