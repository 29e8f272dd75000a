import { describe, expect, it } from 'vitest';
import {
  binValues,
  etfView,
  formatTick,
  formatValue,
  heatmap,
  heatmapSpread,
  histogram,
  lineChart,
} from '../../shared/charts/index.ts';
import { linearTicks, logTicks } from '../../shared/charts/scale.ts';
import { cosineMatrix, etfScene, simplexEtf } from '../../shared/geometry.ts';

/** Tags balance and attributes are quoted: the string parses as XML. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    expect(svg.slice(last, m.index)).not.toMatch(/[<>]/);
    last = tag.lastIndex;
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  expect(svg.slice(last)).toBe('');
  expect(stack).toEqual([]);
}

function attrs(svg: string, element: string, name: string): string[] {
  const re = new RegExp(`<${element}\\b[^>]*\\s${name}="([^"]*)"`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1]);
}

describe('formatValue', () => {
  it('writes 4 significant digits, exponent form outside [1e-3, 1e5)', () => {
    expect(formatValue(0.2752436768460785)).toBe('0.2752');
    expect(formatValue(1)).toBe('1');
    expect(formatValue(0.007019398255988899)).toBe('0.007019');
    expect(formatValue(-0.39178985535490085)).toBe('−0.3918');
    expect(formatValue(1.23456e-5)).toBe('1.23e−5');
    expect(formatValue(123456)).toBe('1.23e5');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(null)).toBe('—');
  });
  it('writes short ticks', () => {
    expect(formatTick(0.05)).toBe('0.05');
    expect(formatTick(20)).toBe('20');
    expect(formatTick(1e-6)).toBe('1e−6');
  });
});

describe('scales', () => {
  it('puts 1-2-5 ticks on a log axis spanning two decades', () => {
    expect(logTicks(0.01, 1)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  });
  it('puts at least three ticks on a log axis within one decade', () => {
    expect(logTicks(0.06, 0.3)).toEqual([0.07, 0.1, 0.15, 0.2, 0.3]);
  });
  it('puts decade ticks on a wide log axis', () => {
    expect(logTicks(1e-6, 1)).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  });
  it('covers a linear range with nice steps', () => {
    expect(linearTicks(0.3, 9.2, 5)).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('lineChart', () => {
  const x = [1, 5, 20, 80];
  const svg = lineChart({
    title: 'NC1 <train>',
    x,
    series: [
      { name: 'nc1', values: [0.3, 0.2, 0.1, 0.08], key: 'nc1' },
      { name: 'mismatch', values: [0.03, 0.005, 0, null], key: 'ncc_mismatch' },
    ],
    marker: { x: 20, label: 'terminal phase' },
    xLabel: 'epoch',
  });

  it('is well-formed SVG with the title escaped', () => {
    assertWellFormed(svg);
    expect(svg).toContain('NC1 &lt;train&gt;');
  });
  it('draws one point per finite value, indexed by x position', () => {
    expect(attrs(svg, 'circle', 'data-index')).toEqual(['0', '1', '2', '3', '0', '1']);
    expect(attrs(svg, 'circle', 'data-series')).toEqual([
      'nc1',
      'nc1',
      'nc1',
      'nc1',
      'ncc_mismatch',
      'ncc_mismatch',
    ]);
    expect(attrs(svg, 'circle', 'data-value').map(Number)).toEqual([
      0.3, 0.2, 0.1, 0.08, 0.03, 0.005,
    ]);
  });
  it('shows a zero on a log axis as a floor marker and explains it', () => {
    expect(attrs(svg, 'path', 'data-value')).toEqual(['0']);
    expect(svg).toContain('value ≤ 0, off the log axis');
  });
  it('marks the terminal phase at its epoch', () => {
    const [x1] = attrs(svg, 'line', 'data-marker');
    expect(x1).toBe('terminal-phase');
    const markerX = Number(/<line x1="([\d.]+)"[^>]*data-marker/.exec(svg)?.[1]);
    const point20 = Number(/<circle cx="([\d.]+)"[^>]*data-index="2"/.exec(svg)?.[1]);
    expect(markerX).toBeCloseTo(point20, 1);
  });
  it('draws no marker outside the x range', () => {
    const s = lineChart({
      x: [1, 5],
      series: [{ name: 'a', values: [1, 2] }],
      marker: { x: 20, label: 'm' },
    });
    expect(s).not.toContain('data-marker');
  });
  it('puts smaller values lower on the log axis', () => {
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"[^>]*data-series="nc1"/g)].map(
      (m) => Number(m[1]),
    );
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });
  it('says so when nothing can be plotted', () => {
    const empty = lineChart({ x: [1, 2], series: [{ name: 'a', values: [null, -1] }] });
    assertWellFormed(empty);
    expect(empty).toContain('no values to plot');
  });
});

describe('heatmap', () => {
  const c = 5;
  const etf = simplexEtf(c, 2);
  const values = cosineMatrix(etf);
  const svg = heatmap({ values, labels: ['a', 'b', 'c', 'd', 'e'] });

  it('is well-formed and labels the centre of the scale −1/(C−1)', () => {
    assertWellFormed(svg);
    expect(svg).toContain(`−1/(C−1) = ${formatValue(-1 / (c - 1))}`);
  });
  it('colours an exact ETF white off the diagonal and grey on it', () => {
    const cells = [
      ...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]+)" data-i="(\d+)" data-j="(\d+)"/g),
    ];
    expect(cells).toHaveLength(c * c);
    for (const [, fill, i, j] of cells) expect(fill).toBe(i === j ? '#d0d0d0' : '#f7f7f7');
  });
  it('gives each cell its pair and exact cosine for hover', () => {
    const v = attrs(svg, 'rect', 'data-value').map(Number);
    expect(v).toHaveLength(c * c);
    expect(v[1 * c + 3]).toBe(values[1][3]);
  });
  it('covers every cell exactly once when merged into paths for print', () => {
    const printed = heatmap({ values, labels: ['a', 'b', 'c', 'd', 'e'], interactive: false });
    assertWellFormed(printed);
    expect(printed).not.toContain('data-i=');
    const rows = new Map<number, number>();
    for (const d of attrs(printed, 'path', 'd'))
      for (const m of d.matchAll(/M([\d.]+) ([\d.]+)h([\d.]+)/g)) {
        rows.set(Number(m[2]), (rows.get(Number(m[2])) ?? 0) + Number(m[3]) - 0.25);
      }
    expect(rows.size).toBe(c);
    const side = [...rows.values()];
    const frame = Math.max(
      ...[...printed.matchAll(/<rect [^>]*width="([\d.]+)"[^>]*fill="none"/g)].map((m) =>
        Number(m[1]),
      ),
    );
    for (const w of side) expect(w).toBeCloseTo(frame, 1);
    expect(new Set(attrs(printed, 'path', 'fill'))).toEqual(new Set(['#d0d0d0', '#f7f7f7']));
  });
  it('scales colours to the largest departure from −1/(C−1), rounded up to 1-2-5', () => {
    const v = [
      [1, -0.5 + 0.13, -0.5],
      [-0.5 + 0.13, 1, -0.6],
      [-0.5, -0.6, 1],
    ];
    expect(heatmapSpread(v)).toBeCloseTo(0.2, 12);
    expect(heatmapSpread(values)).toBe(0.01);
    const s = heatmap({ values: v, labels: ['0', '1', '2'] });
    expect(s).toContain('>−0.7<');
    expect(s).toContain('>−0.3<');
  });
  it('colours pairs closer than ideal red and further blue', () => {
    const v = [
      [1, 0.9, -1],
      [0.9, 1, -0.5],
      [-1, -0.5, 1],
    ];
    const s = heatmap({ values: v, labels: ['0', '1', '2'] });
    const fills = attrs(s, 'rect', 'fill');
    const redish = fills.filter(
      (f) => parseInt(f.slice(1, 3), 16) > parseInt(f.slice(5, 7), 16) + 40,
    );
    const blueish = fills.filter(
      (f) => parseInt(f.slice(5, 7), 16) > parseInt(f.slice(1, 3), 16) + 40,
    );
    expect(redish.length).toBeGreaterThan(0);
    expect(blueish.length).toBeGreaterThan(0);
  });
});

describe('histogram', () => {
  it('counts every value once', () => {
    const values = [1, 1.1, 1.2, 2, 2, 3.5, 4, 4, 4, 5];
    const svg = histogram({ values, title: 'norms' });
    assertWellFormed(svg);
    const counts = attrs(svg, 'rect', 'data-count').map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(svg).toContain('mean 2.78');
  });
  it('bins equal values into one widened bin', () => {
    const bins = binValues([2, 2, 2], 5);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(bins[0].lo).toBeLessThan(2);
    expect(bins[4].hi).toBeGreaterThan(2);
  });
});

describe('etfView', () => {
  function scene(c: number, d: number) {
    const etf = simplexEtf(c, 3);
    const means = etf.flatMap((r) => [...r, ...new Array(d - r.length).fill(0)]);
    return etfScene({ means, globalMean: new Array(d).fill(0), c, d, weights: means });
  }

  it('draws every mean, the ETF wireframe and one arrow per class', () => {
    const svg = etfView({ scene: scene(4, 5), labels: ['a', 'b', 'c', 'd'] });
    assertWellFormed(svg);
    expect(attrs(svg, 'circle', 'data-class')).toHaveLength(4);
    expect(attrs(svg, 'g', 'data-weight')).toHaveLength(4);
    expect(svg.match(/stroke="#9a9a9a"/g)).toHaveLength(6); // C(C−1)/2 edges
    expect(svg).toContain('keeps 100.0% of their variance');
  });
  it('says when no simplex ETF fits', () => {
    const s = { ...scene(4, 5), fits: false };
    expect(etfView({ scene: s, labels: ['a', 'b', 'c', 'd'] })).toContain('no simplex ETF fits');
  });
});
