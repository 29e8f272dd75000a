/**
 * The full references behind the metric families' short citations. Which metrics go in which
 * chart (and summary group) is the chart registry, shared/charts/registry.ts.
 */
import type { MetricKey } from '../../shared/metric-names.ts';

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
