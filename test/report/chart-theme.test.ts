import { describe, expect, it } from 'vitest';
import {
  chartPalette,
  heatmap,
  histogram,
  lineChart,
  seriesColor,
  type ChartPalette,
  type ChartTheme,
} from '../../shared/charts/index.ts';

/**
 * The app draws its charts in the OS theme; the PDF report draws them light. Light must stay
 * what it was (the report's default), and dark may change the chrome only: same marks, same
 * data attributes for hover and click.
 */
type Build = (theme?: ChartTheme) => string;

const x = [1, 2, 5, 10, 20, 40];
const cosines = Array.from({ length: 6 }, (_, i) =>
  Array.from({ length: 6 }, (_, j) => (i === j ? 1 : -0.2 + 0.03 * Math.sin(3 * i + j))),
);

const CHARTS: Record<string, Build> = {
  'line chart (log, hollow test points, a zero on the floor, marker)': (theme) =>
    lineChart({
      x,
      series: [
        { name: 'NC1', values: [3, 1.2, 0.5, 0.2, 0.05, 0], key: 'nc1:train' },
        { name: 'NC1 test', values: [4, 2, null, 0.6, 0.5, 0.4], dashed: true, key: 'nc1:test' },
        { name: 'CDNV', values: [1, 0.8, 0.6, 0.4, 0.3, 0.2] },
      ],
      title: 'NC1',
      xLabel: 'epoch',
      yLabel: 'value',
      marker: { x: 10, label: 'terminal phase' },
      selectedIndex: 3,
      theme,
    }),
  'line chart (linear, nothing to plot)': (theme) =>
    lineChart({ x: [], series: [], yScale: 'linear', title: 'empty', theme }),
  'heatmap (interactive)': (theme) =>
    heatmap({ values: cosines, labels: cosines.map((_, i) => `c${i}`), title: 'cos', theme }),
  'heatmap (print)': (theme) =>
    heatmap({ values: cosines, labels: cosines.map((_, i) => `c${i}`), interactive: false, theme }),
  histogram: (theme) =>
    histogram({ values: [1, 1.1, 1.2, 0.9, 1.05], title: 'norms', xLabel: '‖μ‖', theme }),
  'histogram (empty)': (theme) => histogram({ values: [], title: 'none', theme }),
};

/** The dark markup with every dark chrome colour swapped for its light counterpart. */
function asLight(svg: string, dark: ChartPalette, light: ChartPalette): string {
  let out = svg;
  for (const k of Object.keys(dark) as (keyof ChartPalette)[])
    out = out.replaceAll(`"${dark[k]}"`, `"${light[k]}"`);
  return out;
}

function dataAttributes(svg: string): string[] {
  return [...svg.matchAll(/\sdata-[\w-]+="[^"]*"/g)].map((m) => m[0]);
}

describe('chart themes', () => {
  const light = chartPalette('light');
  const dark = chartPalette('dark');

  it('gives dark a palette distinct from light in every role', () => {
    for (const k of Object.keys(light) as (keyof ChartPalette)[])
      expect(dark[k], k).not.toBe(light[k]);
    expect(new Set(Object.values(dark)).size).toBe(Object.keys(dark).length);
  });

  for (const [name, build] of Object.entries(CHARTS)) {
    describe(name, () => {
      it('draws light by default, as the report always has', () => {
        expect(build('light')).toBe(build());
        expect(build()).toMatch(/^<svg [^>]*><rect x="0" y="0" [^>]* fill="#ffffff"\/>/);
      });

      it('draws dark on the dark card with no light chrome left', () => {
        const svg = build('dark');
        expect(svg).not.toBe(build());
        expect(svg).toMatch(new RegExp(`^<svg [^>]*><rect [^>]* fill="${dark.background}"/>`));
        for (const colour of [light.background, light.ink, light.axis, light.grid])
          expect(svg).not.toContain(`"${colour}"`);
      });

      it('changes only colours: same marks, same data attributes for hover and click', () => {
        const svg = build('dark');
        expect(asLight(svg, dark, light)).toBe(build());
        expect(dataAttributes(svg)).toEqual(dataAttributes(build()));
      });
    });
  }

  it('turns the series palette black into a grey that reads on the dark card', () => {
    expect(seriesColor(6)).toBe('#000000');
    expect(seriesColor(6, 'dark')).not.toBe('#000000');
    expect(seriesColor(0, 'dark')).toBe(seriesColor(0));
  });
});
