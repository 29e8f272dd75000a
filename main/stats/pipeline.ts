/**
 * A sharded analysis as stages of tasks, each task a few `nc-lens` commands writing one
 * statistics file (docs/cluster.md):
 *
 *   pass1    one task per shard group   stats pass1 SHARD... → pass1-KEY.ncstats
 *   plan     one task                   merge pass1 parts → means; stats plan → plan-KEY
 *   pass2    one task per shard group   stats pass2 SHARD... --plan → pass2-KEY.ncstats
 *   merge    one task                   merge pass2 parts and the plan → stats-KEY.ncstats
 *
 * Every file is named by a key derived from the content digests of what it depends on (the
 * shard bytes and rows, the settings, the classifier files, the keys before it), so a rerun
 * finds the files a killed run finished and runs only the missing tasks. A runner (local
 * processes, Slurm; runner.ts) carries the stages out.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StatsSettings } from './format.ts';
import { SCHEMA } from './format.ts';
import type { Digests, ShardSpec } from './shards.ts';

export interface Task {
  /** Index within its stage (the Slurm array task id). */
  id: number;
  /** nc-lens argument lists, run in order. */
  commands: string[][];
  /** The file the task's last command writes: the task is done when it exists. */
  output: string;
  /** What the task covers, for messages (a shard file). */
  label: string;
}

export type StageName = 'pass1' | 'plan' | 'pass2' | 'merge';

export interface Stage {
  name: StageName;
  tasks: Task[];
}

export interface Pipeline {
  workdir: string;
  stages: Stage[];
  /** The merged pass-2 statistics the last stage writes. */
  final: string;
  shards: ShardSpec[];
}

export interface PipelineInput {
  shards: ShardSpec[];
  settings: StatsSettings;
  weight?: string;
  bias?: string;
  workdir: string;
  /** Compute threads of each task. */
  threads?: number;
  /** Shards per pass task (default 1): fewer, longer tasks amortise process start-up. */
  shardsPerTask?: number;
  /** Also the sample cloud (geometry.samples): the plan asks pass 2 for a reservoir. */
  samples?: boolean;
}

function key(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** `file.npz:name` → file.npz when that file exists; a plain path or array name as given. */
function fileOf(value: string): string | undefined {
  if (existsSync(value)) return value;
  const m = /^(.+):([^:/\\]+)$/.exec(value);
  return m && existsSync(m[1]) ? m[1] : undefined;
}

function rowsArg(spec: ShardSpec): string[] {
  if (!spec.rows) return [];
  const [a, b] = spec.rows;
  return ['--rows', `${a}:${Number.isFinite(b) && b < Number.MAX_SAFE_INTEGER ? b : ''}`];
}

/** The stages of a sharded analysis, with content-derived file names. */
export async function makePipeline(input: PipelineInput, digests: Digests): Promise<Pipeline> {
  const { shards, settings, workdir } = input;
  await mkdir(path.join(workdir, 'parts'), { recursive: true });
  await mkdir(path.join(workdir, 'logs'), { recursive: true });
  const digestFile = path.join(workdir, 'digests.json');
  const common = [
    ...(settings.features ? ['--features', settings.features] : []),
    ...(settings.labels ? ['--labels', settings.labels] : []),
    ...(input.threads ? ['--threads', String(input.threads)] : []),
    '--digests',
    digestFile,
  ];
  const part = (name: string) => path.join(workdir, 'parts', name);
  const shardKeys: string[] = [];
  for (const spec of shards) {
    const id = await digests.of(spec.file);
    shardKeys.push(key(id.sha256, spec.rows ?? null));
  }
  // (the schema too: files of an older format are not reused)
  const setKey = key(SCHEMA, settings);
  // Shard groups: one pass task each; a group of several is named by a list file.
  const per = Math.max(1, input.shardsPerTask ?? 1);
  const groups: { specs: ShardSpec[]; key: string; args: string[]; label: string }[] = [];
  for (let g = 0; g * per < shards.length; g++) {
    const specs = shards.slice(g * per, (g + 1) * per);
    const gk = key(...shardKeys.slice(g * per, (g + 1) * per));
    let args: string[];
    if (specs.length === 1) {
      args = [path.resolve(specs[0].file), ...rowsArg(specs[0])];
    } else {
      const list = path.join(workdir, 'groups', `${gk}.txt`);
      await mkdir(path.dirname(list), { recursive: true });
      const lines = specs.map((sp) => {
        const r = rowsArg(sp);
        return `${path.resolve(sp.file)}${r.length ? ` ${r[1]}` : ''}`;
      });
      await writeFile(list, lines.join('\n') + '\n');
      args = [list];
    }
    const label =
      specs.length === 1 ? specs[0].file : `${specs[0].file} … (${specs.length} shards)`;
    groups.push({ specs, key: gk, args, label });
  }
  const pass1: Task[] = groups.map((g, i) => {
    const output = part(`pass1-${key(setKey, g.key)}.ncstats`);
    return {
      id: i,
      commands: [
        ['stats', 'pass1', ...g.args, '--centering', settings.centering, ...common, '-o', output],
      ],
      output,
      label: g.label,
    };
  });
  const classifierFiles = [input.weight, input.bias].map((v) => (v ? fileOf(v) : undefined));
  const classifierKey: unknown[] = [input.weight ?? null, input.bias ?? null];
  for (const f of classifierFiles) if (f) classifierKey.push((await digests.of(f)).sha256);
  const meansKey = key(setKey, ...shardKeys);
  const means = part(`means-${meansKey}.ncstats`);
  const planKey = key(meansKey, classifierKey, input.samples === true);
  const plan = part(`plan-${planKey}.ncstats`);
  const abs = (v: string | undefined) => {
    if (!v) return undefined;
    const f = fileOf(v);
    return f ? path.resolve(f) + v.slice(f.length) : v;
  };
  const planTask: Task = {
    id: 0,
    commands: [
      ['merge', ...pass1.map((t) => t.output), '-o', means],
      [
        'stats',
        'plan',
        path.resolve(shards[0].file),
        ...rowsArg(shards[0]),
        '--means',
        means,
        ...(input.weight ? ['--weight', abs(input.weight)!] : []),
        ...(input.bias ? ['--bias', abs(input.bias)!] : []),
        ...(input.samples ? ['--samples'] : []),
        ...common,
        '-o',
        plan,
      ],
    ],
    output: plan,
    label: 'means and plan',
  };
  const pass2: Task[] = groups.map((g, i) => {
    const output = part(`pass2-${key(planKey, g.key)}.ncstats`);
    return {
      id: i,
      commands: [['stats', 'pass2', ...g.args, '--plan', plan, ...common, '-o', output]],
      output,
      label: g.label,
    };
  });
  const final = part(`stats-${key(planKey, ...shardKeys)}.ncstats`);
  const mergeTask: Task = {
    id: 0,
    commands: [['merge', ...pass2.map((t) => t.output), plan, '-o', final]],
    output: final,
    label: 'merged statistics',
  };
  return {
    workdir,
    final,
    shards,
    stages: [
      { name: 'pass1', tasks: pass1 },
      { name: 'plan', tasks: [planTask] },
      { name: 'pass2', tasks: pass2 },
      { name: 'merge', tasks: [mergeTask] },
    ],
  };
}

/** The tasks of a stage whose output is not there yet. */
export function missingTasks(stage: Stage): Task[] {
  return stage.tasks.filter((t) => !existsSync(t.output));
}

/** How this process runs `nc-lens` (node and the CLI entry), for workers and job scripts. */
export function cliCommand(): string[] {
  return [process.execPath, ...process.execArgv, path.resolve(process.argv[1])];
}
