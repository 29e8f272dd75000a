/**
 * The classes isolated by the user, one state read by every view (issue 16): the 3-D view,
 * the cosine heatmap and map, the per-class table, the legend and the class drill-down panel.
 * Classes are kept by label value (stable across epochs, runs and splits); a click selects one
 * class, Shift+click adds or removes it, Escape clears. Also the split the geometry views and
 * the per-class table show, and how the sample cloud is coloured.
 */
import type { AnalysisResult, MetricsResult, SampleCloud } from '../../../shared/schema.ts';

export type Split = 'train' | 'test';
/** What colours the samples: their true class, the classifier's decision, the NCC's. */
export type SampleColour = 'class' | 'classifier' | 'ncc';
/** Which samples stand out (the others dim). */
export type SampleHighlight = 'none' | 'classifier-wrong' | 'ncc-wrong' | 'disagree';

class Selection {
  /** Selected labels, in the order chosen (the last one is the drill-down panel's). */
  labels = $state.raw<number[]>([]);
  set = $derived(new Set(this.labels));
  /** The class the drill-down panel shows: the last one chosen, or null. */
  focus = $derived(this.labels.length ? this.labels[this.labels.length - 1] : null);
  split = $state<Split>('train');
  sampleColour = $state<SampleColour>('class');
  sampleHighlight = $state<SampleHighlight>('none');

  has(label: number): boolean {
    return this.set.has(label);
  }

  /** A click: only `label` (again: nothing); with `add` (Shift), `label` toggled in the set. */
  pick(label: number, add = false): void {
    if (add) {
      this.labels = this.set.has(label)
        ? this.labels.filter((l) => l !== label)
        : [...this.labels, label];
    } else {
      this.labels = this.labels.length === 1 && this.labels[0] === label ? [] : [label];
    }
  }

  clear(): void {
    if (this.labels.length) this.labels = [];
  }

  /** Escape anywhere clears the selection (unless something else, e.g. a menu, took it). */
  listen(): () => void {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && this.labels.length) this.clear();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }
}

export const selection = new Selection();

/** Positions (indices into `labels`) of the selected classes present there, in O(C). */
export function selectedPositions(
  labels: readonly number[],
  chosen: ReadonlySet<number>,
): number[] {
  if (chosen.size === 0) return [];
  const out: number[] = [];
  for (let k = 0; k < labels.length; k++) if (chosen.has(labels[k])) out.push(k);
  return out;
}

/**
 * One point's metrics as the geometry views see the chosen split: the test split's metrics
 * and geometry (means, cosine summary, sample cloud) in place of the training ones, or the
 * point itself.
 */
export function splitView(m: MetricsResult, split: Split): MetricsResult {
  if (split === 'train' || !m.test) return m;
  const g = m.geometry?.test;
  const samples = g?.samples && testCloud(g.samples, m.geometry!.labels, g.labels);
  return {
    ...m,
    ...m.test,
    test: undefined,
    geometry: g
      ? {
          labels: g.labels,
          means: g.means,
          global_mean: g.global_mean,
          weights: g.weights,
          ...(g.cosine_summary ? { cosine_summary: g.cosine_summary } : {}),
          ...(samples ? { samples } : {}),
        }
      : undefined,
  };
}

/** A whole result as the geometry views see the chosen split (every point's `splitView`). */
export function splitResult(r: AnalysisResult | null, split: Split): AnalysisResult | null {
  if (!r || split === 'train') return r;
  if (r.schema === 'nc-lens/metrics@1') return r.test ? splitView(r, split) : r;
  if (!r.points.some((p) => p.metrics.test)) return r;
  return { ...r, points: r.points.map((p) => ({ ...p, metrics: splitView(p.metrics, split) })) };
}

/** Whether a result has test-split geometry to show. */
export function hasTestGeometry(r: AnalysisResult | null): boolean {
  if (!r) return false;
  const points = r.schema === 'nc-lens/series@1' ? r.points.map((p) => p.metrics) : [r];
  return points.some((m) => m.geometry?.test);
}

/**
 * The test cloud with its decisions (positions among the training classes) turned into
 * positions among the test classes, as its `classes` are; unchanged when both splits have the
 * same classes. A class the test split lacks becomes −1 (drawn, named by its position).
 */
function testCloud(cloud: SampleCloud, trainLabels: number[], testLabels: number[]): SampleCloud {
  const same =
    trainLabels.length === testLabels.length && trainLabels.every((l, i) => l === testLabels[i]);
  if (same) return cloud;
  const at = new Map(testLabels.map((l, i) => [l, i]));
  const map = (ps?: number[]) => ps?.map((p) => at.get(trainLabels[p]) ?? -1);
  return { ...cloud, ncc: map(cloud.ncc), classifier: map(cloud.classifier) };
}
