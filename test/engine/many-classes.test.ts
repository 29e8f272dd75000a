/**
 * Many classes: the engine (float32 features read from real .npy files, tiled pair
 * statistics, decisions over every class in one product) against a direct float64
 * computation written here with plain loops and none of the engine's shortcuts: D×D Σ_W and
 * Σ_B with Σ_B inverted by Gauss–Jordan (C − 1 > D, so Σ_B has full rank), NCC from every
 * distance ‖h − μ_j‖², classifier from every score w_j·h + b_j, each pair visited once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openDataset } from '../../main/io/index.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { mismatches, rng } from './direct.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nc-lens-many-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Data {
  n: number;
  d: number;
  c: number;
  /** float32-rounded features, as the file holds them. */
  h: Float64Array;
  y: Int32Array;
  w: Float64Array;
  b: Float64Array;
}

function generate(c: number, d: number, perClass: number, seed: number, noise = 1): Data {
  const g = rng(seed);
  const n = c * perClass;
  const mu = Float64Array.from({ length: c * d }, () => 2 * g.normal());
  const h = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Classes of unequal sizes: every class keeps at least 2 rows.
    const k = i < 2 * c ? i % c : Math.floor(g.uniform() * c);
    y[i] = k;
    for (let t = 0; t < d; t++) h[i * d + t] = Math.fround(mu[k * d + t] + noise * g.normal());
  }
  const w = Float64Array.from(mu, (x) => x + 0.5 * g.normal());
  const b = Float64Array.from({ length: c }, () => 0.1 * g.normal());
  return { n, d, c, h, y, w, b };
}

function write(name: string, data: Data): string[] {
  const files: [string, Uint8Array][] = [
    ['features', encodeNpy(Float32Array.from(data.h), [data.n, data.d])],
    [
      'labels',
      encodeNpy(
        BigInt64Array.from(data.y, (v) => BigInt(v)),
        [data.n],
      ),
    ],
    ['weight', encodeNpy(data.w, [data.c, data.d])],
    ['bias', encodeNpy(data.b, [data.c])],
  ];
  return files.map(([role, bytes]) => {
    const file = path.join(dir, `${name}_${role}.npy`);
    writeFileSync(file, bytes);
    return file;
  });
}

function inverse(m: Float64Array, n: number): Float64Array {
  const a = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * 2 * n + j] = m[i * n + j];
    a[i * 2 * n + n + i] = 1;
  }
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r * 2 * n + col]) > Math.abs(a[p * 2 * n + col])) p = r;
    for (let j = 0; j < 2 * n; j++) {
      const t = a[col * 2 * n + j];
      a[col * 2 * n + j] = a[p * 2 * n + j];
      a[p * 2 * n + j] = t;
    }
    const pv = a[col * 2 * n + col];
    for (let j = 0; j < 2 * n; j++) a[col * 2 * n + j] /= pv;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * 2 * n + col];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r * 2 * n + j] -= f * a[col * 2 * n + j];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = a[i * 2 * n + n + j];
  return out;
}

const dot = (a: Float64Array, ao: number, b: Float64Array, bo: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += a[ao + t] * b[bo + t];
  return s;
};

/** The ETF shape of the rows of v, from every pair (the Gram matrix visited twice). */
function shape(v: Float64Array, c: number, d: number) {
  const norms = Float64Array.from({ length: c }, (_, k) => Math.sqrt(dot(v, k * d, v, k * d, d)));
  const meanNorm = norms.reduce((a, x) => a + x, 0) / c;
  const equinorm = Math.sqrt(norms.reduce((a, x) => a + (x - meanNorm) ** 2, 0) / c) / meanNorm;
  let fro = 0;
  let cosSum = 0;
  let cosSq = 0;
  let absSum = 0;
  for (let k = 0; k < c; k++) {
    fro += norms[k] ** 4;
    for (let l = k + 1; l < c; l++) {
      const g = dot(v, k * d, v, l * d, d);
      fro += 2 * g * g;
      const cos = g / (norms[k] * norms[l]);
      cosSum += cos;
      cosSq += cos * cos;
      absSum += Math.abs(cos + 1 / (c - 1));
    }
  }
  fro = Math.sqrt(fro);
  const scale = 1 / Math.sqrt(c - 1);
  let e = 0;
  for (let k = 0; k < c; k++) {
    const diag = norms[k] ** 2 / fro - (1 - 1 / c) * scale;
    e += diag * diag;
    for (let l = k + 1; l < c; l++) {
      const off = dot(v, k * d, v, l * d, d) / fro + scale / c;
      e += 2 * off * off;
    }
  }
  const pairs = (c * (c - 1)) / 2;
  const cosMean = cosSum / pairs;
  return {
    equinorm,
    equiangular: Math.sqrt(cosSq / pairs - cosMean * cosMean),
    maxangle: absSum / pairs,
    etf_error: Math.sqrt(e),
    norms,
  };
}

function direct(data: Data) {
  const { n, d, c, h, y, w, b } = data;
  const counts = new Float64Array(c);
  const mu = new Float64Array(c * d);
  for (let i = 0; i < n; i++) {
    counts[y[i]]++;
    for (let t = 0; t < d; t++) mu[y[i] * d + t] += h[i * d + t];
  }
  for (let i = 0; i < c * d; i++) mu[i] /= counts[Math.floor(i / d)];
  const muG = new Float64Array(d);
  for (let i = 0; i < c * d; i++) muG[i % d] += mu[i] / c;
  const mt = mu.map((x, i) => x - muG[i % d]);
  const sw = new Float64Array(d * d);
  const sigma2 = new Float64Array(c);
  const r = new Float64Array(d);
  let nccRight = 0;
  let clsRight = 0;
  let mismatch = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) r[t] = h[i * d + t] - mu[y[i] * d + t];
    for (let a = 0; a < d; a++) for (let q = 0; q < d; q++) sw[a * d + q] += (r[a] * r[q]) / n;
    sigma2[y[i]] += dot(r, 0, r, 0, d) / counts[y[i]];
    let best = 0;
    let bestDist = Infinity;
    let top = 0;
    let topScore = -Infinity;
    for (let j = 0; j < c; j++) {
      let dist = 0;
      for (let t = 0; t < d; t++) {
        const x = h[i * d + t] - mu[j * d + t];
        dist += x * x;
      }
      if (dist < bestDist) {
        best = j;
        bestDist = dist;
      }
      const score = dot(w, j * d, h, i * d, d) + b[j];
      if (score > topScore) {
        top = j;
        topScore = score;
      }
    }
    if (best === y[i]) nccRight++;
    if (top === y[i]) clsRight++;
    if (top !== best) mismatch++;
  }
  const sb = new Float64Array(d * d);
  for (let k = 0; k < c; k++)
    for (let a = 0; a < d; a++)
      for (let q = 0; q < d; q++) sb[a * d + q] += (mt[k * d + a] * mt[k * d + q]) / c;
  const sbInv = inverse(sb, d);
  let tr = 0;
  for (let a = 0; a < d; a++) for (let q = 0; q < d; q++) tr += sw[a * d + q] * sbInv[q * d + a];
  const ms = shape(mt, c, d);
  const ws = shape(w, c, d);
  let cd = 0;
  // Shifted by the exact-ETF value: the variance without cancellation, and no array of pairs.
  const k0 = -0.5 * Math.log((2 * c) / (c - 1));
  let kSum = 0;
  let kSq = 0;
  for (let k = 0; k < c; k++) {
    for (let l = k + 1; l < c; l++) {
      let dist = 0;
      let ud = 0;
      for (let t = 0; t < d; t++) {
        const x = mu[k * d + t] - mu[l * d + t];
        const u = mt[k * d + t] / ms.norms[k] - mt[l * d + t] / ms.norms[l];
        dist += x * x;
        ud += u * u;
      }
      cd += (sigma2[k] + sigma2[l]) / (2 * dist);
      const kappa = -Math.log(Math.sqrt(ud)) - k0;
      kSum += kappa;
      kSq += kappa * kappa;
    }
  }
  const pairs = (c * (c - 1)) / 2;
  const kMean = k0 + kSum / pairs;
  const kVar = kSq / pairs - (kSum / pairs) ** 2;
  let traceW = 0;
  for (let k = 0; k < c; k++) traceW += (sigma2[k] * counts[k]) / n;
  let traceB = 0;
  for (let k = 0; k < c; k++) traceB += dot(mt, k * d, mt, k * d, d) / c;
  return {
    n,
    d,
    c,
    nc1: tr / c,
    nc1_quotient: traceW / traceB,
    cdnv: cd / pairs,
    nc2: {
      equinorm_means: ms.equinorm,
      equiangular_means: ms.equiangular,
      maxangle_means: ms.maxangle,
      etf_error_means: ms.etf_error,
      log_kernel_mean: kMean,
      log_kernel_var: kVar,
      equinorm_weights: ws.equinorm,
      equiangular_weights: ws.equiangular,
      maxangle_weights: ws.maxangle,
      etf_error_weights: ws.etf_error,
    },
    nc4: {
      ncc_mismatch: mismatch / n,
      classifier_accuracy: clsRight / n,
      ncc_accuracy: nccRight / n,
    },
    within_var: sigma2,
    mean_norm: ms.norms,
    centred: mt,
  };
}

async function engine(name: string, data: Data, geometry = false): Promise<MetricsResult> {
  const opened = await openDataset(write(name, data));
  try {
    return await analyzeDataset(opened.dataset, { geometry });
  } finally {
    await opened.close();
  }
}

function expectDirect(r: MetricsResult, expected: ReturnType<typeof direct>) {
  const { within_var, mean_norm, centred: _centred, ...headline } = expected;
  expect(mismatches(r, headline)).toEqual([]);
  expect(r.per_class).toHaveLength(expected.c);
  const perClass = r.per_class.map((row) => ({ w: row.within_var, m: row.mean_norm }));
  const want = Array.from(within_var, (w, k) => ({ w, m: mean_norm[k] }));
  expect(mismatches(perClass, want)).toEqual([]);
  // The decisions are not trivial: the NCC and the classifier err on some rows.
  expect(expected.nc4.ncc_accuracy).toBeLessThan(1);
  expect(expected.nc4.ncc_mismatch).toBeGreaterThan(0);
}

describe('many classes against a direct float64 computation', () => {
  it('C = 2 000, D = 64 (C − 1 > D: the scatter route), two tiles per side', async () => {
    const data = generate(2000, 64, 4, 11, 2.5);
    expectDirect(await engine('c2000', data), direct(data));
  }, 120_000);

  it('C = 10 000, D = 8: ten tiles per side, decisions over 10 000 classes', async () => {
    const data = generate(10_000, 8, 2, 12);
    expectDirect(await engine('c10000', data), direct(data));
  }, 240_000);

  it('C = 600: the heatmap gets a bounded block summary equal to direct block means', async () => {
    const data = generate(600, 16, 3, 13);
    const r = await engine('c600', data, true);
    const summary = r.geometry!.cosine_summary!;
    expect(summary.blocks).toBe(512);
    expect([...summary.order].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 600 }, (_, k) => k),
    );
    const { c, d } = data;
    const mt = direct(data).centred;
    const unit = (k: number) => {
      const row = mt.subarray(k * d, (k + 1) * d);
      const n = Math.hypot(...row);
      return Array.from(row, (x) => x / n);
    };
    const u = Array.from({ length: c }, (_, k) => unit(summary.order[k]));
    const want: number[] = [];
    for (let p = 0; p < summary.blocks; p++) {
      for (let q = 0; q < summary.blocks; q++) {
        let s = 0;
        let count = 0;
        for (let k = summary.starts[p]; k < summary.starts[p + 1]; k++)
          for (let l = summary.starts[q]; l < summary.starts[q + 1]; l++) {
            if (k === l) continue;
            s += u[k].reduce((a, x, t) => a + x * u[l][t], 0);
            count++;
          }
        want.push(count ? s / count : 1);
      }
    }
    expect(mismatches(summary.cos, want, 1e-9, 1e-12)).toEqual([]);
  });
});
