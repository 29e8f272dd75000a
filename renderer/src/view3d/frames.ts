/**
 * What the 3-D view draws for each point of a result, in 3-D coordinates: the means, the ideal
 * simplex ETF aligned to them, the rescaled classifier rows and the sample cloud. Pure data on
 * top of shared/geometry.ts; frames are computed lazily (C = 100 takes ~0.1 s per point) and
 * cached.
 */
import {
  EXACT_SCENE_CLASSES,
  centredMeans,
  etfScene,
  etfSceneLarge,
  exactSubset,
  type EtfScene,
  matMul,
  meanNorm,
  pcaBasis,
  procrustes,
  project,
  toRows,
  transpose,
} from '../../../shared/geometry.ts';
import { MAX_SAMPLES, pointMetrics } from '../../../shared/points.ts';
import type {
  AnalysisResult,
  Geometry,
  MetricsResult,
  SampleCloud,
} from '../../../shared/schema.ts';

export type ViewMode = 'pca' | 'exact';

export { MAX_SAMPLES };

export interface SamplePoints {
  /** xyz per point. */
  positions: Float32Array;
  /** Class position of each point. */
  classes: Uint32Array;
  /** Row in the dump, and the NCC's and classifier's decisions (class positions), if known. */
  rows?: Uint32Array;
  ncc?: Uint32Array;
  classifier?: Uint32Array;
}

export interface ViewFrame {
  /** Class positions drawn, in order (all classes in PCA mode, the picked ones in exact mode). */
  classes: number[];
  means: number[][];
  ideal: number[][];
  weights: number[][] | null;
  samples: SamplePoints | null;
  /** Share of the centred means' variance the three axes keep (1 in exact mode). */
  explained: number;
  radius: number;
  /** Whether a simplex ETF of C vertices fits in D dimensions. */
  fits: boolean;
  c: number;
  d: number;
}

/** Rows of one width, flat: a frame's means, ideal vertices or classifier rows between threads. */
export interface PackedRows {
  flat: Float64Array;
  width: number;
}

export function packRows(rows: number[][]): PackedRows {
  const width = rows[0]?.length ?? 0;
  const flat = new Float64Array(rows.length * width);
  rows.forEach((r, i) => flat.set(r, i * width));
  return { flat, width };
}

export function unpackRows({ flat, width }: PackedRows): number[][] {
  const n = width > 0 ? flat.length / width : 0;
  const out: number[][] = new Array(n);
  for (let i = 0, o = 0; i < n; i++) {
    const row: number[] = [];
    for (let k = 0; k < width; k++) row.push(flat[o++]);
    out[i] = row;
  }
  return out;
}

export interface FrameSource {
  count: number;
  /** The frame of series point i, or null when that point carries no geometry. */
  get(i: number): ViewFrame | null;
}

/** The metrics of every point of the result, in order (the one helper, shared/points.ts). */
export const resultPoints = pointMetrics;

/**
 * Samples projected through `basis3` (3×D) and shifted by `offset`; `keep` limits them to some
 * classes. More than MAX_SAMPLES are thinned by an even stride, which keeps every class's share.
 */
export function projectSamples(
  cloud: SampleCloud,
  d: number,
  basis3: number[][],
  offset: number[] = [0, 0, 0],
  keep?: Set<number>,
): SamplePoints {
  const r = cloud.r;
  // Coordinates along the cloud's own basis → 3-D through one r×3 matrix.
  const m = matMul(toRows(cloud.basis, r, d), transpose(basis3));
  const wanted: number[] = [];
  for (let i = 0; i < cloud.classes.length; i++)
    if (!keep || keep.has(cloud.classes[i])) wanted.push(i);
  const stride = Math.max(1, Math.ceil(wanted.length / MAX_SAMPLES));
  const n = Math.ceil(wanted.length / stride);
  const step = coprimeStep(n);
  const positions = new Float32Array(n * 3);
  const classes = new Uint32Array(n);
  const rows = cloud.rows ? new Uint32Array(n) : undefined;
  const ncc = cloud.ncc ? new Uint32Array(n) : undefined;
  const classifier = cloud.classifier ? new Uint32Array(n) : undefined;
  for (let o = 0; o < n; o++) {
    // Visit the samples in a scattered order: any prefix of the buffer is then an even
    // subsample, which the renderer draws alone while the view moves.
    const i = wanted[((o * step) % n) * stride];
    classes[o] = cloud.classes[i];
    if (rows) rows[o] = cloud.rows![i];
    if (ncc) ncc[o] = cloud.ncc![i];
    if (classifier) classifier[o] = cloud.classifier![i];
    for (let a = 0; a < 3; a++) {
      let s = -offset[a];
      for (let j = 0; j < r; j++) s += cloud.coords[i * r + j] * m[j][a];
      positions[o * 3 + a] = s;
    }
  }
  return { positions, classes, rows, ncc, classifier };
}

/** A step that visits all of 0..n−1 (mod n) in a scattered order. */
function coprimeStep(n: number): number {
  for (const p of [7919, 7907, 7901, 6007, 3001, 1009, 101, 1]) if (n % p !== 0 && p < n) return p;
  return 1;
}

function pcaFrame(m: MetricsResult, g: Geometry, basis?: number[][], known?: EtfScene): ViewFrame {
  const scene =
    known ??
    etfScene({
      means: g.means,
      globalMean: g.global_mean,
      c: m.c,
      d: m.d,
      weights: g.weights,
      basis,
    });
  return {
    classes: g.labels.map((_, k) => k),
    means: scene.means,
    ideal: scene.ideal,
    weights: scene.weights,
    samples: g.samples ? projectSamples(g.samples, m.d, scene.basis) : null,
    explained: scene.explained,
    radius: scene.radius,
    fits: scene.fits,
    c: m.c,
    d: m.d,
  };
}

/** What a frame of many classes is computed from (one point's geometry; worker-safe data). */
export interface LargeFrameInput {
  c: number;
  d: number;
  means: ArrayLike<number>;
  global_mean: ArrayLike<number>;
  weights: ArrayLike<number> | null;
  samples?: SampleCloud;
}

/**
 * The PCA frame of one point of many classes (etfSceneLarge, O(C·D²)) in `basis`, or in its
 * own PCA basis (returned, for the other points of an epoch series to share).
 */
export function largeFrame(
  g: LargeFrameInput,
  basis?: number[][],
): { frame: ViewFrame; basis: number[][] } {
  const scene = etfSceneLarge({
    means: g.means,
    globalMean: g.global_mean,
    c: g.c,
    d: g.d,
    weights: g.weights,
    basis,
  });
  return {
    basis: scene.basis,
    frame: {
      classes: Array.from({ length: g.c }, (_, k) => k),
      means: scene.means,
      ideal: scene.ideal,
      weights: scene.weights,
      samples: g.samples ? projectSamples(g.samples, g.d, scene.basis) : null,
      explained: scene.explained,
      radius: scene.radius,
      fits: scene.fits,
      c: g.c,
      d: g.d,
    },
  };
}

function exactFrame(m: MetricsResult, g: Geometry, picked: number[]): ViewFrame {
  const centred = centredMeans(g.means, g.global_mean, m.c, m.d);
  const sub = exactSubset(centred, picked);
  const radius = meanNorm(sub.points);
  let weights: number[][] | null = null;
  if (g.weights) {
    const w = toRows(g.weights, m.c, m.d);
    const chosen = picked.map((k) => w[k]);
    const scale = meanNorm(chosen) > 0 ? radius / meanNorm(chosen) : 0;
    weights = project(chosen, sub.basis).map((r) => r.map((x) => x * scale));
  }
  const offset = project([sub.centroid], sub.basis)[0];
  return {
    classes: picked,
    means: sub.points,
    ideal: sub.ideal,
    weights,
    samples: g.samples ? projectSamples(g.samples, m.d, sub.basis, offset, new Set(picked)) : null,
    explained: 1,
    radius,
    fits: true,
    c: m.c,
    d: m.d,
  };
}

/** Every 3-D coordinate of the frame turned by the 3×3 `rotation` (row vectors: x·R). */
function rotateFrame(f: ViewFrame, rotation: number[][]): ViewFrame {
  const turn = (rows: number[][]) => matMul(rows, rotation);
  let samples: SamplePoints | null = null;
  if (f.samples) {
    const p = f.samples.positions;
    const out = new Float32Array(p.length);
    for (let i = 0; i < p.length; i += 3)
      for (let a = 0; a < 3; a++)
        out[i + a] = p[i] * rotation[0][a] + p[i + 1] * rotation[1][a] + p[i + 2] * rotation[2][a];
    samples = { ...f.samples, positions: out };
  }
  return {
    ...f,
    means: turn(f.means),
    ideal: turn(f.ideal),
    weights: f.weights && turn(f.weights),
    samples,
  };
}

/**
 * Frames for every point of the result. PCA mode fixes the basis from the last epoch so motion
 * across epochs is real, not a re-projection artefact. Layers are different feature spaces (D
 * may differ), so no basis carries over: each layer gets its own PCA. Points drawn in their own
 * basis (every layer; every point in exact mode) are turned (3×3 Procrustes) onto the last one,
 * so the picture does not spin or mirror from one point to the next.
 */
export function frameSource(
  result: AnalysisResult | null,
  mode: ViewMode,
  picked: number[],
): FrameSource {
  const points = resultPoints(result);
  const series = result?.schema === 'nc-lens/series@1';
  const epochs = series && result.kind === 'epochs';
  const last = points.length - 1;
  const cache = new Map<number, ViewFrame | null>();
  let anchor: number[][] | null | undefined; // the last epoch's PCA basis
  // Many classes: the last epoch's own scene, which gave the anchor (its frame is that scene).
  let anchorScene: EtfScene | undefined;

  const anchorBasis = (): number[][] | null => {
    if (anchor === undefined) {
      const m = points[last];
      const g = m?.geometry;
      anchor = null;
      if (epochs && mode === 'pca' && g && m.c >= 2) {
        if (m.c > EXACT_SCENE_CLASSES) {
          const input = { means: g.means, globalMean: g.global_mean, c: m.c, d: m.d };
          anchorScene = etfSceneLarge({ ...input, weights: g.weights });
          anchor = anchorScene.basis;
        } else anchor = pcaBasis(centredMeans(g.means, g.global_mean, m.c, m.d), 3).basis;
      }
    }
    return anchor;
  };

  /** The frame turned onto the last point's (same classes), or as it is. */
  const turnedToLast = (f: ViewFrame, i: number): ViewFrame => {
    const target = series && i !== last ? get(last) : null;
    if (!target || target.means.length !== f.means.length) return f;
    return rotateFrame(f, procrustes(target.means, f.means).rotation);
  };

  const compute = (i: number): ViewFrame | null => {
    const m = points[i];
    const g = m.geometry;
    if (!g || m.c < 2) return null;
    if (mode === 'pca') {
      const basis = anchorBasis();
      if (basis && basis[0].length === m.d)
        return pcaFrame(m, g, basis, i === last ? anchorScene : undefined);
      return turnedToLast(pcaFrame(m, g), i);
    }
    if (picked.length < 2 || picked.some((k) => k < 0 || k >= m.c)) return null;
    return turnedToLast(exactFrame(m, g, picked), i);
  };

  const get = (i: number): ViewFrame | null => {
    if (i < 0 || i >= points.length) return null;
    if (!cache.has(i)) cache.set(i, compute(i));
    return cache.get(i)!;
  };
  return { count: points.length, get };
}

/** Rows a fraction t of the way from a to b, written into `out` (rows of the same shape). */
function lerpRows(out: number[][], a: number[][], b: number[][], t: number): number[][] {
  for (let i = 0; i < a.length; i++) {
    const r = a[i];
    const s = b[i];
    const o = out[i];
    for (let j = 0; j < r.length; j++) o[j] = r[j] + (s[j] - r[j]) * t;
  }
  return out;
}

/** The rows an animation between two frames writes into, kept per pair of frames. */
interface LerpBuffers {
  to: ViewFrame;
  means: number[][];
  ideal: number[][];
  weights: number[][] | null;
  positions: Float32Array | null;
}
const lerpBuffers = new WeakMap<ViewFrame, LerpBuffers>();

const rowsLike = (rows: number[][]) => rows.map((r) => new Array<number>(r.length).fill(0));

function buffersFor(a: ViewFrame, b: ViewFrame): LerpBuffers {
  let bufs = lerpBuffers.get(a);
  if (!bufs || bufs.to !== b) {
    bufs = {
      to: b,
      means: rowsLike(a.means),
      ideal: rowsLike(a.ideal),
      weights: a.weights && b.weights ? rowsLike(a.weights) : null,
      positions: null,
    };
    lerpBuffers.set(a, bufs);
  }
  return bufs;
}

/**
 * The frame a fraction t of the way from a to b (samples move only when both have the same
 * set). An animation asks for one per display frame: the frames between the same a and b
 * share their rows (written in place, no allocation: at C = 10 000 a frame of fresh rows was
 * 3·10⁴ arrays, ~100 ms with their garbage), so only the latest of them is to be drawn.
 */
export function lerpFrame(a: ViewFrame, b: ViewFrame, t: number): ViewFrame {
  if (t <= 0) return a;
  if (t >= 1 || a.means.length !== b.means.length || a.ideal.length !== b.ideal.length) return b;
  const bufs = buffersFor(a, b);
  let samples = t < 0.5 ? a.samples : b.samples;
  if (a.samples && b.samples && a.samples.positions.length === b.samples.positions.length) {
    const pa = a.samples.positions;
    const pb = b.samples.positions;
    const out = (bufs.positions ??= new Float32Array(pa.length));
    for (let i = 0; i < pa.length; i++) out[i] = pa[i] + (pb[i] - pa[i]) * t;
    samples = { ...a.samples, positions: out };
  }
  return {
    ...b,
    means: lerpRows(bufs.means, a.means, b.means, t),
    ideal: lerpRows(bufs.ideal, a.ideal, b.ideal, t),
    weights: bufs.weights ? lerpRows(bufs.weights, a.weights!, b.weights!, t) : b.weights,
    samples,
    explained: a.explained + (b.explained - a.explained) * t,
    radius: a.radius + (b.radius - a.radius) * t,
  };
}
