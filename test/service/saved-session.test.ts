/**
 * Saved sessions (issue 16): every run's files by path with size and SHA-256, roles, centring,
 * run names and the renderer's view, in a small JSON file in the sessions folder; reopened,
 * the same files, roles, runs and numbers (the fixture references); a file that changed since
 * or is gone is flagged and left out, never silently reused.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { MNIST } from '../fixtures.ts';
import { rejection } from './rejection.ts';

const dir = mkdtempSync(join(tmpdir(), 'nc-sessions-'));
const reference = (e: string) =>
  JSON.parse(
    readFileSync(`${MNIST}/reference/mnist_small_epoch${e}.json`, 'utf8'),
  ) as MetricsResult;

/** Copies of the fixture dumps (so a test can change one). */
function copies(sub: string, epochs: string[]): string[] {
  return epochs.map((e) => {
    const to = join(dir, `${sub}_epoch${e}.npz`);
    copyFileSync(`${MNIST}/mnist_small_epoch${e}.npz`, to);
    return to;
  });
}

beforeAll(() => {
  process.env.NC_LENS_SESSIONS_DIR = join(dir, 'sessions');
});
afterAll(() => {
  delete process.env.NC_LENS_SESSIONS_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('saved sessions', () => {
  it('saves files by path, size and digest, and reopens the same session', async () => {
    const long = copies('long', ['001', '005', '020', '080']);
    const short = copies('short', ['001', '005']);
    const s = new AnalysisService({ shell: 'browser' });
    await s.open(long.map((path) => ({ path })));
    // A role the user changed: the bias left out.
    const bias = (await s.state()).files[0].arrays.find((a) => a.name === 'bias')!;
    await s.setRole(bias.id, 'ignore');
    await s.analyze();
    await s.addRun(short.map((path) => ({ path })));
    await s.renameRun('main', 'long run');
    await s.renameRun('r2', 'short run');
    const ui = {
      point: 2,
      epoch: 20,
      camera: { position: [1, 2, 3], target: [0, 0, 0], up: [0, 1, 0] },
    };
    const saved = await s.saveSession(ui);
    await s.dispose();

    const doc = JSON.parse(saved.json);
    expect(doc.schema).toBe('nc-lens/session@1');
    expect(doc.runs.map((r: { name: string }) => r.name)).toEqual(['long run', 'short run']);
    const first = doc.runs[0].files[0];
    expect(first.path).toBe(long[0]);
    expect(first.bytes).toBe(readFileSync(long[0]).length);
    expect(first.sha256).toBe(createHash('sha256').update(readFileSync(long[0])).digest('hex'));
    expect(first.roles.bias).toBe('ignore');
    expect(saved.json.length).toBeLessThan(8000);

    const t = new AnalysisService({ shell: 'browser' });
    const recent = await t.recentSessions();
    expect(recent[0]).toMatchObject({ id: saved.id, runs: ['long run', 'short run'], files: 6 });
    const opened = await t.openSession({ recent: saved.id });
    expect(opened.problems).toEqual([]);
    expect(opened.ui).toEqual(ui);
    expect(opened.runs.map((r) => r.name)).toEqual(['long run', 'short run']);
    expect(opened.state.files.map((f) => f.name)).toEqual(long.map((p) => p.split('/').pop()));
    const roles = opened.state.files[0].arrays.find((a) => a.name === 'bias')!.role;
    expect(roles).toBe('ignore');
    const series = opened.state.result as SeriesResult;
    expect(series.points.map((p) => p.epoch)).toEqual([1, 5, 20, 80]);
    const nc1 = series.points[3].metrics.nc1!;
    expect(Math.abs(nc1 - reference('080').nc1!)).toBeLessThanOrEqual(1e-9);
    // The primary run's result is the state's, not sent twice.
    expect(opened.runs[0].result).toBeNull();
    const other = opened.runs[1].result as SeriesResult;
    expect(Math.abs(other.points[1].metrics.nc1! - reference('005').nc1!)).toBeLessThanOrEqual(
      1e-9,
    );
    await t.dispose();
  });

  it('flags a file that changed since and one that is gone, and leaves them out', async () => {
    const files = copies('flag', ['001', '005', '020']);
    const s = new AnalysisService({ shell: 'browser' });
    await s.open(files.map((path) => ({ path })));
    await s.analyze();
    const saved = await s.saveSession({ point: -1 });
    await s.dispose();

    // The same size, other bytes: only the digest tells.
    const bytes = readFileSync(files[1]);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(files[1], bytes);
    rmSync(files[2]);
    const t = new AnalysisService({ shell: 'browser' });
    const opened = await t.openSession({ recent: saved.id });
    expect(opened.problems).toHaveLength(2);
    expect(opened.problems[0]).toMatch(
      /flag_epoch005\.npz: changed since the session was saved \(its SHA-256 differs\)/,
    );
    expect(opened.problems[1]).toMatch(/flag_epoch020\.npz: missing/);
    expect(opened.state.files.map((f) => f.name)).toEqual(['flag_epoch001.npz']);
    // A size change says so.
    appendFileSync(files[0], Buffer.from([0]));
    const again = await rejection(t.openSession({ recent: saved.id }));
    expect(again.message).toMatch(
      /flag_epoch001\.npz: changed since the session was saved \(\d+ bytes then, \d+ now\)/,
    );
    await t.dispose();
  });

  it('a file that is not a session: one line naming it', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema": "something else"}');
    const s = new AnalysisService({ shell: 'electron' });
    const e = await rejection(s.openSession({ path: bad }));
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).toContain('bad.json');
    expect(e.message).toContain('nc-lens/session@1');
    const r = await rejection(s.openSession({ recent: '../../etc/passwd' }));
    expect(r.message).toContain('a recent session id');
    await s.dispose();
  });
});
