import { describe, expect, it } from 'vitest';
import {
  FAMILIES,
  HEADLINE_KEYS,
  METRICS,
  PER_CLASS_COLUMNS,
  metricName,
  weightsCounterpart,
} from '../../../shared/metric-names.ts';
import type { MetricsResult } from '../../../shared/schema.ts';
import e080 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch080.json';
import doc from '../../../docs/metrics.md?raw';

const reference = e080 as unknown as MetricsResult & Record<string, Record<string, number | null>>;

/** The field of the reference JSON with this name, wherever nc-metrics.md puts it. */
function field(key: string): number | null | undefined {
  if (key in reference) return reference[key] as unknown as number | null;
  for (const group of ['nc2', 'nc3', 'nc4'])
    if (key in reference[group]) return reference[group][key];
  return undefined;
}

describe('metric names', () => {
  it('name every field of a reference result, each once, and read the field of that name', () => {
    const keys = METRICS.map((m) => m.key);
    expect(new Set(keys).size).toBe(keys.length);
    const schemaFields = [
      'nc1',
      'nc1_quotient',
      'cdnv',
      ...Object.keys(reference.nc2),
      ...Object.keys(reference.nc3),
      ...Object.keys(reference.nc4),
    ];
    expect([...keys].sort()).toEqual([...schemaFields].sort());
    for (const m of METRICS) {
      expect(field(m.key), m.key).not.toBeUndefined();
      expect(m.value(reference), m.key).toBe(field(m.key));
    }
  });

  it('give each metric a family, its own meaning and definition, and a row in docs/metrics.md', () => {
    // Each key, or its family name for the `*_means`/`*_weights` pairs, opens a `code` span.
    const documented = new Set([...doc.matchAll(/`([a-z0-9_]+)[ `]/g)].map((m) => m[1]));
    for (const m of METRICS) {
      expect(FAMILIES.map((f) => f.key)).toContain(m.family);
      const base = m.key.replace(/_(means|weights)$/, '');
      expect(documented, `${m.key} is not defined in docs/metrics.md`).toContain(base);
      // A meaning is a sentence about the metric, not its name again.
      expect(m.meaning.toLowerCase()).not.toContain(m.key.replaceAll('_', ' '));
      expect(m.meaning.trim().split(/\s+/).length, m.key).toBeGreaterThanOrEqual(4);
    }
    // Two metrics never share a meaning or a definition (a copied entry is a wrong one).
    expect(new Set(METRICS.map((m) => m.meaning)).size).toBe(METRICS.length);
    expect(new Set(METRICS.map((m) => m.definition)).size).toBe(METRICS.length);
  });

  it('pair each NC2 means metric with its classifier counterpart', () => {
    expect(weightsCounterpart('etf_error_means')?.key).toBe('etf_error_weights');
    expect(weightsCounterpart('log_kernel_mean')).toBeUndefined();
    expect(weightsCounterpart('nc1')).toBeUndefined();
    expect(() => metricName('nope' as never)).toThrow();
    for (const k of HEADLINE_KEYS) expect(metricName(k).key).toBe(k);
  });

  it('cover every per-class field', () => {
    expect(PER_CLASS_COLUMNS.map((c) => c.key).sort()).toEqual(
      Object.keys(reference.per_class[0]).sort(),
    );
  });
});
