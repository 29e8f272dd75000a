import { describe, expect, it } from 'vitest';
import { ariaSort, nextSort, sortRows, topIndices } from './sort.ts';

interface Row {
  label: number;
  within_var: number | null;
}

const rows: Row[] = [
  { label: 0, within_var: 3.72 },
  { label: 1, within_var: null },
  { label: 2, within_var: 1.8 },
  { label: 3, within_var: 3.72 },
  { label: 4, within_var: 4.9 },
];

describe('sortRows', () => {
  it('sorts ascending and descending by a column', () => {
    const up = sortRows(rows, { key: 'within_var', direction: 'asc' }).map((r) => r.label);
    const down = sortRows(rows, { key: 'within_var', direction: 'desc' }).map((r) => r.label);
    expect(up).toEqual([2, 0, 3, 4, 1]);
    expect(down).toEqual([4, 0, 3, 2, 1]);
  });

  it('puts missing values last in both directions and keeps ties in class order', () => {
    const down = sortRows(rows, { key: 'within_var', direction: 'desc' });
    expect(down.at(-1)?.label).toBe(1);
    expect(down.findIndex((r) => r.label === 0)).toBeLessThan(down.findIndex((r) => r.label === 3));
  });

  it('does not reorder the input', () => {
    sortRows(rows, { key: 'within_var', direction: 'desc' });
    expect(rows.map((r) => r.label)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('nextSort and ariaSort', () => {
  it('starts a new column ascending and flips the same column', () => {
    const s1 = nextSort<keyof Row>({ key: 'label', direction: 'asc' }, 'within_var');
    expect(s1).toEqual({ key: 'within_var', direction: 'asc' });
    const s2 = nextSort(s1, 'within_var');
    expect(s2).toEqual({ key: 'within_var', direction: 'desc' });
    expect(ariaSort(s2, 'within_var')).toBe('descending');
    expect(ariaSort(s2, 'label')).toBe('none');
  });
});

describe('topIndices', () => {
  it('is the first k of a stable descending sort, nulls left out', () => {
    const values = Array.from({ length: 500 }, (_, i) =>
      i % 37 === 0 ? null : Math.round(Math.sin(i * 12.9898) * 20),
    );
    const sorted = values
      .map((v, i) => ({ v, i }))
      .filter((x) => x.v !== null)
      .sort((a, b) => b.v! - a.v!)
      .map((x) => x.i);
    for (const k of [0, 1, 3, 10, 600]) {
      expect(topIndices(values.length, (i) => values[i], k)).toEqual(sorted.slice(0, k));
    }
    expect(topIndices(4, () => null, 3)).toEqual([]);
  });
});
