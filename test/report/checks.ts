/**
 * What the report tests look for in a PDF, checked with the real poppler tools: numbers as the
 * report prints them, the section titles, and pages that render.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { pageCount, renderPages } from './poppler.ts';

/** The section titles every report has (a series adds its trajectories). */
export const SECTIONS = [
  'Summary',
  'The simplex ETF in 3D',
  'Cosines between class means',
  'Norms of class means and classifier rows',
  'Per-class table',
  'Appendix: definitions',
  'References',
];

/**
 * The contract for printed values (shared/format.ts): 4 significant digits with trailing zeros
 * dropped, 3 in exponent form outside [1e-3, 1e5), a true minus sign, 0 printed as "0".
 */
export function fourDigits(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s =
    a < 1e-3 || a >= 1e5 ? v.toExponential(2).replace('e+', 'e') : String(Number(v.toPrecision(4)));
  return s.replace(/-/g, '\u2212');
}

/** `text` shows `value` as a whole number token (so 0.27524 does not pass for 0.2752). */
export function expectNumber(text: string, value: string, what: string): void {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(text, what).toMatch(new RegExp(`(^|[^\\d.])${escaped}(?![\\d])`, 'm'));
}

/** Every page renders to a non-blank PNG (in a folder under `scratch`); returns the page count. */
export function expectRenders(pdf: string, scratch: string): number {
  const pages = pageCount(pdf);
  const out = mkdtempSync(join(scratch, 'png-'));
  const { sizes, stderr } = renderPages(pdf, out);
  expect(stderr).not.toMatch(/error/i);
  expect(sizes).toHaveLength(pages);
  for (const s of sizes) expect(s).toBeGreaterThan(1000);
  return pages;
}
