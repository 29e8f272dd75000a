/**
 * A synthetic series built directly as results (no engine): C classes drifting onto a simplex
 * ETF over the epochs, with per-class rows and geometry, for the report's size and layout
 * checks at C = 100. Deterministic (seeded).
 */
import type {
  MetricsResult,
  PerClassRow,
  SeriesResult,
  SplitMetrics,
} from '../../shared/schema.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function split(c: number, d: number, n: number, t: number, rand: () => number): SplitMetrics {
  const decay = 1 / t;
  const per_class: PerClassRow[] = Array.from({ length: c }, (_, k) => ({
    label: k,
    count: Math.round(n / c),
    mean_norm: 5 + rand() * decay,
    within_var: 3 * decay + 0.01,
    weight_norm: 2 + rand() * decay,
    cos_w_mu: 1 - 0.5 * decay + rand() * 0.01,
    ncc_accuracy: Math.min(1, 0.8 + 0.2 * (1 - decay)),
    classifier_accuracy: t >= 12 ? 1 : 0.8 + 0.2 * (1 - decay),
  }));
  return {
    n,
    d,
    c,
    nc1: 2 * decay,
    nc1_quotient: 3 * decay,
    cdnv: decay,
    nc2: {
      equinorm_means: 0.2 * decay,
      equiangular_means: 0.3 * decay,
      maxangle_means: 0.25 * decay,
      etf_error_means: 0.8 * decay,
      log_kernel_mean: -0.5 * Math.log((2 * c) / (c - 1)) + 0.1 * decay,
      log_kernel_var: 0.01 * decay,
      equinorm_weights: 0.1 * decay,
      equiangular_weights: 0.2 * decay,
      maxangle_weights: 0.15 * decay,
      etf_error_weights: 0.6 * decay,
    },
    nc3: {
      self_duality: 0.4 * decay,
      duality_cos_mean: 1 - 0.5 * decay,
      duality_cos_cov: 0.1 * decay,
    },
    nc4: {
      ncc_mismatch: t >= 12 ? 0 : 0.1 * decay,
      classifier_accuracy: t >= 12 ? 1 : 0.8 + 0.2 * (1 - decay),
      ncc_accuracy: 0.8 + 0.2 * (1 - decay),
    },
    per_class,
  };
}

/** Means: simplex ETF directions (e_k − 1/C in the first C coordinates) plus fading noise. */
function geometry(c: number, d: number, t: number, rand: () => number): MetricsResult['geometry'] {
  const means: number[] = [];
  const weights: number[] = [];
  for (let k = 0; k < c; k++)
    for (let j = 0; j < d; j++) {
      const etf = j < c ? (j === k ? 1 : 0) - 1 / c : 0;
      means.push(5 * etf + (2 * rand()) / t);
      weights.push(2 * etf + (2 * rand()) / t);
    }
  return {
    labels: Array.from({ length: c }, (_, k) => k),
    means,
    global_mean: new Array(d).fill(0),
    weights,
  };
}

export function syntheticSeries(c = 100, epochs = 20, d = 128, withTest = true): SeriesResult {
  const rand = rng(7);
  const points = Array.from({ length: epochs }, (_, i) => {
    const t = i + 1;
    const metrics: MetricsResult = {
      schema: 'nc-lens/metrics@1',
      settings: { centering: 'class-means' },
      ...split(c, d, 50 * c, t, rand),
      warnings: [],
      geometry: geometry(c, d, t, rand),
    };
    if (withTest) metrics.test = split(c, d, 10 * c, t / 2, rand);
    return { index: i, epoch: t, label: `epoch ${t}`, metrics };
  });
  return {
    schema: 'nc-lens/series@1',
    kind: 'epochs',
    settings: { centering: 'class-means' },
    points,
    engine: { backend: 'synthetic', threads: 1, seconds: 0 },
    warnings: [],
  };
}
