/**
 * `npm run bench -- live [--epochs 50] [--n 10000] [--dim 128] [--classes 10]`: a run folder of
 * one .npz per epoch (generated once under .bench/live-<shape>/), opened as the app opens it
 * (AnalysisService.openFolder, as `serve --watch` and Open folder do) with an empty results
 * cache, then reopened by a fresh service: the second opening reads every point from the cache
 * (main/cache/results.ts) and must take under a tenth of the first. `nc-lens analyze RUN_DIR`
 * is timed the same way. The cache lives in a temp folder, removed afterwards.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AnalysisService } from '../main/service/session.ts';
import { analyzePaths } from '../main/plan/run.ts';
import { writeNpz } from '../main/io/write-npz.ts';
import type { SeriesResult } from '../shared/schema.ts';
import { uniform } from '../test/e2e/synthetic.ts';
import { BENCH_DIR } from './lib/data.ts';

async function runFolder(epochs: number, n: number, d: number, c: number): Promise<string> {
  const dir = path.join(BENCH_DIR, `live-${epochs}x${n}x${d}x${c}`);
  if (existsSync(path.join(dir, 'complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  for (let e = 1; e <= epochs; e++) {
    const r = uniform(100 + e);
    const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const means = Array.from({ length: c }, () => Float64Array.from({ length: d }, normal));
    const features = new Float32Array(n * d);
    const labels = new BigInt64Array(n);
    const scale = Math.log2(1 + e);
    for (let i = 0; i < n; i++) {
      const k = i % c;
      labels[i] = BigInt(k);
      for (let t = 0; t < d; t++) features[i * d + t] = means[k][t] * scale + normal();
    }
    const weight = Float32Array.from({ length: c * d }, normal);
    await writeNpz(path.join(dir, `epoch_${String(e).padStart(4, '0')}.npz`), {
      features: { data: features, shape: [n, d] },
      labels: { data: labels, shape: [n] },
      weight: { data: weight, shape: [c, d] },
    });
  }
  mkdirSync(path.join(dir, 'complete.tmp'));
  renameSync(path.join(dir, 'complete.tmp'), path.join(dir, 'complete'));
  process.stdout.write(
    `generated ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return dir;
}

async function timed<T>(f: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { seconds: (performance.now() - t) / 1000, value };
}

async function openInService(dir: string): Promise<SeriesResult> {
  const service = new AnalysisService({ shell: 'browser' });
  try {
    await service.openFolder(dir);
    await service.liveSettled();
    return (await service.state()).result as SeriesResult;
  } finally {
    await service.dispose();
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      epochs: { type: 'string', default: '50' },
      n: { type: 'string', default: '10000' },
      dim: { type: 'string', default: '128' },
      classes: { type: 'string', default: '10' },
    },
  });
  const [epochs, n, d, c] = [values.epochs, values.n, values.dim, values.classes].map(Number);
  const dir = await runFolder(epochs, n, d, c);
  const cache = mkdtempSync(path.join(tmpdir(), 'nc-lens-bench-cache-'));
  const previous = process.env.NC_LENS_CACHE_DIR;
  process.env.NC_LENS_CACHE_DIR = cache;
  try {
    const first = await timed(() => openInService(dir));
    const second = await timed(() => openInService(dir));
    if (first.value.points.length !== epochs || second.value.points.length !== epochs)
      throw new Error(`expected ${epochs} points, got ${first.value.points.length}`);
    const same = first.value.points.every(
      (p, i) => p.metrics.nc1 === second.value.points[i].metrics.nc1,
    );
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache);
    const cliFirst = await timed(() => analyzePaths([dir]));
    const cliSecond = await timed(() => analyzePaths([dir]));
    const line = (what: string, a: number, b: number) =>
      `${what.padEnd(28)} first ${a.toFixed(2)} s, reopened ${b.toFixed(3)} s: ${(b / a).toFixed(3)} of the first (${(a / b).toFixed(0)}× faster)\n`;
    process.stdout.write(
      `run folder: ${epochs} epochs of ${n}×${d} float32, ${c} classes (${dir})\n` +
        line('app (openFolder)', first.seconds, second.seconds) +
        line('nc-lens analyze RUN_DIR', cliFirst.seconds, cliSecond.seconds) +
        `same numbers from the cache: ${same ? 'yes' : 'NO'}\n` +
        `goal: reopened < 0.1 of the first: ${second.seconds < 0.1 * first.seconds ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    if (previous === undefined) delete process.env.NC_LENS_CACHE_DIR;
    else process.env.NC_LENS_CACHE_DIR = previous;
    rmSync(cache, { recursive: true, force: true });
  }
}
