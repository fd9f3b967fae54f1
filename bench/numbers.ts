/** Small arithmetic of the figures (rounding, percentiles, ratios), a sleep, and the progress log. */

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** A ratio to a reference figure, two decimals (NaN without a reference). */
export const ratio = (v: number, reference: number) => (reference > 0 ? round(v / reference, 2) : NaN);

export function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencyOf(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 0.5), 2), p99Ms: round(percentile(sorted, 0.99), 2), maxMs: round(sorted[sorted.length - 1] ?? NaN, 2) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Progress goes to stderr; stdout gets the report only. */
export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
