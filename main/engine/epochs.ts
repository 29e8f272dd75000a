/**
 * Epoch or step numbers in dump names: `epoch012`, `epoch_12`, `ep12`, `e012`, `step_5000`.
 * A tag counts only at the start of the name or after a separator, so `feature12` is not
 * epoch 12.
 */
const EPOCH = /(?:^|[^a-z0-9])(?:epoch|ep|e)[_-]?(\d+)(?![0-9])/i;
const STEP = /(?:^|[^a-z0-9])(?:step|steps|it|iter)[_-]?(\d+)(?![0-9])/i;

export function parseEpoch(name: string): { epoch?: number; step?: number } {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.[a-z0-9]+$/i, '');
  const out: { epoch?: number; step?: number } = {};
  const e = EPOCH.exec(base);
  if (e) out.epoch = Number(e[1]);
  const s = STEP.exec(base);
  if (s) out.step = Number(s[1]);
  return out;
}

export interface SeriesEntry {
  label: string;
  epoch?: number;
  step?: number;
  /** The epoch (or step) when every label has one, else the position given. */
  index: number;
  /** Position in the list given. */
  position: number;
}

/** Epoch (or step) order of dumps named like `run_epoch012`; the order given otherwise. */
export function seriesOrder(labels: string[]): SeriesEntry[] {
  const entries = labels.map((label, i) => ({
    label,
    ...parseEpoch(label),
    index: i,
    position: i,
  }));
  const key = entries.every((e) => e.epoch !== undefined)
    ? 'epoch'
    : entries.every((e) => e.step !== undefined)
      ? 'step'
      : null;
  if (!key) return entries;
  return [...entries].sort((a, b) => a[key]! - b[key]!).map((e) => ({ ...e, index: e[key]! }));
}
