/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt in double precision (within a few ulps), for the
 * `erf` map kernel. JavaScript's Math has no erf; GELU's exact form needs one accurate enough that
 * float64 gradchecks (central differences with h = 1e-6) see a smooth function.
 *
 * - |x| < 3: the series erf(x) = 2x/√π · e^(−x²) · Σₙ (2x²)ⁿ / (1·3·…·(2n+1)). Every term is
 *   positive, so nothing cancels (the alternating Taylor series loses digits already at x = 2).
 * - 3 ≤ |x| < 6: 1 − erfc(x), with erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …))))
 *   (Laplace's continued fraction), evaluated from the 40th level up; it converges fast for x ≥ 3.
 * - |x| ≥ 6: ±1 (erfc(6) ≈ 2e-17 is below half an ulp of 1).
 *
 * @example erf(1) // 0.8427007929497149
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return x > 0 ? 1 : -1;
  const r = a < 3 ? erfSeries(a) : 1 - erfcFraction(a);
  // NaN fails the comparisons and comes through the series as NaN; −0 keeps its sign, as in C.
  return x < 0 ? -r : x === 0 ? x : r;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
const FRACTION_LEVELS = 40;

function erfSeries(a: number): number {
  const a2 = a * a;
  let term = 1;
  let sum = 1;
  // The terms first grow (up to n ≈ x²) and then fall; stop once they no longer change the sum.
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * a2) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * a * Math.exp(-a2) * sum;
}

function erfcFraction(a: number): number {
  let f = a;
  for (let n = FRACTION_LEVELS; n >= 1; n--) f = a + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-a * a)) / f;
}
