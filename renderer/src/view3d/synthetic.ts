/**
 * A synthetic training run that collapses: class means move from random directions onto a
 * simplex ETF, classifier rows turn towards them and the within-class spread shrinks. Used by
 * the view's benchmark page (100 000 samples) and its tests; the numbers are computed from the
 * generated data, not invented.
 */
import {
  centredMeans,
  cosineMatrix,
  matMul,
  rowSpace,
  simplexEtf,
} from '../../../shared/geometry.ts';
import type { MetricsResult, Nc2, SeriesResult } from '../../../shared/schema.ts';

export interface SyntheticOptions {
  c: number;
  d: number;
  /** Samples in the cloud of each point (split evenly over classes). */
  samples: number;
  epochs: number[];
  seed?: number;
}

function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    // xorshift32: reproducible and fast enough for 10^7 draws.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const NULL_NC2: Nc2 = {
  equinorm_means: null,
  equiangular_means: null,
  maxangle_means: null,
  etf_error_means: null,
  log_kernel_mean: null,
  log_kernel_var: null,
  equinorm_weights: null,
  equiangular_weights: null,
  maxangle_weights: null,
  etf_error_weights: null,
};

/** ETF error ‖G/‖G‖_F − (I − 11ᵀ/C)/√(C−1)‖_F of the rows (nc-metrics.md). */
function etfError(rows: number[][]): number {
  const c = rows.length;
  const g = matMul(
    rows,
    rows[0].map((_, j) => rows.map((r) => r[j])),
  );
  const f = Math.sqrt(g.flat().reduce((a, x) => a + x * x, 0));
  let e = 0;
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++) {
      const ideal = ((i === j ? 1 : 0) - 1 / c) / Math.sqrt(c - 1);
      e += (g[i][j] / f - ideal) ** 2;
    }
  return Math.sqrt(e);
}

function point(
  o: SyntheticOptions,
  t: number,
  start: number[][],
  etf: number[][],
  rand: () => number,
): MetricsResult {
  const { c, d } = o;
  const means = start.map((r, k) => r.map((x, j) => x * (1 - t) + etf[k][j] * t));
  const weights = means.map((r, k) =>
    r.map((x, j) => x * (0.3 + t) + start[(k + 1) % c][j] * (1 - t) * 0.5),
  );
  const globalMean = new Array<number>(d).fill(0.2);
  const flatMeans = means.flatMap((r) => r.map((x, j) => x + globalMean[j]));
  const centred = centredMeans(flatMeans, globalMean, c, d);
  const span = rowSpace(centred);
  const r = span.basis.length;
  const sigma = 0.6 * (1 - t) + 0.03;
  const classes: number[] = [];
  const coords: number[] = [];
  for (let i = 0; i < o.samples; i++) {
    const k = i % c;
    classes.push(k);
    for (let a = 0; a < r; a++) coords.push(span.coords[k][a] + sigma * rand());
  }
  const between = centred.reduce((a, row) => a + row.reduce((b, x) => b + x * x, 0), 0) / c;
  const cos = cosineMatrix(centred);
  const n = o.samples;
  return {
    schema: 'nc-lens/metrics@1',
    settings: { centering: 'class-means' },
    n,
    d,
    c,
    nc1: null,
    nc1_quotient: (d * sigma * sigma) / between,
    cdnv: null,
    nc2: { ...NULL_NC2, etf_error_means: etfError(centred), etf_error_weights: etfError(weights) },
    nc3: { self_duality: null, duality_cos_mean: null, duality_cos_cov: null },
    nc4: { ncc_mismatch: null, classifier_accuracy: null, ncc_accuracy: null },
    per_class: centred.map((row, k) => ({
      label: k,
      count: Math.ceil(n / c),
      mean_norm: Math.hypot(...row),
      within_var: d * sigma * sigma,
      weight_norm: Math.hypot(...weights[k]),
      cos_w_mu: cos[k][(k + 1) % c],
      ncc_accuracy: null,
      classifier_accuracy: null,
    })),
    warnings: [],
    geometry: {
      labels: means.map((_, k) => k),
      means: flatMeans,
      global_mean: globalMean,
      weights: weights.flat(),
      samples: { classes, r, basis: span.basis.flat(), coords },
    },
  };
}

/** A series over `epochs`, collapsing linearly in log-epoch from the first to the last. */
export function syntheticSeries(o: SyntheticOptions): SeriesResult {
  const rand = gaussian(o.seed ?? 1);
  const { c, d } = o;
  const dims = Math.min(c - 1, d);
  // The target ETF in the first C−1 coordinates (cut to D when C > D + 1), radius 4.
  const etf = simplexEtf(c, 4).map((r) => {
    const row = new Array<number>(d).fill(0);
    for (let j = 0; j < dims; j++) row[j] = r[j];
    return row;
  });
  const start = etf.map((r) => r.map(() => rand() * 1.2));
  const lo = Math.log(o.epochs[0]);
  const hi = Math.log(o.epochs[o.epochs.length - 1]);
  return {
    schema: 'nc-lens/series@1',
    kind: 'epochs',
    settings: { centering: 'class-means' },
    warnings: [],
    points: o.epochs.map((epoch, i) => ({
      index: i,
      epoch,
      label: `epoch ${epoch}`,
      metrics: point(o, hi > lo ? (Math.log(epoch) - lo) / (hi - lo) : 1, start, etf, rand),
    })),
  };
}
