/**
 * `nc-lens analyze --shards … --on local` and the stats commands from the command line
 * (#14): the same metrics as `analyze` of the whole file (1e-9), and a killed run resumed
 * without recomputing the parts it finished.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import { mismatches } from '../engine/direct.ts';
import type { SampleCloud } from '../../shared/schema.ts';
import { writeSharded, type Sharded } from './data.ts';

const BIN = fileURLToPath(new URL('../../bin/nc-lens.js', import.meta.url));
let dir: string;
let data: Sharded;
let whole: Record<string, unknown>;
/** analyze --samples of the whole file: its sample cloud. */
let wholeCloud: SampleCloud;
const classifier = () => [
  '--weight',
  `${data.classifier}:weight`,
  '--bias',
  `${data.classifier}:bias`,
];

/** The metrics of a result, without what differs by run (engine, inputs). */
function metricsOf(file: string): Record<string, unknown> {
  const { engine: _e, inputs: _i, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
  return rest;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nclens-local-'));
  data = await writeSharded(dir, { n: 900, d: 5, c: 6, shards: 4, seed: 5 });
  const out = path.join(dir, 'whole.json');
  const r = await runCli([
    'analyze',
    data.whole,
    ...classifier(),
    '--samples',
    '--json',
    out,
    '-q',
  ]);
  expect(r.stderr).toBe('');
  whole = metricsOf(out);
  const geometry = whole.geometry as { samples?: SampleCloud };
  wholeCloud = geometry.samples!;
  delete geometry.samples;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sharded analysis on this machine', () => {
  it('--shards GLOB --on local --jobs 2 equals analyze of the whole file', async () => {
    const out = path.join(dir, 'glob.json');
    const r = await runCli([
      'analyze',
      '--shards',
      path.join(dir, 'shards', '*.npz'),
      ...classifier(),
      '--on',
      'local',
      '--jobs',
      '2',
      '--json',
      out,
      '-q',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(mismatches(metricsOf(out), whole, 1e-9, 1e-12)).toEqual([]);
    const parts = readdirSync(`${out}.work/parts`);
    expect(parts.filter((p) => p.startsWith('pass1-'))).toHaveLength(4);
    expect(parts.filter((p) => p.startsWith('pass2-'))).toHaveLength(4);
    // shard groups: 3 + 1 shards in two tasks per pass, the same metrics
    const grouped = path.join(dir, 'grouped.json');
    const g = await runCli([
      'analyze',
      '--shards',
      path.join(dir, 'shards', '*.npz'),
      ...classifier(),
      '--shards-per-task',
      '3',
      '--samples',
      '--json',
      grouped,
      '-q',
    ]);
    expect(g.stderr).toBe('');
    const got = metricsOf(grouped);
    expect(mismatches(got, whole, 1e-9, 1e-12)).toEqual([]);
    // --samples: every row fits in the cloud's bound, so it is analyze --samples' cloud as a set
    const cloud = (got.geometry as { samples: SampleCloud }).samples;
    expect(cloud.classes).toHaveLength(data.n);
    expect(cloud.r).toBe(wholeCloud.r);
    expect(mismatches(cloud.basis, wholeCloud.basis, 1e-9, 1e-12)).toEqual([]);
    const tuples = (c: SampleCloud) =>
      c.classes
        .map((k, i) => [k, c.ncc![i], c.classifier![i], ...c.coords.slice(i * c.r, (i + 1) * c.r)])
        .sort((a, b) => {
          const t = a.findIndex((x, j) => x !== b[j]);
          return t < 0 ? 0 : a[t] - b[t];
        });
    expect(mismatches(tuples(cloud), tuples(wholeCloud), 1e-9, 1e-12)).toEqual([]);
    const groupedParts = readdirSync(`${grouped}.work/parts`);
    expect(groupedParts.filter((p) => p.startsWith('pass2-'))).toHaveLength(2);
  }, 120_000);

  it('stats pass1 / merge / stats pass2 / analyze --from-stats by hand, with --rows of one file', async () => {
    const p = (name: string) => path.join(dir, 'hand', name);
    mkdirSync(p(''), { recursive: true });
    const cut = [
      [0, 500],
      [500, 900],
    ];
    for (const [i, [a, b]] of cut.entries()) {
      const r = await runCli([
        'stats',
        'pass1',
        data.whole,
        '--rows',
        `${a}:${b}`,
        '-o',
        p(`p1-${i}.ncstats`),
      ]);
      expect(r.stderr).toBe('');
    }
    expect(
      (await runCli(['merge', p('p1-1.ncstats'), p('p1-0.ncstats'), '-o', p('m1.ncstats')])).code,
    ).toBe(0);
    for (const [i, [a, b]] of cut.entries()) {
      const r = await runCli([
        'stats',
        'pass2',
        data.whole,
        '--rows',
        `${a}:${b}`,
        '--means',
        p('m1.ncstats'),
        ...classifier(),
        '-o',
        p(`p2-${i}.ncstats`),
      ]);
      expect(r.stderr).toBe('');
    }
    expect(
      (await runCli(['merge', p('p2-0.ncstats'), p('p2-1.ncstats'), '-o', p('m2.ncstats')])).code,
    ).toBe(0);
    const r = await runCli(['analyze', '--from-stats', p('m2.ncstats'), '--json', '-']);
    expect(r.code).toBe(0);
    const { engine: _e, inputs: _i, ...got } = JSON.parse(r.stdout);
    expect(mismatches(got, whole, 1e-9, 1e-12)).toEqual([]);
    // a class-names file beside them, as a plain analyze takes one (5 names for 6 classes)
    writeFileSync(p('classes.txt'), 'cat\ndog\nemu\nfox\ngnu\n');
    const named = await runCli([
      'analyze',
      '--from-stats',
      p('m2.ncstats'),
      p('classes.txt'),
      '--json',
      '-',
    ]);
    expect(named.code).toBe(0);
    const withNames = JSON.parse(named.stdout);
    expect(withNames.class_names).toEqual(['cat', 'dog', 'emu', 'fox', 'gnu']);
    expect(withNames.warnings).toEqual([
      'class names: 5 given, 1 of the 6 labels have none (shown as their label)',
    ]);
    // parts that overlap are refused in one line naming the file
    const bad = await runCli(['merge', p('p1-0.ncstats'), p('p1-0.ncstats'), '-o', p('x.ncstats')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/p1-0\.ncstats: expected statistics of rows no other part covers/);
    const none = await runCli([
      'analyze',
      '--shards',
      path.join(dir, 'nothing', '*.npz'),
      '--json',
      '-',
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('a killed run resumes: finished parts are reused, untouched, and the result is the same', async () => {
    const out = path.join(dir, 'killed.json');
    const list = path.join(dir, 'shards.txt');
    writeFileSync(list, data.shards.map((s) => path.relative(dir, s)).join('\n') + '\n');
    const args = [
      'analyze',
      '--shards',
      list,
      ...classifier(),
      '--jobs',
      '1',
      '--shards-per-task',
      '1',
      '--json',
      out,
      '-q',
    ];
    const parts = `${out}.work/parts`;
    // the whole process group (the run and its worker) is killed once a first part exists
    const child = spawn(process.execPath, [BIN, ...args], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, NC_LENS_FROM_SOURCE: '1' },
    });
    const exited = new Promise((r) => child.on('exit', r));
    const finished = () =>
      existsSync(parts) ? readdirSync(parts).filter((f) => f.endsWith('.ncstats')) : [];
    while (finished().length < 1) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const kept = finished();
    expect(kept.length).toBeLessThan(4);
    const times = new Map(kept.map((f) => [f, statSync(path.join(parts, f)).mtimeMs]));
    const r = await runCli(args.filter((a) => a !== '-q'));
    expect(r.code).toBe(0);
    const reused = kept.filter((f) => f.startsWith('pass1-')).length;
    expect(r.stderr).toContain(`pass1: ${4 - reused} task(s) to run, ${reused} reused`);
    for (const [f, t] of times) expect(statSync(path.join(parts, f)).mtimeMs).toBe(t);
    expect(mismatches(metricsOf(out), whole, 1e-9, 1e-12)).toEqual([]);
    // once more: nothing left to run
    const again = await runCli(args.filter((a) => a !== '-q'));
    expect(again.stderr).toContain('pass1: done, 4 reused');
    expect(again.stderr).toContain('merge: done, 1 reused');
  }, 120_000);
});
