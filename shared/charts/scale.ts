/** Axis scales and their tick positions: linear (nice steps) and log10 (decades, or 1-2-5). */

export interface Scale {
  /** Data value → pixel. */
  map(v: number): number;
  ticks: number[];
  log: boolean;
  domain: [number, number];
}

/** Step of about `span / count` rounded to 1, 2 or 5 × 10^k. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** Ticks covering [lo, hi] on nice steps; the domain widens to the outer ticks. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return linearTicks(lo - pad, hi + pad, count);
  }
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Ticks for a log axis over positive [lo, hi]: decades, or finer steps within narrow ranges. */
export function logTicks(lo: number, hi: number): number[] {
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  const e1 = Math.ceil(Math.log10(hi) - 1e-9);
  const decades = Math.max(1, e1 - e0);
  const span = Math.log10(hi / lo);
  // Enough ticks to read a value off the axis, however narrow the range.
  const mantissas = span < 1 ? [1, 1.5, 2, 3, 5, 7] : span <= 2.5 ? [1, 2, 5] : [1];
  const stride = Math.ceil(decades / 6);
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % stride !== 0) continue;
    for (const m of mantissas) {
      const t = Number((m * Math.pow(10, e)).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks;
}

/** A linear scale whose domain is widened to nice ticks. */
export function linearScale(lo: number, hi: number, range: [number, number], count = 5): Scale {
  // A little air so extreme points do not sit on the frame.
  const pad = (hi - lo) * 0.04;
  const ticks = linearTicks(lo - pad, hi + pad, count);
  const d0 = Math.min(lo - pad, ticks[0]);
  const d1 = Math.max(hi + pad, ticks[ticks.length - 1]);
  const k = (range[1] - range[0]) / (d1 - d0 || 1);
  return { map: (v) => range[0] + (v - d0) * k, ticks, log: false, domain: [d0, d1] };
}

/** A log10 scale over positive [lo, hi], padded a little so points do not sit on the frame. */
export function logScale(lo: number, hi: number, range: [number, number]): Scale {
  let l0 = Math.log10(lo);
  let l1 = Math.log10(hi);
  if (l1 - l0 < 0.3) {
    const mid = (l0 + l1) / 2;
    l0 = mid - 0.3;
    l1 = mid + 0.3;
  }
  const pad = (l1 - l0) * 0.06;
  l0 -= pad;
  l1 += pad;
  const k = (range[1] - range[0]) / (l1 - l0);
  const d0 = Math.pow(10, l0);
  const d1 = Math.pow(10, l1);
  let ticks = logTicks(d0, d1);
  // Within a narrow range a decade grid may hold fewer than two ticks: fall back to linear steps.
  if (ticks.length < 2) ticks = linearTicks(d0, d1, 4).filter((t) => t > 0 && t >= d0 && t <= d1);
  return { map: (v) => range[0] + (Math.log10(v) - l0) * k, ticks, log: true, domain: [d0, d1] };
}
