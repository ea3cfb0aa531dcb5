/**
 * Grad modes: whether operations record nodes, and whether anomaly detection is on. Both are
 * module-level flags changed only through scoped functions that restore the previous value in a
 * `finally`, so nesting works and an exception never leaves a mode switched.
 *
 * The scopes are synchronous: the flag holds while `fn` runs and is restored when it returns. An
 * `async` callback would run its code after the first `await` with the outer mode, so passing one
 * is an error; wrap each synchronous stretch instead.
 */
import { AutogradError } from './errors.js';

let gradEnabled = true;
let anomalyEnabled = false;

/** True while operations record the graph (the default, outside `noGrad`). @example isGradEnabled() // true */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** True inside `detectAnomaly`. @example detectAnomaly(() => isAnomalyEnabled()) // true */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/**
 * Sets the grad mode and returns the previous one. Internal: the engine switches recording for
 * the backward pass (on only with `createGraph`) and restores it in a `finally`.
 */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

function rejectAsync(scope: string, result: unknown): void {
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    throw new AutogradError(
      `${scope}: the callback returned a Promise; the callback must be synchronous (grad modes are synchronous scopes: the mode would be restored at the first await). Wrap each synchronous part instead.`,
    );
  }
}

function withGradMode<T>(scope: string, enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = previous;
  }
  rejectAsync(scope, result);
  return result;
}

/**
 * Runs `fn` without recording the graph: results have `requiresGrad = false` and no creator.
 * Use it for evaluation and for parameter updates. Synchronous scope; nests with `enableGrad`.
 *
 * @example
 * const y = noGrad(() => x.mul(2)); // y.creator === null
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode('noGrad', false, fn);
}

/**
 * Runs `fn` with recording on, even inside `noGrad`. Synchronous scope.
 *
 * @example
 * noGrad(() => enableGrad(() => x.mul(2))).creator?.name; // 'Mul'
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode('enableGrad', true, fn);
}

/**
 * Runs `fn` with anomaly detection: every node remembers the stack where it was created, every
 * forward output and every gradient is checked for NaN/Inf, and the first one found throws an
 * `AnomalyError` naming the node and where it was created. Slow; for debugging. Synchronous scope.
 *
 * @example
 * detectAnomaly(() => variable(-1).log().backward()); // AnomalyError: Log produced nan ...
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = anomalyEnabled;
  anomalyEnabled = true;
  let result: T;
  try {
    result = fn();
  } finally {
    anomalyEnabled = previous;
  }
  rejectAsync('detectAnomaly', result);
  return result;
}
