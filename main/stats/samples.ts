/**
 * The sample cloud of sharded statistics (geometry.samples, the 3-D view's NC1 made visible)
 * as a mergeable reservoir: every row gets a key, a hash of its feature values (as float64),
 * and each class keeps the q_k rows with the smallest keys, q_k the quota the engine gives
 * that class (engine/samples.ts classQuotas, within the same bounds). The key depends on a
 * row's content alone, not on its shard, position or the order of merges, so the cloud is the
 * same set whatever the sharding and whatever tree of merges: the union of two reservoirs
 * trimmed to the quotas is the reservoir of the union (the q_k smallest of a class are among
 * the q_k smallest of the part holding them). Coordinates are those of the engine (its basis
 * and its formula, from pass 2's NC1 projections), copied, never summed: merging is exact.
 *
 * The single-process engine picks evenly spaced rows of each class by their rank in the
 * file's row order (engine/samples.ts pickedRows); shards merged in any order have no such
 * order, so the two clouds are different subsets of the same size per class, on the same
 * basis (docs/stats-format.md).
 */
import type { SampleCloud } from '../../shared/schema.ts';
import type { ArraySource } from '../io/types.ts';
import type { Nc1Directions } from '../engine/nc1.ts';
import type { SampleBlock, SamplePlan } from '../engine/samples.ts';
import {
  MAX_SAMPLES,
  MAX_SAMPLE_NUMBERS,
  classQuotas,
  orthonormalised,
} from '../engine/samples.ts';
import { cancelled } from '../../shared/errors.ts';

/** The cloud's bound in picks for r basis rows: the engine's, for one result. */
export function sampleBudget(r: number): number {
  return r > 0 ? Math.min(MAX_SAMPLES, Math.floor(MAX_SAMPLE_NUMBERS / r)) : 0;
}

export interface CloudSetup {
  plan: SamplePlan;
  /** r×d, orthonormal rows. */
  basis: Float64Array;
  /** Picks per class (c). */
  quotas: Int32Array;
}

/**
 * Basis, coordinate transform and quotas of the cloud, from the merged counts and centred
 * means and the plan's NC1 directions (as engine/samples.ts sampleSetup); null when the
 * directions span nothing.
 */
export function cloudSetup(
  first: { counts: Float64Array; centred: Float64Array; d: number },
  dirs: Nc1Directions,
  total: number,
): CloudSetup | null {
  const { d, counts, centred } = first;
  const c = counts.length;
  const span = orthonormalised(dirs, d);
  if (!span || span.r === 0 || total <= 0) return null;
  const { basis, transform, r } = span;
  const offsets = new Float64Array(c * r);
  for (let y = 0; y < c; y++) {
    for (let b = 0; b < r; b++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += centred[y * d + t] * basis[b * d + t];
      offsets[y * r + b] = s;
    }
  }
  return { plan: { r, transform, offsets }, basis, quotas: classQuotas(counts, total) };
}

/** murmur3's 32-bit finaliser. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 32-bit words of a row-major block of features, and words per row. */
function wordsOf(h: Float32Array | Float64Array, d: number): { w: Uint32Array; per: number } {
  const per = h instanceof Float64Array ? 2 * d : d;
  return { w: new Uint32Array(h.buffer, h.byteOffset, (h.length / d) * per), per };
}

function keyAt(w: Uint32Array, from: number, per: number): number {
  let a = 0x9e3779b9 ^ per;
  let b = 0x7f4a7c15;
  for (let j = from; j < from + per; j++) {
    const x = w[j];
    a = Math.imul(a ^ x, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ x, 0x1b873593);
    b = ((b << 13) | (b >>> 19)) + a;
  }
  const lo = fmix((a ^ Math.imul(b, 0x27d4eb2f)) >>> 0);
  const hi = fmix((b ^ Math.imul(a, 0x165667b1)) >>> 0);
  return (hi >>> 11) * 4294967296 + lo;
}

/**
 * A row's key: a 53-bit hash (an exact float64 integer) of the bits of its d values as read
 * (float32 or float64), so the same row has the same key in every file and shard that stores
 * it alike, wherever it sits.
 */
export function rowKey(h: Float32Array | Float64Array, at: number, d: number): number {
  const row = h.subarray(at, at + d);
  const { w, per } = wordsOf(row, d);
  return keyAt(w, 0, per);
}

/** The key of every row of `features`, read a chunk at a time. */
export async function rowKeys(features: ArraySource, signal?: AbortSignal): Promise<Float64Array> {
  const n = features.rows;
  const d = features.rowSize;
  const keys = new Float64Array(n);
  const step = Math.max(64, Math.floor(2 ** 20 / Math.max(d, 1)));
  for (let s = 0; s < n; s += step) {
    if (signal?.aborted) throw cancelled();
    const e = Math.min(n, s + step);
    const h = features.readFeatures
      ? await features.readFeatures(s, e, signal)
      : await features.readRows(s, e, signal);
    const { w, per } = wordsOf(h, d);
    for (let i = 0; i < e - s; i++) keys[s + i] = keyAt(w, i * per, per);
  }
  return keys;
}

/**
 * A class-major reservoir: `keys`, `classes` (class positions) and the NCC's and the
 * classifier's decisions (class positions; no classifier: null) of its m rows, `coords` m×r,
 * sorted by (class, key, coordinates): one order for one set.
 */
export interface Reservoir {
  keys: Float64Array;
  classes: Float64Array;
  ncc: Float64Array;
  classifier: Float64Array | null;
  coords: Float64Array;
}

/** The rows of one shard to put in its reservoir: per class, its q_k smallest keys. Ascending. */
export function shardPicks(
  keys: Float64Array,
  classes: Int32Array,
  quotas: Int32Array,
): Int32Array {
  const c = quotas.length;
  // rows by class (a counting sort); a class with no more rows than its quota keeps them all
  const start = new Int32Array(c + 1);
  for (let i = 0; i < classes.length; i++) start[classes[i] + 1]++;
  for (let k = 0; k < c; k++) start[k + 1] += start[k];
  const byClass = new Int32Array(classes.length);
  const at = start.slice(0, c);
  for (let i = 0; i < classes.length; i++) byClass[at[classes[i]]++] = i;
  const picks: number[] = [];
  for (let k = 0; k < c; k++) {
    const rows = byClass.subarray(start[k], start[k + 1]);
    if (rows.length <= quotas[k]) {
      for (const i of rows) picks.push(i);
      continue;
    }
    const order = Array.from(rows).sort((i, j) => keys[i] - keys[j] || i - j);
    for (let q = 0; q < quotas[k]; q++) picks.push(order[q]);
  }
  return Int32Array.from(picks).sort();
}

function compare(a: Reservoir, i: number, b: Reservoir, j: number, r: number): number {
  const d = a.classes[i] - b.classes[j] || a.keys[i] - b.keys[j];
  if (d) return d;
  for (let t = 0; t < r; t++) {
    const e = a.coords[i * r + t] - b.coords[j * r + t];
    if (e) return e;
  }
  return 0;
}

/** A shard's reservoir from its picks and the coordinates pass 2 computed for them. */
export function shardReservoir(
  picks: Int32Array,
  keys: Float64Array,
  classes: Int32Array,
  blocks: SampleBlock[],
  r: number,
  withClassifier: boolean,
): Reservoir {
  const m = picks.length;
  const coords = new Float64Array(m * r);
  const ncc = new Float64Array(m);
  const classifier = withClassifier ? new Float64Array(m) : null;
  let filled = 0;
  for (const block of blocks) {
    coords.set(block.coords, block.at * r);
    if (!block.ncc || (classifier && !block.classifier)) {
      throw new Error('reservoir: pass 2 gave no decisions for the picks');
    }
    ncc.set(block.ncc, block.at);
    if (classifier) classifier.set(block.classifier!, block.at);
    filled += block.coords.length;
  }
  if (filled !== coords.length) throw new Error(`reservoir: ${filled / r} of ${m} picks computed`);
  const rows: Reservoir = {
    keys: Float64Array.from(picks, (i) => keys[i]),
    classes: Float64Array.from(picks, (i) => classes[i]),
    ncc,
    classifier,
    coords,
  };
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => compare(rows, i, rows, j, r));
  return take(rows, order, r);
}

function take(from: Reservoir, order: number[], r: number): Reservoir {
  const out: Reservoir = {
    keys: new Float64Array(order.length),
    classes: new Float64Array(order.length),
    ncc: new Float64Array(order.length),
    classifier: from.classifier && new Float64Array(order.length),
    coords: new Float64Array(order.length * r),
  };
  order.forEach((i, o) => {
    out.keys[o] = from.keys[i];
    out.classes[o] = from.classes[i];
    out.ncc[o] = from.ncc[i];
    if (out.classifier) out.classifier[o] = from.classifier![i];
    out.coords.set(from.coords.subarray(i * r, (i + 1) * r), o * r);
  });
  return out;
}

/** A reservoir of no rows (with or without classifier decisions). */
export function emptyReservoir(withClassifier: boolean): Reservoir {
  return {
    keys: new Float64Array(0),
    classes: new Float64Array(0),
    ncc: new Float64Array(0),
    classifier: withClassifier ? new Float64Array(0) : null,
    coords: new Float64Array(0),
  };
}

/**
 * The reservoir of the union of two parts' rows: both sorted lists merged, each class cut to
 * its quota. Exact (rows are copied), associative and commutative.
 */
export function mergeReservoirs(
  a: Reservoir,
  b: Reservoir,
  quotas: ArrayLike<number>,
  r: number,
): Reservoir {
  const joined = (x: Float64Array, y: Float64Array) => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  if (!a.classifier !== !b.classifier) throw new Error('reservoirs with and without decisions');
  const both: Reservoir = {
    keys: joined(a.keys, b.keys),
    classes: joined(a.classes, b.classes),
    ncc: joined(a.ncc, b.ncc),
    classifier: a.classifier && joined(a.classifier, b.classifier!),
    coords: joined(a.coords, b.coords),
  };
  const na = a.keys.length;
  const order: number[] = [];
  const taken = new Float64Array(quotas.length);
  let i = 0;
  let j = 0;
  while (i < na || j < b.keys.length) {
    const fromA = j >= b.keys.length || (i < na && compare(both, i, both, na + j, r) <= 0);
    const at = fromA ? i++ : na + j++;
    const k = both.classes[at];
    if (taken[k] < quotas[k]) {
      taken[k]++;
      order.push(at);
    }
  }
  return take(both, order, r);
}

/** The cloud of a complete reservoir, in its (class, key) order. */
export function reservoirCloud(res: Reservoir, basis: Float64Array, r: number): SampleCloud {
  const cloud: SampleCloud = {
    classes: Array.from(res.classes),
    r,
    basis: Array.from(basis),
    coords: Array.from(res.coords),
    ncc: Array.from(res.ncc),
  };
  if (res.classifier) cloud.classifier = Array.from(res.classifier);
  return cloud;
}
