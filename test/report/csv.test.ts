import { describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/metric-names.ts';
import { metricsCsv, perClassCsv } from '../../main/report/index.ts';
import { syntheticSeries } from './synthetic.ts';

/** RFC 4180 parse (quotes, doubled quotes, commas and newlines inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe('metricsCsv', () => {
  const series = syntheticSeries(6, 4, 8);
  series.points[1].label = 'epoch 2, "warm"';
  const rows = parseCsv(metricsCsv(series));
  const header = rows[0];

  it('has one row per point and a column per metric, train and test', () => {
    expect(rows).toHaveLength(1 + 4);
    for (const m of METRICS) {
      expect(header).toContain(m.key);
      expect(header).toContain(`test_${m.key}`);
    }
    for (const r of rows) expect(r).toHaveLength(header.length);
  });
  it('keeps full precision and quotes what needs quoting', () => {
    const p = series.points[2].metrics;
    expect(Number(rows[3][header.indexOf('nc1')])).toBe(p.nc1);
    expect(Number(rows[3][header.indexOf('test_cdnv')])).toBe(p.test!.cdnv);
    expect(rows[2][header.indexOf('label')]).toBe('epoch 2, "warm"');
    expect(rows[2][header.indexOf('epoch')]).toBe('2');
  });
  it('writes a single result as one row and no test columns without a test split', () => {
    const single = syntheticSeries(3, 1, 4, false).points[0].metrics;
    single.nc3.self_duality = null;
    const r = parseCsv(metricsCsv(single));
    expect(r).toHaveLength(2);
    expect(r[0].some((h) => h.startsWith('test_'))).toBe(false);
    expect(r[1][r[0].indexOf('self_duality')]).toBe('');
  });
});

describe('perClassCsv', () => {
  it('has one row per class with the test split beside', () => {
    const m = syntheticSeries(7, 1, 8).points[0].metrics;
    const rows = parseCsv(perClassCsv(m));
    expect(rows).toHaveLength(8);
    expect(rows[0].slice(0, 3)).toEqual(['label', 'count', 'mean_norm']);
    expect(rows[0]).toContain('test_ncc_accuracy');
    expect(Number(rows[5][rows[0].indexOf('within_var')])).toBe(m.per_class[4].within_var);
    expect(Number(rows[5][rows[0].indexOf('test_classifier_accuracy')])).toBe(
      m.test!.per_class[4].classifier_accuracy,
    );
  });
});
