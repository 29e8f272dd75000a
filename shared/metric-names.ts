/**
 * The one place that knows the metric names: for every number in docs/metrics.md, its field
 * name (also the UI's `data-metric` hook), a short label, a one-line meaning and the
 * definition. The app's cards and tables and the PDF report read these; no other module
 * spells a metric's label or formula.
 */
import type { PerClassRow, SplitMetrics } from './schema.ts';

export type MetricKey =
  | 'nc1'
  | 'nc1_quotient'
  | 'cdnv'
  | 'equinorm_means'
  | 'equiangular_means'
  | 'maxangle_means'
  | 'etf_error_means'
  | 'log_kernel_mean'
  | 'log_kernel_var'
  | 'equinorm_weights'
  | 'equiangular_weights'
  | 'maxangle_weights'
  | 'etf_error_weights'
  | 'self_duality'
  | 'duality_cos_mean'
  | 'duality_cos_cov'
  | 'ncc_mismatch'
  | 'classifier_accuracy'
  | 'ncc_accuracy';

export type FamilyKey = 'nc1' | 'nc2' | 'nc3' | 'nc4';

/** How a value reads best: a fraction of samples as a percentage, anything else as a number. */
export type MetricKind = 'number' | 'fraction';

/** What a metric needs beyond features and labels; it is null without it. */
export type Requirement = 'weights' | 'classifier';

export interface MetricName {
  key: MetricKey;
  family: FamilyKey;
  label: string;
  meaning: string;
  definition: string;
  kind: MetricKind;
  requires?: Requirement;
  /** True when the value does not depend on the split (it is computed from W alone). */
  splitFree?: boolean;
  value(m: SplitMetrics): number | null;
}

export interface FamilyName {
  key: FamilyKey;
  title: string;
  subtitle: string;
  citation: string;
}

export const FAMILIES: readonly FamilyName[] = [
  {
    key: 'nc1',
    title: 'NC1',
    subtitle: 'Within-class variability collapse: samples shrink onto their class means.',
    citation: 'Papyan, Han & Donoho, PNAS 2020; Tirer et al. 2023; Galanti et al. 2022',
  },
  {
    key: 'nc2',
    title: 'NC2',
    subtitle: 'Class means and classifier rows approach a simplex equiangular tight frame.',
    citation: 'Papyan, Han & Donoho, PNAS 2020; Liu et al. 2023; Wu & Papyan 2024',
  },
  {
    key: 'nc3',
    title: 'NC3',
    subtitle: 'Self-duality: classifier rows line up with their class means.',
    citation: 'Papyan, Han & Donoho, PNAS 2020',
  },
  {
    key: 'nc4',
    title: 'NC4',
    subtitle: 'The classifier decides like the nearest class centre.',
    citation: 'Papyan, Han & Donoho, PNAS 2020',
  },
];

const ETF_TARGET = 'I − 11ᵀ/C';

export const METRICS: readonly MetricName[] = [
  {
    key: 'nc1',
    family: 'nc1',
    label: 'NC1',
    meaning: 'Within-class spread against between-class spread; → 0 as samples collapse.',
    definition: 'Tr(Σ_W Σ_B†) / C, Σ_B† the pseudo-inverse (eigenvalues ≤ 1e-10·λ_max dropped)',
    kind: 'number',
    value: (m) => m.nc1,
  },
  {
    key: 'nc1_quotient',
    family: 'nc1',
    label: 'NC1 quotient',
    meaning: 'Total within-class variance over total between-class variance.',
    definition: 'Tr(Σ_W) / Tr(Σ_B)',
    kind: 'number',
    value: (m) => m.nc1_quotient,
  },
  {
    key: 'cdnv',
    family: 'nc1',
    label: 'CDNV',
    meaning: 'Class spread relative to the distance between class means, averaged over pairs.',
    definition: 'mean over pairs k<l of (σ_k² + σ_l²) / (2‖μ_k − μ_l‖²)',
    kind: 'number',
    value: (m) => m.cdnv,
  },
  {
    key: 'equinorm_means',
    family: 'nc2',
    label: 'Equinorm',
    meaning: 'Unevenness of the vectors’ lengths; 0 when all have the same norm.',
    definition: 'std_k ‖μ_k − μ_G‖ / mean_k ‖μ_k − μ_G‖',
    kind: 'number',
    value: (m) => m.nc2.equinorm_means,
  },
  {
    key: 'equiangular_means',
    family: 'nc2',
    label: 'Equiangular',
    meaning: 'Spread of the pairwise angles; 0 when all pairs meet at the same angle.',
    definition: 'std over pairs k<l of cos(μ_k − μ_G, μ_l − μ_G)',
    kind: 'number',
    value: (m) => m.nc2.equiangular_means,
  },
  {
    key: 'maxangle_means',
    family: 'nc2',
    label: 'Max-angle',
    meaning: 'How far the pairwise cosines are from the simplex value −1/(C−1).',
    definition: 'mean over pairs k<l of |cos_kl + 1/(C−1)|',
    kind: 'number',
    value: (m) => m.nc2.maxangle_means,
  },
  {
    key: 'etf_error_means',
    family: 'nc2',
    label: 'ETF error',
    meaning: 'Distance of the vectors’ shape from a simplex ETF; 0 at collapse.',
    definition: `‖G/‖G‖_F − (${ETF_TARGET})/√(C−1)‖_F, G = M̃M̃ᵀ, M̃ rows μ_k − μ_G`,
    kind: 'number',
    value: (m) => m.nc2.etf_error_means,
  },
  {
    key: 'log_kernel_mean',
    family: 'nc2',
    label: 'Log-kernel mean',
    meaning: 'Hyperspherical energy of the means; −½·log(2C/(C−1)) for an exact ETF.',
    definition: 'mean over pairs of −log‖u_k − u_l‖, u_k = (μ_k − μ_G)/‖μ_k − μ_G‖',
    kind: 'number',
    value: (m) => m.nc2.log_kernel_mean,
  },
  {
    key: 'log_kernel_var',
    family: 'nc2',
    label: 'Log-kernel variance',
    meaning: 'Unevenness of the hyperspherical energy over pairs; 0 for an exact ETF.',
    definition: 'population variance over pairs of −log‖u_k − u_l‖',
    kind: 'number',
    value: (m) => m.nc2.log_kernel_var,
  },
  {
    key: 'equinorm_weights',
    family: 'nc2',
    label: 'Equinorm',
    meaning: 'Unevenness of the classifier-row lengths; 0 when all have the same norm.',
    definition: 'std_k ‖w_k‖ / mean_k ‖w_k‖ (rows of present classes, uncentred)',
    kind: 'number',
    requires: 'weights',
    splitFree: true,
    value: (m) => m.nc2.equinorm_weights,
  },
  {
    key: 'equiangular_weights',
    family: 'nc2',
    label: 'Equiangular',
    meaning: 'Spread of the pairwise angles between classifier rows.',
    definition: 'std over pairs k<l of cos(w_k, w_l)',
    kind: 'number',
    requires: 'weights',
    splitFree: true,
    value: (m) => m.nc2.equiangular_weights,
  },
  {
    key: 'maxangle_weights',
    family: 'nc2',
    label: 'Max-angle',
    meaning: 'How far the classifier rows’ cosines are from −1/(C−1).',
    definition: 'mean over pairs k<l of |cos(w_k, w_l) + 1/(C−1)|',
    kind: 'number',
    requires: 'weights',
    splitFree: true,
    value: (m) => m.nc2.maxangle_weights,
  },
  {
    key: 'etf_error_weights',
    family: 'nc2',
    label: 'ETF error',
    meaning: 'Distance of the classifier rows’ shape from a simplex ETF.',
    definition: `‖G/‖G‖_F − (${ETF_TARGET})/√(C−1)‖_F, G = WWᵀ`,
    kind: 'number',
    requires: 'weights',
    splitFree: true,
    value: (m) => m.nc2.etf_error_weights,
  },
  {
    key: 'self_duality',
    family: 'nc3',
    label: 'Self-duality',
    meaning: 'Distance between the normalised classifier and the normalised centred means.',
    definition: '‖W/‖W‖_F − M̃/‖M̃‖_F‖_F² (squared; no bias, W not centred)',
    kind: 'number',
    requires: 'weights',
    value: (m) => m.nc3.self_duality,
  },
  {
    key: 'duality_cos_mean',
    family: 'nc3',
    label: 'Duality cosine',
    meaning: 'Average alignment of each classifier row with its class mean; 1 when aligned.',
    definition: 'mean_k cos(w_k, μ_k − μ_G)',
    kind: 'number',
    requires: 'weights',
    value: (m) => m.nc3.duality_cos_mean,
  },
  {
    key: 'duality_cos_cov',
    family: 'nc3',
    label: 'Duality cosine CoV',
    meaning: 'How unevenly the classes are aligned; 0 when all equally (uniform duality).',
    definition: 'std_k cos_k / mean_k cos_k, cos_k = cos(w_k, μ_k − μ_G)',
    kind: 'number',
    requires: 'weights',
    value: (m) => m.nc3.duality_cos_cov,
  },
  {
    key: 'ncc_mismatch',
    family: 'nc4',
    label: 'NCC mismatch',
    meaning: 'Share of samples where classifier and nearest class mean disagree; → 0.',
    definition: 'fraction of i with argmax_k(w_k·h_i + b_k) ≠ argmin_k ‖h_i − μ_k‖²',
    kind: 'fraction',
    requires: 'classifier',
    value: (m) => m.nc4.ncc_mismatch,
  },
  {
    key: 'classifier_accuracy',
    family: 'nc4',
    label: 'Classifier accuracy',
    meaning: 'Share of samples the classifier (or the given logits) gets right.',
    definition: 'fraction of i with argmax_k(w_k·h_i + b_k) = y_i',
    kind: 'fraction',
    requires: 'classifier',
    value: (m) => m.nc4.classifier_accuracy,
  },
  {
    key: 'ncc_accuracy',
    family: 'nc4',
    label: 'NCC accuracy',
    meaning: 'Share of samples whose nearest class mean (training means) is the true class.',
    definition: 'fraction of i with argmin_k ‖h_i − μ_k‖² = y_i (ties: lowest k)',
    kind: 'fraction',
    value: (m) => m.nc4.ncc_accuracy,
  },
];

/** NC2 is measured twice, on the centred class means and on the classifier rows. */
export function weightsCounterpart(key: MetricKey): MetricName | undefined {
  if (!key.endsWith('_means')) return undefined;
  return METRICS.find((m) => m.key === key.replace(/_means$/, '_weights'));
}

/** The few metrics that summarise a result in one row (series tables, report summaries). */
export const HEADLINE_KEYS: readonly MetricKey[] = [
  'nc1',
  'cdnv',
  'etf_error_means',
  'self_duality',
  'ncc_mismatch',
  'classifier_accuracy',
];

export function metricName(key: MetricKey): MetricName {
  const found = METRICS.find((m) => m.key === key);
  if (!found) throw new Error(`unknown metric ${key}`);
  return found;
}

/** Why a metric is null: shown in place of the value. */
export const REQUIREMENT_TEXT: Record<Requirement, string> = {
  weights: 'needs a classifier weight (W)',
  classifier: 'needs a classifier weight (W) or logits',
};

export type PerClassKey = Exclude<keyof PerClassRow, 'confused_classifier' | 'confused_ncc'>;

export interface PerClassColumn {
  key: PerClassKey;
  label: string;
  definition: string;
  kind: MetricKind | 'count';
}

export const PER_CLASS_COLUMNS: readonly PerClassColumn[] = [
  { key: 'label', label: 'Label', definition: 'label value of the class', kind: 'count' },
  { key: 'count', label: 'Count', definition: 'n_k, samples in the class', kind: 'count' },
  {
    key: 'mean_norm',
    label: 'Mean norm',
    definition: '‖μ_k − μ_G‖, length of the centred class mean',
    kind: 'number',
  },
  {
    key: 'within_var',
    label: 'Within-class var.',
    definition: 'σ_k² = (1/n_k) Σ ‖h_i − μ_k‖²',
    kind: 'number',
  },
  { key: 'weight_norm', label: 'Weight norm', definition: '‖w_k‖', kind: 'number' },
  {
    key: 'cos_w_mu',
    label: 'cos(w, μ)',
    definition: 'cos(w_k, μ_k − μ_G), the class’s self-duality',
    kind: 'number',
  },
  {
    key: 'ncc_accuracy',
    label: 'NCC acc.',
    definition: 'share of the class’s samples whose nearest class mean is their own',
    kind: 'fraction',
  },
  {
    key: 'classifier_accuracy',
    label: 'Classifier acc.',
    definition: 'share of the class’s samples the classifier gets right',
    kind: 'fraction',
  },
];
