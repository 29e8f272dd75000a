import { describe, expect, it } from 'vitest';
import { PART_ROWS, joinRowParts, splitRowParts, type RowPart } from './wire.ts';

const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, k) => ({ label: k, tag, confused_ncc: [{ label: 1, count: k }] }));

/** A series reply as the server sends it: points with train and test per-class rows. */
function reply(c: number) {
  const point = (e: number) => ({
    metrics: { c, per_class: rows(c, `train ${e}`), test: { per_class: rows(c, `test ${e}`) } },
  });
  return { result: { schema: 'nc-lens/series@1', points: [point(1), point(2)] } };
}

describe('per-class rows in parts (the page reads each part in a task of its own)', () => {
  it('takes the rows of many classes out in parts of at most PART_ROWS and puts them back', () => {
    const c = 2 * PART_ROWS + 7;
    const value = reply(c);
    const expected = structuredClone(value);
    const parts = splitRowParts(value);
    // Two points, train and test, 3 parts each.
    expect(parts).toHaveLength(12);
    expect(parts.every((p) => p.rows.length <= PART_ROWS)).toBe(true);
    expect(value.result.points.every((p) => p.metrics.per_class.length === 0)).toBe(true);
    // What the page receives: each message a structured clone of its own.
    const received = structuredClone(value);
    joinRowParts(
      received,
      parts.map((p) => structuredClone(p) as RowPart),
    );
    expect(received).toEqual(expected);
  });

  it('leaves a few classes and replies without a result as they are', () => {
    const value = reply(PART_ROWS);
    const expected = structuredClone(value);
    expect(splitRowParts(value)).toEqual([]);
    expect(value).toEqual(expected);
    const single = { result: { c: 3, per_class: rows(3, 'x') } };
    expect(splitRowParts(single)).toEqual([]);
    expect(splitRowParts({ files: [] })).toEqual([]);
    expect(splitRowParts(null)).toEqual([]);
  });

  it('splits the rows of a single result (no series)', () => {
    const value = { result: { c: PART_ROWS + 1, per_class: rows(PART_ROWS + 1, 'one') } };
    const expected = structuredClone(value);
    const parts = splitRowParts(value);
    expect(parts.map((p) => [p.point, p.split, p.rows.length])).toEqual([
      [0, 'train', PART_ROWS],
      [0, 'train', 1],
    ]);
    joinRowParts(value, parts);
    expect(value).toEqual(expected);
  });
});
