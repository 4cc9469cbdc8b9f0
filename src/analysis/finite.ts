// Keeping outputs finite: every number the analysis returns must be usable as a Prometheus sample or JSON value.

/** NaN → `fallback` (default 0); ±Infinity → ±Number.MAX_VALUE; finite values unchanged. */
export function clampFinite(value: number, fallback = 0): number {
  if (Number.isNaN(value)) return fallback;
  if (value === Infinity) return Number.MAX_VALUE;
  if (value === -Infinity) return -Number.MAX_VALUE;
  return value;
}

/** Mean of two numbers that cannot overflow (a/2 + b/2), for finite inputs. */
export function midpoint(a: number, b: number): number {
  return a / 2 + b / 2;
}
