/**
 * Training progress output. On a terminal: one line per epoch, redrawn in place with `\r` as
 * batches finish (a bar, the running loss and metrics, the ETA). Anywhere else (CI logs, files,
 * pipes): plain lines, one per epoch plus one every `interval` seconds in long epochs, so logs
 * stay readable.
 */

/** Where progress goes: anything with `write` (process.stdout, a file stream, a test buffer). @example fit(model, optimizer, data, { epochs: 5, log: { stream: process.stderr } }) */
export interface ProgressStream {
  write(text: string): unknown;
  /** True for a terminal; selects the in-place bar. */
  isTTY?: boolean;
}

/** The `log` option of `fit` when it is an object. @example { log: { tty: false, everyEpochs: 10 } } */
export interface ProgressOptions {
  /** Default: process.stdout (nothing is written where there is no `process`). */
  stream?: ProgressStream;
  /** Force (true) or forbid (false) the in-place bar; default `stream.isTTY`. */
  tty?: boolean;
  /** Plain mode: seconds between progress lines inside an epoch (default 10). */
  interval?: number;
  /** Plain mode: print the end-of-epoch line every this many epochs (default 1; the last epoch always prints). */
  everyEpochs?: number;
}

/** What the reporter shows after a batch or an epoch. @example { epoch: 1, epochs: 5, batch: 10, batches: 100, values: { loss: 0.7 }, eta: 42 } */
export interface ProgressState {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch, or null while unknown (an iterable without a length, first epoch). */
  batches: number | null;
  /** Running values over this epoch: loss and metrics, by display name. */
  values: Record<string, number>;
  /** Seconds to the end of training, or null while unknown. */
  eta: number | null;
}

const BAR_WIDTH = 20;
const REDRAW_SECONDS = 0.1;

/**
 * Writes progress lines for `fit`. Internal to the Trainer; exported for custom loops.
 *
 * @example
 * const progress = new ProgressReporter({ stream: process.stderr });
 * progress.batch({ epoch: 1, epochs: 5, batch: 10, batches: 100, values: { loss: 0.7 }, eta: 42 });
 * progress.epochEnd({ epoch: 1, epochs: 5, batch: 100, batches: 100, values: { loss: 0.5 }, eta: 30 }, 3.2);
 */
export class ProgressReporter {
  private readonly stream: ProgressStream | null;
  private readonly tty: boolean;
  private readonly interval: number;
  private readonly everyEpochs: number;
  private lastWrite = -Infinity;
  private lastWidth = 0;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? defaultStream();
    this.tty = options.tty ?? this.stream?.isTTY === true;
    this.interval = options.interval ?? 10;
    this.everyEpochs = Math.max(1, Math.floor(options.everyEpochs ?? 1));
  }

  /** After each batch: redraws the bar (throttled) or, in plain mode, prints a line every `interval` seconds. */
  batch(state: ProgressState): void {
    const now = seconds();
    if (this.tty) {
      if (now - this.lastWrite < REDRAW_SECONDS && state.batch !== state.batches) return;
      this.redraw(
        `${epochLabel(state)} ${bar(state)} ${values(state.values)}${state.eta === null ? '' : `  ETA ${formatDuration(state.eta)}`}`,
      );
    } else {
      if (this.lastWrite === -Infinity) this.lastWrite = now; // the first line comes after `interval`
      if (now - this.lastWrite < this.interval) return;
      this.write(
        `${epochLabel(state)}  ${counter(state)}  ${values(state.values)}${state.eta === null ? '' : `  ETA ${formatDuration(state.eta)}`}\n`,
      );
    }
    this.lastWrite = now;
  }

  /** At the end of an epoch: the epoch's final values (train and eval) and its duration, on a line of its own. */
  epochEnd(state: ProgressState, epochSeconds: number): void {
    const text = `${epochLabel(state)}${this.tty ? ` ${bar(state)} ` : `  ${counter(state)}  `}${values(state.values)}  ${formatDuration(epochSeconds)}`;
    if (this.tty) {
      this.redraw(text);
      this.write('\n');
      this.lastWidth = 0;
    } else if (state.epoch % this.everyEpochs === 0 || state.epoch === state.epochs || state.epoch === 1) {
      this.write(`${text}\n`);
    }
    this.lastWrite = seconds();
  }

  /** A closing line (e.g. "stopped early after epoch 12"). */
  message(text: string): void {
    this.write(`${text}\n`);
  }

  private redraw(text: string): void {
    // Pad over the previous line's tail rather than relying on an erase escape code.
    const padding = Math.max(0, this.lastWidth - text.length);
    this.write(`\r${text}${' '.repeat(padding)}`);
    this.lastWidth = text.length;
  }

  private write(text: string): void {
    this.stream?.write(text);
  }
}

/**
 * Seconds as `m:ss` (or `h:mm:ss`); under a minute with one decimal, e.g. `2.5s`.
 * @example formatDuration(75) // '1:15'
 */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '?';
  if (totalSeconds < 60) return `${totalSeconds.toFixed(1)}s`;
  const s = Math.round(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

function epochLabel({ epoch, epochs }: ProgressState): string {
  return `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`;
}

function counter({ batch, batches }: ProgressState): string {
  return batches === null ? `${batch}` : `${String(batch).padStart(String(batches).length)}/${batches}`;
}

function bar(state: ProgressState): string {
  if (state.batches === null) return `[${' '.repeat(BAR_WIDTH)}] ${state.batch}`;
  const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * state.batch) / state.batches));
  const arrow = filled > 0 && filled < BAR_WIDTH;
  return `[${'='.repeat(arrow ? filled - 1 : filled)}${arrow ? '>' : ''}${' '.repeat(BAR_WIDTH - filled)}] ${counter(state)}`;
}

function values(record: Record<string, number>): string {
  return Object.entries(record)
    .map(([name, value]) => `${name} ${formatValue(value)}`)
    .join('  ');
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(4);
}

function seconds(): number {
  return performance.now() / 1000;
}

function defaultStream(): ProgressStream | null {
  return typeof process !== 'undefined' && process.stdout ? process.stdout : null;
}
