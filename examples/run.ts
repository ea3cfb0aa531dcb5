/**
 * `pnpm example <name> [options]`: runs examples/<name>.ts with the given options.
 * Without a name, lists the examples.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ExampleOptions } from './lib/cli.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const examples = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'run.ts')
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (!name || !examples.includes(name)) {
  if (name) console.error(`unknown example '${name}'`);
  console.log(`usage: pnpm example <name> [--smoke] [--out dir] [options]\n\nexamples:\n  ${examples.join('\n  ')}`);
  process.exitCode = name ? 1 : 0;
} else {
  const module = (await import(pathToFileURL(`${here}${name}.ts`).href)) as {
    main?: (o: ExampleOptions) => Promise<unknown>;
  };
  if (typeof module.main !== 'function') {
    // Every example exports main(options) (see lib/cli.ts); say which file breaks the rule.
    console.error(`example '${name}': examples/${name}.ts does not export a main(options) function`);
    process.exitCode = 1;
  } else {
    await module.main(parseArgs(rest));
  }
}
