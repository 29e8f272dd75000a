/**
 * `nc-lens analyze --shards … --on slurm` on a real one-node Slurm (#14): the test starts
 * munged, slurmctld and slurmd with scripts/slurm-local.sh (state and spool in a temp
 * folder), runs sharded fixtures through sbatch job arrays, compares with single-process
 * analyze (1e-9), and stops the daemons by their pid files. A failing array task is reported
 * by task id and log; the rerun (detached, collected by `nc-lens status`) resubmits only it.
 * The shards carry a test split, so `test` and `geometry.test` are compared too.
 * Skipped, saying why, only where Slurm or munge are not installed (or not root).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../../main/io/write-npz.ts';
import { runCli } from '../cli.ts';
import { mismatches } from '../engine/direct.ts';
import { writeSharded, type Sharded } from './data.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/slurm-local.sh', import.meta.url));
const DIRS = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
const onPath = (bin: string) => DIRS.some((d) => d && existsSync(path.join(d, bin)));
const missing = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue'].filter(
  (b) => !onPath(b),
);
const skip = missing.length
  ? `Slurm or munge not installed (${missing.join(', ')} missing; apt-get install slurm-wlm munge)`
  : process.getuid?.() !== 0
    ? 'starting slurmd and munged needs root'
    : '';
if (skip) console.warn(`test/stats/slurm.test.ts skipped: ${skip}`);

let dir: string;
let cluster: string;
let data: Sharded;
let whole: Record<string, unknown>;
const env: NodeJS.ProcessEnv = {};
const classifier = () => [
  '--weight',
  `${data.classifier}:weight`,
  '--bias',
  `${data.classifier}:bias`,
];
const metricsOf = (file: string) => {
  const { engine: _e, inputs: _i, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
  return rest as Record<string, unknown>;
};

describe.skipIf(skip)('sharded analysis on a one-node Slurm', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nclens-slurm-'));
    cluster = path.join(dir, 'cluster');
    const printed = execFileSync('bash', [SCRIPT, 'start', cluster], { encoding: 'utf8' });
    env.SLURM_CONF = /SLURM_CONF=(\S+)/.exec(printed)![1];
    // with a small test split (a block in each shard): test and geometry.test through Slurm too
    data = await writeSharded(path.join(dir, 'data'), {
      n: 800,
      d: 5,
      c: 6,
      shards: 4,
      seed: 9,
      test: 80,
    });
    const out = path.join(dir, 'whole.json');
    const r = await runCli(['analyze', data.whole, ...classifier(), '--json', out, '-q']);
    expect(r.stderr).toBe('');
    whole = metricsOf(out);
    expect(whole.test).toBeDefined();
  }, 120_000);

  afterAll(() => {
    if (cluster) execFileSync('bash', [SCRIPT, 'stop', cluster]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--on slurm: job arrays with the sbatch options given; equals analyze of the whole file', async () => {
    const out = path.join(dir, 'slurm.json');
    const r = await runCli(
      [
        'analyze',
        '--shards',
        path.join(data.dir, 'shards', '*.npz'),
        ...classifier(),
        '--on',
        'slurm',
        '--time',
        '10',
        '--mem',
        '500M',
        '--sbatch-arg=--comment=nc-lens-test',
        '--json',
        out,
      ],
      undefined,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/submitted pass1 \d+, plan \d+, pass2 \d+, merge \d+/);
    expect(mismatches(metricsOf(out), whole, 1e-9, 1e-12)).toEqual([]);
    const script = readFileSync(`${out}.work/pass1.sh`, 'utf8');
    expect(script).toContain('#SBATCH --time=10');
    expect(script).toContain('#SBATCH --mem=500M');
    expect(script).toContain('#SBATCH --comment=nc-lens-test');
    for (let i = 0; i < 4; i++) expect(existsSync(`${out}.work/logs/pass1-${i}.log`)).toBe(true);
  }, 180_000);

  it('a failed array task is named with its log; the rerun resubmits only it (--detach, status)', async () => {
    const bad = path.join(dir, 'bad-2.npz');
    const [a, b] = data.ranges[2];
    const features = data.features.slice(a * data.d, b * data.d);
    features[7] = Number.NaN;
    await writeNpz(bad, {
      features: { data: features, shape: [b - a, data.d] },
      labels: { data: BigInt64Array.from(data.labels.subarray(a, b), BigInt), shape: [b - a] },
    });
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, [data.shards[0], data.shards[1], bad, data.shards[3]].join('\n') + '\n');
    const out = path.join(dir, 'rerun.json');
    const args = ['analyze', '--shards', list, ...classifier(), '--on', 'slurm', '--json', out];
    const failed = await runCli(args, undefined, env);
    expect(failed.code).toBe(1);
    const m = /pass1 task 2 \(.*bad-2\.npz\) failed: .*expected finite features.*; log (\S+)/.exec(
      failed.stderr,
    );
    expect(m, failed.stderr).not.toBeNull();
    expect(readFileSync(m![1], 'utf8')).toMatch(/bad-2\.npz/);
    // repaired in place: only its pass-1 task runs again
    copyFileSync(data.shards[2], bad);
    const detached = await runCli([...args, '--detach'], undefined, env);
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.stderr).toContain('pass1: 1 task(s) submitted, 3 reused');
    expect(detached.stderr).toContain(`detached: nc-lens status ${out}.work`);
    let status = '';
    for (let i = 0; i < 240 && !status.startsWith('done'); i++) {
      const s = await runCli(['status', `${out}.work`], undefined, env);
      expect(s.code, s.stderr).toBe(0);
      status = s.stdout;
      if (!status.startsWith('done')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toContain(`wrote ${out}`);
    expect(mismatches(metricsOf(out), whole, 1e-9, 1e-12)).toEqual([]);
  }, 240_000);
});
