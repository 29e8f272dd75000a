import { describe, expect, it } from 'vitest';
import type { MetricsResult, SeriesResult } from '../../../shared/schema.ts';
import { allWarnings, clampIndex, isSeries, metricsAt, pointCount, pointTitle } from './series.ts';
import e001 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch001.json';
import e005 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch005.json';
import e020 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch020.json';
import e080 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch080.json';

const references: Record<string, unknown> = { '001': e001, '005': e005, '020': e020, '080': e080 };
const reference = (epoch: string): MetricsResult => ({
  ...(references[epoch] as MetricsResult),
  warnings: [],
});

const epochs = ['001', '005', '020', '080'];
const series: SeriesResult = {
  schema: 'nc-lens/series@1',
  kind: 'epochs',
  settings: { centering: 'class-means' },
  warnings: ['bias ignored'],
  points: epochs.map((e, i) => ({
    index: i,
    epoch: Number(e),
    label: `epoch ${e}`,
    metrics: { ...reference(e), warnings: i === 0 ? ['bias ignored', 'label 7 missing'] : [] },
  })),
};

describe('series selection', () => {
  it('tells series from single results', () => {
    const single = reference('080');
    expect(isSeries(series)).toBe(true);
    expect(isSeries(single)).toBe(false);
    expect(pointCount(single)).toBe(1);
    expect(pointCount(series)).toBe(4);
    expect(metricsAt(single, 3)).toBe(single);
  });

  it('defaults to the last point and clamps out-of-range indices', () => {
    expect(clampIndex(series, -1)).toBe(3);
    expect(clampIndex(series, 9)).toBe(3);
    expect(clampIndex(series, 1)).toBe(1);
    expect(clampIndex(null, 2)).toBe(0);
    expect(metricsAt(series, -1)?.nc1).toBe(series.points[3].metrics.nc1);
    expect(metricsAt(series, 0)?.nc1).toBeGreaterThan(metricsAt(series, 3)?.nc1 ?? Infinity);
  });

  it('titles points by epoch, step or layer', () => {
    expect(pointTitle('epochs', series.points[2])).toBe('Epoch 20');
    const layer = { index: 1, layer: 'fc2', label: 'x', metrics: series.points[0].metrics };
    expect(pointTitle('layers', layer)).toBe('Layer fc2');
    expect(pointTitle('epochs', { index: 0, step: 500, label: 's', metrics: layer.metrics })).toBe(
      'Step 500',
    );
  });

  it('lists each warning once, naming the point it came from', () => {
    expect(allWarnings(series)).toEqual([
      'bias ignored',
      'epoch 001: bias ignored',
      'epoch 001: label 7 missing',
    ]);
    expect(allWarnings(null)).toEqual([]);
  });
});
