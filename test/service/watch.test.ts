/**
 * Run folders followed live by the service (main/service/live.ts, watch.ts) and the results
 * cache (main/cache/results.ts): dumps become points as they land, whole files only; a
 * training log marks the terminal phase; reopening a folder computes nothing and gives the
 * same numbers; `nc-lens analyze RUN_DIR` plans the folder as the app does.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionState } from '../../shared/api.ts';
import type { SeriesResult } from '../../shared/schema.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { writeNpz } from '../../main/io/write-npz.ts';
import { uniform } from '../e2e/synthetic.ts';
import { runCli } from '../cli.ts';

const root = mkdtempSync(path.join(tmpdir(), 'nc-lens-watch-'));
const cacheDir = path.join(root, 'cache');
const source = path.join(root, 'dumps');
const previousCache = process.env.NC_LENS_CACHE_DIR;

/** Five epoch dumps whose class means grow apart (collapse), with a classifier. */
async function writeDumps(dir: string, count: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = [];
  const n = 240;
  const d = 8;
  const c = 4;
  for (let e = 1; e <= count; e++) {
    const r = uniform(e * 7);
    const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const means = Array.from({ length: c }, () => Array.from({ length: d }, normal));
    const f = new Float32Array(n * d);
    const y = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = BigInt(i % c);
      for (let t = 0; t < d; t++) f[i * d + t] = means[i % c][t] * e + normal();
    }
    const w = Float32Array.from({ length: c * d }, normal);
    const file = path.join(dir, `epoch_${String(e).padStart(4, '0')}.npz`);
    await writeNpz(file, {
      features: { data: f, shape: [n, d] },
      labels: { data: y, shape: [n] },
      weight: { data: w, shape: [c, d] },
    });
    files.push(file);
  }
  return files;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const points = (s: SessionState) =>
  (s.result as SeriesResult | null)?.points?.length ?? (s.result ? 1 : 0);

let dumps: string[] = [];
beforeAll(async () => {
  process.env.NC_LENS_CACHE_DIR = cacheDir;
  dumps = await writeDumps(source, 5);
});
afterAll(() => {
  if (previousCache === undefined) delete process.env.NC_LENS_CACHE_DIR;
  else process.env.NC_LENS_CACHE_DIR = previousCache;
  rmSync(root, { recursive: true, force: true });
});

describe('a run folder followed live', () => {
  it('dumps become points as they land (renamed, copied, written slowly); the log marks the terminal phase', async () => {
    const run = path.join(root, 'run');
    mkdirSync(run);
    const service = new AnalysisService({ shell: 'browser' });
    try {
      const opened = await service.openFolder(run, { intervalMs: 40, settleMs: 300 });
      expect(opened.live).toMatchObject({ folder: run, waiting: [], analyzing: false });
      expect(opened.files).toEqual([]);
      const revisions: number[] = [opened.live!.revision];
      for (const [i, dump] of dumps.entries()) {
        const target = path.join(run, path.basename(dump));
        if (i === 2) {
          // Written slowly, in pieces with pauses shorter than the settle time: never taken half.
          const bytes = readFileSync(dump);
          const fd = openSync(target, 'w');
          for (let at = 0; at < bytes.length; at += 4096) {
            writeSync(fd, bytes.subarray(at, at + 4096));
            await new Promise((r) => setTimeout(r, 60));
            const s = await service.state();
            expect(s.files.map((f) => f.name)).not.toContain(path.basename(dump));
          }
          closeSync(fd);
        } else if (i === 1) {
          copyFileSync(dump, path.join(run, '.partial.tmp'));
          renameSync(path.join(run, '.partial.tmp'), target);
        } else copyFileSync(dump, target);
        const state = await until(`${i + 1} points`, async () => {
          const s = await service.state();
          return points(s) === i + 1 && !s.live!.analyzing ? s : undefined;
        });
        expect(state.files.map((f) => f.name)).toEqual(
          dumps.slice(0, i + 1).map((d) => path.basename(d)),
        );
        revisions.push((await service.info()).live!.revision);
      }
      // The revision the UI polls went up with every change.
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(revisions.length);
      const series = (await service.state()).result as SeriesResult;
      expect(series.kind).toBe('epochs');
      expect(series.points.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);

      writeFileSync(
        path.join(run, 'run.json'),
        JSON.stringify({
          model: 'MLP',
          epochs: [1, 2, 3, 4, 5].map((epoch) => ({
            epoch,
            train_acc: epoch >= 4 ? 1 : 0.5 + epoch / 10,
            train_loss: 1 / epoch,
          })),
        }),
      );
      const withLog = await until('the log', async () => {
        const s = await service.state();
        return s.live?.terminalEpoch !== undefined ? s : undefined;
      });
      expect(withLog.live!.terminalEpoch).toBe(4);
      expect(withLog.live!.log).toMatchObject({ file: 'run.json', model: 'MLP' });
      expect(withLog.files).toHaveLength(5);

      // A file that is not a dump at all waits, with its reason, and is not analysed.
      writeFileSync(path.join(run, 'broken.npz'), 'not a zip');
      const broken = await until('the broken file listed', async () => {
        const s = await service.state();
        return s.live!.waiting.length ? s : undefined;
      });
      expect(broken.live!.waiting[0].name).toBe('broken.npz');
      expect(broken.live!.waiting[0].reason).toMatch(/broken\.npz/);
      expect(points(broken)).toBe(5);
    } finally {
      await service.dispose();
    }
  }, 60_000);

  it('reopening the folder computes nothing: the cache gives the same numbers', async () => {
    const first = path.join(root, 'again');
    for (const d of dumps) {
      mkdirSync(first, { recursive: true });
      copyFileSync(d, path.join(first, path.basename(d)));
    }
    rmSync(cacheDir, { recursive: true, force: true });
    const results: SeriesResult[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const service = new AnalysisService({ shell: 'browser' });
      try {
        await service.openFolder(first);
        await service.liveSettled();
        results.push((await service.state()).result as SeriesResult);
      } finally {
        await service.dispose();
      }
      if (pass > 0) continue;
      // Marked, so the second opening shows whether its numbers came from the cache.
      const entries = readdirSync(cacheDir).filter((f) => f.endsWith('.json'));
      expect(entries).toHaveLength(5);
      for (const f of entries) {
        const m = JSON.parse(readFileSync(path.join(cacheDir, f), 'utf8'));
        m.warnings.push('from the cache');
        writeFileSync(path.join(cacheDir, f), JSON.stringify(m));
      }
    }
    const unmarked = results[1].points.map((p) => {
      expect(p.metrics.warnings.at(-1)).toBe('from the cache');
      return { ...p.metrics, warnings: p.metrics.warnings.slice(0, -1) };
    });
    expect(unmarked).toEqual(results[0].points.map((p) => p.metrics));

    // The CLI plans the folder as the app does, and reads the same cached points.
    const cli = await runCli(['analyze', first, '--json', '-'], undefined, {
      NC_LENS_CACHE_DIR: cacheDir,
    });
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as SeriesResult;
    expect(fromCli.points.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(fromCli.points.map((p) => p.metrics.nc1)).toEqual(
      results[0].points.map((p) => p.metrics.nc1),
    );
    // report RUN_DIR: the folder's training log marks the terminal phase in the PDF.
    writeFileSync(
      path.join(first, 'train_log.json'),
      JSON.stringify([1, 2, 3, 4, 5].map((epoch) => ({ epoch, train_acc: epoch >= 3 ? 1 : 0.9 }))),
    );
    const pdf = path.join(root, 'run.pdf');
    const report = await runCli(['report', first, '-o', pdf], undefined, {
      NC_LENS_CACHE_DIR: cacheDir,
    });
    expect(report.code, report.stderr).toBe(0);
    const text = execFileSync('pdftotext', [pdf, '-']).toString().replace(/\s+/g, ' ');
    expect(text).toMatch(/terminal phase of training, from epoch 3, .*\(from the training log\)/);
    const cleared = await runCli(['cache', 'clear'], undefined, { NC_LENS_CACHE_DIR: cacheDir });
    expect(cleared.stdout).toMatch(/^removed \d+ cached results \(.+\) from /);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 60_000);

  it('a folder that is not there, or holds no dumps, is one line', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    const r = await runCli(['analyze', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/empty: expected a run folder of dumps .*, found none$/);
    const service = new AnalysisService({ shell: 'browser' });
    await expect(service.openFolder(path.join(root, 'missing'))).rejects.toThrow(
      /missing: expected a run folder, found no such folder/,
    );
    await service.dispose();
  });
});
