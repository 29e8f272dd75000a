/**
 * The headline metrics, with a one-line meaning each: what the CLI table, and anything else
 * that summarises a result, shows. Full definitions: docs/metrics.md.
 */
import type { SplitMetrics } from '../../shared/schema.ts';

export interface Headline {
  /** Path in a SplitMetrics, e.g. `nc2.etf_error_means`. */
  key: string;
  /** Short column name. */
  short: string;
  meaning: string;
}

export const HEADLINES: readonly Headline[] = [
  {
    key: 'nc1',
    short: 'NC1',
    meaning: 'within-class spread relative to between-class, Tr(Σ_W Σ_B†)/C (→ 0)',
  },
  {
    key: 'nc1_quotient',
    short: 'NC1 Tr',
    meaning: 'Tr(Σ_W)/Tr(Σ_B): total within- over between-class variance (→ 0)',
  },
  {
    key: 'cdnv',
    short: 'CDNV',
    meaning: 'class-distance normalised variance, mean over class pairs (→ 0)',
  },
  {
    key: 'nc2.equinorm_means',
    short: 'equinorm',
    meaning: 'spread of the centred class-mean norms, std/mean (→ 0)',
  },
  {
    key: 'nc2.equiangular_means',
    short: 'equiangle',
    meaning: 'spread of the cosines between centred class means (→ 0)',
  },
  {
    key: 'nc2.etf_error_means',
    short: 'ETF err',
    meaning: "distance of the means' normalised Gram matrix from a simplex ETF (→ 0)",
  },
  {
    key: 'nc2.etf_error_weights',
    short: 'ETF err W',
    meaning: "the same for the classifier's rows (→ 0)",
  },
  {
    key: 'nc3.self_duality',
    short: 'self-dual',
    meaning: '‖W/‖W‖ − M̃/‖M̃‖‖²: classifier rows vs centred means (→ 0)',
  },
  {
    key: 'nc3.duality_cos_mean',
    short: 'cos(w,μ)',
    meaning: 'mean cosine between each classifier row and its centred mean (→ 1)',
  },
  {
    key: 'nc4.ncc_mismatch',
    short: 'NCC≠clf',
    meaning: 'fraction of samples where nearest class centre and classifier disagree (→ 0)',
  },
  { key: 'nc4.classifier_accuracy', short: 'acc', meaning: 'classifier accuracy' },
  { key: 'nc4.ncc_accuracy', short: 'NCC acc', meaning: 'nearest-class-centre accuracy' },
];

/** The value at a headline's key, or null. */
export function headlineValue(m: SplitMetrics, key: string): number | null {
  let v: unknown = m;
  for (const part of key.split('.')) v = (v as Record<string, unknown> | null)?.[part];
  return typeof v === 'number' ? v : null;
}
