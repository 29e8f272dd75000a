import { describe, expect, it } from 'vitest';
import {
  dataValue,
  formatBytes,
  formatNumber,
  formatPercent,
  formatShape,
  formatValue,
} from './format.ts';

describe('formatNumber', () => {
  it('keeps four significant digits', () => {
    expect(formatNumber(0.2752436768460785)).toBe('0.2752');
    expect(formatNumber(5.3567628230831295)).toBe('5.357');
    expect(formatNumber(1234.5678)).toBe('1235');
  });

  it('switches to scientific notation for tiny and huge magnitudes', () => {
    expect(formatNumber(0.000123456)).toBe('1.23e−4');
    expect(formatNumber(123456)).toBe('1.23e5');
    expect(formatNumber(0.001)).toBe('0.001');
  });

  it('uses a real minus sign and spells out the special values', () => {
    expect(formatNumber(-0.3917898)).toBe('−0.3918');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
  });
});

describe('formatPercent', () => {
  it('shows fractions as percentages with two decimals', () => {
    expect(formatPercent(0.945625)).toBe('94.56 %');
    expect(formatPercent(0.030875)).toBe('3.09 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(0)).toBe('0 %');
  });

  it('never rounds an imperfect value to a perfect one', () => {
    expect(formatPercent(0.99996)).toBe('>99.99 %');
    expect(formatPercent(0.00004)).toBe('<0.01 %');
  });
});

describe('formatValue', () => {
  it('picks the format by kind', () => {
    expect(formatValue(0.5, 'fraction')).toBe('50.00 %');
    expect(formatValue(0.5, 'number')).toBe('0.5');
    expect(formatValue(789, 'count')).toBe('789');
    expect(formatValue(null, 'count')).toBe('—');
  });
});

describe('dataValue', () => {
  it('round-trips the exact number and marks a missing one', () => {
    const v = 0.07979295584888298;
    expect(Number(dataValue(v))).toBe(v);
    expect(dataValue(null)).toBe('null');
    expect(Number.isNaN(Number(dataValue(null)))).toBe(true);
  });
});

describe('formatShape and formatBytes', () => {
  it('formats shapes and sizes', () => {
    expect(formatShape([8000, 32])).toBe('8000 × 32');
    expect(formatShape([])).toBe('scalar');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_100_000)).toBe('1.0 MB');
    expect(formatBytes(104_857_600)).toBe('100 MB');
    expect(formatBytes(1_024_128)).toBe('1.0 MB');
  });
});
