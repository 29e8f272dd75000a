/**
 * How the report groups the metrics of shared/metric-names.ts (which owns every label,
 * meaning and definition): into summary-table groups and one trajectory chart per family,
 * plus the full references behind the families' short citations.
 */
import type { MetricKey } from '../../shared/metric-names.ts';

export interface MetricGroup {
  title: string;
  keys: MetricKey[];
  /** Log axis for shrinking errors; linear for the signed log-kernel energy. */
  yScale: 'log' | 'linear';
  /** Whether the test split adds its own line (false for metrics of W alone). */
  testLines: boolean;
}

export const GROUPS: readonly MetricGroup[] = [
  {
    title: 'NC1: within-class variability',
    keys: ['nc1', 'nc1_quotient', 'cdnv'],
    yScale: 'log',
    testLines: true,
  },
  {
    title: 'NC2: class means against a simplex ETF',
    keys: ['equinorm_means', 'equiangular_means', 'maxangle_means', 'etf_error_means'],
    yScale: 'log',
    testLines: true,
  },
  {
    title: 'NC2: hyperspherical log-kernel of the means',
    keys: ['log_kernel_mean', 'log_kernel_var'],
    yScale: 'linear',
    testLines: true,
  },
  {
    title: 'NC2: classifier rows against a simplex ETF',
    keys: ['equinorm_weights', 'equiangular_weights', 'maxangle_weights', 'etf_error_weights'],
    yScale: 'log',
    testLines: false,
  },
  {
    title: 'NC3: self-duality of classifier and means',
    keys: ['self_duality', 'duality_cos_mean', 'duality_cos_cov'],
    yScale: 'log',
    testLines: true,
  },
  {
    title: 'NC4: classifier against nearest class centre',
    keys: ['ncc_mismatch', 'classifier_accuracy', 'ncc_accuracy'],
    yScale: 'log',
    testLines: true,
  },
];

export interface Reference {
  id: number;
  text: string;
}

export const REFERENCES: readonly Reference[] = [
  {
    id: 1,
    text: 'V. Papyan, X. Y. Han, D. L. Donoho. Prevalence of neural collapse during the terminal phase of deep learning training. PNAS 117(40):24652–24663, 2020.',
  },
  {
    id: 2,
    text: 'T. Tirer, H. Huang, J. Niles-Weed. Perturbation analysis of neural collapse. ICML 2023.',
  },
  {
    id: 3,
    text: 'T. Galanti, A. György, M. Hutter. On the role of neural collapse in transfer learning. ICLR 2022.',
  },
  {
    id: 4,
    text: 'W. Liu, L. Yu, A. Weller, B. Schölkopf. Generalizing and decoupling neural collapse via hyperspherical uniformity gap. ICLR 2023.',
  },
  {
    id: 5,
    text: 'R. Wu, V. Papyan. Linguistic collapse: neural collapse in (large) language models. NeurIPS 2024.',
  },
  {
    id: 6,
    text: 'Z. Zhu, T. Ding, J. Zhou, X. Li, C. You, J. Sulam, Q. Qu. A geometric analysis of neural collapse with unconstrained features. NeurIPS 2021.',
  },
  {
    id: 7,
    text: 'P. H. Schönemann. A generalized solution of the orthogonal Procrustes problem. Psychometrika 31(1):1–10, 1966.',
  },
];

/** The references each metric's definition follows (ids into REFERENCES). */
export const METRIC_REFERENCES: Record<MetricKey, number[]> = {
  nc1: [1],
  nc1_quotient: [2],
  cdnv: [3],
  equinorm_means: [1],
  equiangular_means: [1],
  maxangle_means: [1],
  etf_error_means: [6],
  log_kernel_mean: [4, 5],
  log_kernel_var: [4, 5],
  equinorm_weights: [1],
  equiangular_weights: [1],
  maxangle_weights: [1],
  etf_error_weights: [6],
  self_duality: [1],
  duality_cos_mean: [5],
  duality_cos_cov: [5],
  ncc_mismatch: [1],
  classifier_accuracy: [1],
  ncc_accuracy: [1],
};
