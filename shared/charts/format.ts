/**
 * How every metric value is written for people: 4 significant digits, exponent form outside
 * [1e-3, 1e5). The app, the report and the charts all use this one function so the same
 * number reads the same everywhere.
 */
export function formatValue(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a < 1e-3 || a >= 1e5 ? x.toExponential(3) : x.toPrecision(4);
  return s.replace('e+', 'e');
}

/** Short tick label: up to 3 significant digits, trailing zeros dropped. */
export function formatTick(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = x.toExponential(2).split('e');
    return `${String(Number(m))}e${Number(e)}`;
  }
  return String(Number(x.toPrecision(3)));
}
