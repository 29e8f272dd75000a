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
  // Read once: `sort` may be a $state proxy, and 10⁴ rows make ~10⁵ comparisons.
  const key = sort.key;
  // Array.prototype.sort is stable, so equal values keep their class order.
  return [...rows].sort((a, b) => {
    const x = a[key] as unknown;
    const y = b[key] as unknown;
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

/**
 * The positions 0 … n − 1 of the `k` largest values, largest first (ties: the lower position
 * first); null values are left out. O(n·k), for a few extremes of many classes.
 */
export function topIndices(n: number, value: (i: number) => number | null, k: number): number[] {
  const top: number[] = [];
  const of: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (v === null || Number.isNaN(v)) continue;
    if (top.length === k && v <= of[k - 1]) continue;
    // Kept largest first; an equal value goes after the ones already there.
    let at = top.length;
    while (at > 0 && of[at - 1] < v) at--;
    top.splice(at, 0, i);
    of.splice(at, 0, v);
    if (top.length > k) {
      top.pop();
      of.pop();
    }
  }
  return top;
}
