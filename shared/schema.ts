/**
 * The result schema (`nc-lens/metrics@1`, `nc-lens/series@1`) exactly as defined in
 * docs/metrics.md. Field names and meanings are fixed; extras sit beside them.
 */
export type Centering = 'class-means' | 'samples';

export interface PerClassRow {
  label: number;
  count: number;
  mean_norm: number | null;
  within_var: number | null;
  weight_norm: number | null;
  cos_w_mu: number | null;
  ncc_accuracy: number | null;
  classifier_accuracy: number | null;
  /** The label of the nearest other class by mean distance ‖μ_k − μ_l‖ (most confusable). */
  nearest?: number | null;
  /** That distance ‖μ_k − μ_nearest‖. */
  nearest_distance?: number | null;
  /**
   * The classes the classifier most often chose for this class's samples when wrong, most
   * frequent first (at most CONFUSED_CLASSES; ties by label); [] when it was never wrong.
   * Absent without a classifier or from merged stats files.
   */
  confused_classifier?: Confusion[];
  /** The same for the nearest-class-centre rule. */
  confused_ncc?: Confusion[];
}

/** How many of a class's samples went to another class (`label`). */
export interface Confusion {
  label: number;
  count: number;
}

export interface Nc2 {
  equinorm_means: number | null;
  equiangular_means: number | null;
  maxangle_means: number | null;
  etf_error_means: number | null;
  log_kernel_mean: number | null;
  log_kernel_var: number | null;
  equinorm_weights: number | null;
  equiangular_weights: number | null;
  maxangle_weights: number | null;
  etf_error_weights: number | null;
}

export interface Nc3 {
  self_duality: number | null;
  duality_cos_mean: number | null;
  duality_cos_cov: number | null;
}

export interface Nc4 {
  ncc_mismatch: number | null;
  classifier_accuracy: number | null;
  ncc_accuracy: number | null;
}

export interface EngineInfo {
  backend: string;
  threads: number;
  seconds: number;
  /** Where the products ran: 'cpu' or 'cuda'. */
  device?: string;
  /** Precision of the products ('float64': every product exact to round-off). */
  precision?: string;
}

/** Metrics of one feature matrix (one split). */
export interface SplitMetrics {
  n: number;
  d: number;
  c: number;
  nc1: number | null;
  nc1_quotient: number | null;
  cdnv: number | null;
  nc2: Nc2;
  nc3: Nc3;
  nc4: Nc4;
  per_class: PerClassRow[];
}

/** The class means of one split (row-major C×D), as the geometry views draw them. */
export interface SplitGeometry {
  labels: number[];
  means: number[];
  global_mean: number[];
  weights: number[] | null;
  /** Beyond 512 classes, the heatmap's bounded summary of these means (as Geometry's). */
  cosine_summary?: CosineSummary;
  /**
   * The test split's sample cloud (its rows share the point's bounds with the training
   * split's); its `ncc` and `classifier` decisions are positions among the training classes.
   */
  samples?: SampleCloud;
}

/** Geometry the views and the report draw; small (C×D and C×C). */
export interface Geometry {
  /** Class labels in class order. */
  labels: number[];
  /** Class means μ_k, row-major C×D. */
  means: number[];
  /** Global mean μ_G (length D). */
  global_mean: number[];
  /** Classifier rows of the present classes, row-major C×D, or null. */
  weights: number[] | null;
  /** Optional subsample of the features for the 3-D view's sample cloud (NC1 made visible). */
  samples?: SampleCloud;
  /**
   * The test split's class means and global mean (its own centring), and the classifier rows
   * of its classes: the geometry views draw them with the same toggle as the per-class table.
   */
  test?: SplitGeometry;
  /**
   * For C > 512 only: the cosine matrix of the centred means as a bounded summary (a full
   * C×C picture would not fit), for the heatmap.
   */
  cosine_summary?: CosineSummary;
}

/**
 * A block-averaged C×C cosine matrix: classes in `order` (class positions), cut into
 * `blocks` runs `order[starts[b] .. starts[b+1])`; `cos` is blocks×blocks, row-major, the mean
 * cosine of the centred means between two blocks (within a block: over pairs k ≠ l).
 */
export interface CosineSummary {
  order: number[];
  starts: number[];
  blocks: number;
  cos: number[];
  /** How the order was chosen (for the axis label). */
  ordering: string;
}

/**
 * Samples as coordinates of h_i − μ_G along an orthonormal basis: the span of the centred
 * means is enough (every view projection lies in it) and keeps the payload at n×(C−1).
 */
export interface SampleCloud {
  /** Class position (index into `labels`) of each sample. */
  classes: number[];
  /** Number of basis rows r. */
  r: number;
  /** Orthonormal r×D basis, row-major. */
  basis: number[];
  /** Row-major n×r coordinates of h_i − μ_G along the basis rows. */
  coords: number[];
  /** Row of each sample in the dump (0-based). */
  rows?: number[];
  /** The NCC's decision for each sample (a class position; of the training split's classes). */
  ncc?: number[];
  /** The classifier's decision for each sample (a class position), with a classifier. */
  classifier?: number[];
}

export interface MetricsResult extends SplitMetrics {
  schema: 'nc-lens/metrics@1';
  /**
   * Class names by label value (`class_names[label]`), from a names file (classes.txt, a JSON
   * array) or a `class_names` array in the bundle; absent when none was given.
   */
  class_names?: string[];
  settings: { centering: Centering };
  /** Test split: same metrics, with NCC/NC4 using the training class means. */
  test?: SplitMetrics;
  engine?: EngineInfo;
  warnings: string[];
  /** Input files (names, sizes) and the role each array played. */
  inputs?: { file: string; bytes: number; sha256?: string; arrays?: Record<string, string> }[];
  geometry?: Geometry;
}

export interface SeriesPoint {
  /** Epoch or step parsed from the file name, else the position given; or the layer index. */
  index: number;
  epoch?: number;
  step?: number;
  layer?: string;
  label: string;
  metrics: MetricsResult;
}

export interface SeriesResult {
  schema: 'nc-lens/series@1';
  kind: 'epochs' | 'layers';
  settings: { centering: Centering };
  points: SeriesPoint[];
  engine?: EngineInfo;
  warnings: string[];
}

export type AnalysisResult = MetricsResult | SeriesResult;

export interface Progress {
  phase: string;
  /** 0..1 over the whole job. */
  fraction: number;
  rows?: number;
  totalRows?: number;
}
