/** Sorting for the per-class table: missing values always go last, whatever the direction. */
export type SortDirection = 'asc' | 'desc';

export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

export function sortRows<R, K extends keyof R & string>(
  rows: readonly R[],
  sort: SortState<K>,
): R[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  // Array.prototype.sort is stable, so equal values keep their class order.
  return [...rows].sort((a, b) => {
    const x = a[sort.key] as unknown;
    const y = b[sort.key] as unknown;
    const xMissing = typeof x !== 'number' || Number.isNaN(x);
    const yMissing = typeof y !== 'number' || Number.isNaN(y);
    if (xMissing || yMissing) return Number(xMissing) - Number(yMissing);
    return sign * ((x as number) - (y as number));
  });
}

/** Clicking a header: a new column sorts ascending, the same column flips. */
export function nextSort<K extends string>(current: SortState<K>, key: K): SortState<K> {
  if (current.key !== key) return { key, direction: 'asc' };
  return { key, direction: current.direction === 'asc' ? 'desc' : 'asc' };
}

export function ariaSort<K extends string>(
  current: SortState<K>,
  key: K,
): 'ascending' | 'descending' | 'none' {
  if (current.key !== key) return 'none';
  return current.direction === 'asc' ? 'ascending' : 'descending';
}
