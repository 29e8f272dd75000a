/**
 * `nc-lens analyze --shards 'feats/*.npz' --on local|slurm` and `--from-stats merged.ncstats`:
 * the analysis of a sharded dataset as statistics files (main/stats), on worker processes or
 * Slurm jobs; `nc-lens status DIR` collects a detached Slurm run. The result is the same
 * `nc-lens/metrics@1` a plain `analyze` of all the rows gives.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import type { Pipeline } from '../stats/pipeline.ts';
import type { Failure, Runner, Submitted } from '../stats/runner.ts';
import type { SlurmOptions } from '../stats/slurm.ts';
import { str, type AnalyzedInputs, type OptionTable, type OptionValues } from './inputs.ts';

export const SHARD_OPTIONS: OptionTable = {
  'from-stats': {
    type: 'string',
    arg: 'S',
    help: 'metrics of merged pass-2 statistics (nc-lens merge), no data read',
  },
  shards: {
    type: 'string',
    arg: 'GLOB|LIST',
    help: "row blocks of one dataset: 'dir/*.npz' or a text file listing them (one a line)",
  },
  rows: { type: 'string', arg: 'A:B', help: 'with --shards FILE: rows A to B of that one file' },
  on: { type: 'string', arg: 'ENGINE', help: 'with --shards: local (default) or slurm' },
  jobs: { type: 'string', arg: 'K', help: 'with --on local: worker processes (default: cores)' },
  'shards-per-task': {
    type: 'string',
    arg: 'N',
    help: 'shards per pass task (default: 1 on slurm; local: shards / (2 × jobs))',
  },
  workdir: {
    type: 'string',
    arg: 'DIR',
    help: 'parts, job scripts and logs (default: OUT.work beside --json OUT)',
  },
  detach: {
    type: 'boolean',
    help: 'with --on slurm: return after submitting (nc-lens status DIR)',
  },
  partition: { type: 'string', arg: 'P', help: 'sbatch --partition' },
  account: { type: 'string', arg: 'A', help: 'sbatch --account' },
  time: { type: 'string', arg: 'T', help: 'sbatch --time (per task)' },
  mem: { type: 'string', arg: 'M', help: 'sbatch --mem (per task)' },
  'cpus-per-task': { type: 'string', arg: 'N', help: 'sbatch --cpus-per-task (compute threads)' },
  gres: { type: 'string', arg: 'G', help: 'sbatch --gres' },
  'sbatch-arg': {
    type: 'string',
    arg: 'ARGS',
    help: "other sbatch options: --sbatch-arg='--qos=long --exclusive'",
  },
};

/** Whether the options ask for a sharded or from-statistics analysis. */
export function wantsStats(values: OptionValues): boolean {
  return values['from-stats'] !== undefined || values.shards !== undefined;
}

function positiveInt(values: OptionValues, key: string): number | undefined {
  const v = str(values, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 4096)) {
    throw badInput(undefined, `--${key} a whole number from 1`, `'${v}'`);
  }
  return n;
}

const SLURM_ONLY = [
  'detach',
  'partition',
  'account',
  'time',
  'mem',
  'cpus-per-task',
  'gres',
  'sbatch-arg',
];
const NOT_WITH_SHARDS = [
  'test-features',
  'test-labels',
  'test-logits',
  'model',
  'inputs',
  'test-inputs',
  'logits',
];

/** What a run records in its workdir, for `nc-lens status DIR`. */
interface RunRecord {
  runner: 'local' | 'slurm';
  pipeline: Pipeline;
  handles: Submitted[];
  /** Where the JSON result goes (absolute), or null. */
  json: string | null;
  slurm?: SlurmOptions;
  threads?: number;
  /** Class names given (a names file), for the result `status` writes. */
  names?: string[];
}

function slurmOptions(values: OptionValues): SlurmOptions {
  const extra = str(values, 'sbatch-arg');
  return {
    partition: str(values, 'partition'),
    account: str(values, 'account'),
    time: str(values, 'time'),
    mem: str(values, 'mem'),
    cpusPerTask: positiveInt(values, 'cpus-per-task'),
    gres: str(values, 'gres'),
    extra: extra ? extra.trim().split(/\s+/) : [],
  };
}

/** Metrics of merged statistics, with the shard files as the result's inputs. */
async function metricsOf(
  file: string,
  threads?: number,
  names?: string[],
): Promise<{ result: MetricsResult; files: string[] }> {
  const { readStats } = await import('../stats/format.ts');
  const { statsMetrics } = await import('../stats/compute.ts');
  const stats = await readStats(file);
  const result = await statsMetrics(stats, file, { threads });
  if (names) (await import('../plan/run.ts')).withNames(result, names);
  return { result, files: stats.header.shards.map((s) => s.file) };
}

/**
 * A class-names file among the positionals (classes.txt, names.json), as a plain `analyze`
 * takes one: a `.json`, or a `.txt` whose first entry is no file (a shard list's is).
 */
async function namesAmong(
  positionals: string[],
): Promise<{ names: string[] | undefined; rest: string[] }> {
  const { fileFormat } = await import('../io/index.ts');
  const { readNamesFile } = await import('../io/names.ts');
  let names: string[] | undefined;
  const rest: string[] = [];
  for (const p of positionals) {
    if (!names && existsSync(p) && (await fileFormat(p)) === 'names' && !isShardList(p)) {
      names = (await readNamesFile(p)).classNames;
    } else rest.push(p);
  }
  return { names, rest };
}

function isShardList(file: string): boolean {
  if (/\.json$/i.test(file)) return false;
  const first = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#'));
  const entry = first?.replace(/\s+\d+:\d*$/, '');
  return entry !== undefined && existsSync(path.resolve(path.dirname(file), entry));
}

/**
 * The analysis the options ask for, or null when a Slurm run was submitted with --detach.
 * `say` prints a progress line (stderr; nothing with -q).
 */
export async function analyzeStats(
  values: OptionValues,
  positionals: string[],
  opts: { signal?: AbortSignal; say(line: string): void; jsonOut?: string },
): Promise<AnalyzedInputs | null> {
  const fromStats = str(values, 'from-stats');
  const { names, rest } = await namesAmong(positionals);
  if (fromStats !== undefined) {
    if (values.shards !== undefined || rest.length) {
      throw badInput(fromStats, '--from-stats alone (the statistics hold the data)', 'shards too');
    }
    return metricsOf(fromStats, undefined, names);
  }
  for (const k of NOT_WITH_SHARDS) {
    if (values[k] !== undefined) {
      throw badInput(
        undefined,
        `--shards without --${k} (shards are one training split)`,
        `--${k}`,
      );
    }
  }
  const on = str(values, 'on') ?? 'local';
  if (on !== 'local' && on !== 'slurm') throw badInput(undefined, '--on local or slurm', `'${on}'`);
  if (on === 'local') {
    const given = SLURM_ONLY.find((k) => values[k] !== undefined);
    if (given) throw badInput(undefined, `--${given} with --on slurm`, '--on local');
  }
  if (on === 'slurm' && values.jobs !== undefined) {
    throw badInput(
      undefined,
      '--jobs with --on local (Slurm runs every array task it can)',
      '--on slurm',
    );
  }
  const started = performance.now();
  const { Digests, resolveShards } = await import('../stats/shards.ts');
  const { makePipeline } = await import('../stats/pipeline.ts');
  const { LocalRunner, runPipeline, failuresOf, failureError } = await import('../stats/runner.ts');
  const { SlurmRunner } = await import('../stats/slurm.ts');
  const shards = await resolveShards([str(values, 'shards')!, ...rest], str(values, 'rows'));
  const centering = str(values, 'centering') ?? 'class-means';
  if (centering !== 'class-means' && centering !== 'samples') {
    throw badInput(undefined, '--centering class-means or samples', `'${centering}'`);
  }
  const out = opts.jsonOut && opts.jsonOut !== '-' ? path.resolve(opts.jsonOut) : null;
  const workdir = path.resolve(
    str(values, 'workdir') ?? (out ? `${out}.work` : path.join(process.cwd(), 'nc-lens.work')),
  );
  await mkdir(workdir, { recursive: true });
  const digests = new Digests(path.join(workdir, 'digests.json'));
  const cores = os.availableParallelism();
  const jobs = positiveInt(values, 'jobs') ?? cores;
  const slurm = on === 'slurm' ? slurmOptions(values) : undefined;
  const threads =
    positiveInt(values, 'threads') ??
    (slurm ? (slurm.cpusPerTask ?? 1) : Math.max(1, Math.floor(cores / jobs)));
  const pipeline = await makePipeline(
    {
      shards,
      settings: {
        centering,
        features: str(values, 'features') ?? null,
        labels: str(values, 'labels') ?? null,
      },
      weight: str(values, 'weight'),
      bias: str(values, 'bias'),
      workdir,
      threads,
      shardsPerTask:
        positiveInt(values, 'shards-per-task') ??
        (slurm ? 1 : Math.ceil(shards.length / (2 * jobs))),
      samples: values.samples === true,
    },
    digests,
  );
  await digests.save();
  const runner = slurm
    ? new SlurmRunner(workdir, slurm, opts.signal)
    : new LocalRunner(workdir, jobs, opts.signal);
  const record: RunRecord = {
    runner: runner.name as 'local' | 'slurm',
    pipeline,
    handles: [],
    json: out,
    slurm,
    threads,
    names,
  };
  const { handles } = await runPipeline(pipeline, runner, {
    queueAll: on === 'slurm',
    onStage: (stage, missing) => {
      const reused = stage.tasks.length - missing;
      opts.say(
        `${stage.name}: ${missing ? `${missing} task(s) ${on === 'slurm' ? 'submitted' : 'to run'}` : 'done'}${reused ? `, ${reused} reused` : ''}`,
      );
    },
  });
  record.handles = handles;
  await writeFile(path.join(workdir, 'run.json'), JSON.stringify(record, null, 1));
  if (slurm) {
    if (handles.length) {
      opts.say(
        `submitted ${handles.map((h) => `${h.stage} ${h.id}`).join(', ')} (workdir ${workdir})`,
      );
    }
    if (values.detach) {
      opts.say(`detached: nc-lens status ${workdir}`);
      return null;
    }
    await runner.wait(handles);
    const failed = firstFailures(pipeline, runner, failuresOf);
    if (failed.length) throw failureError(failed);
  }
  const analyzed = await metricsOf(pipeline.final, undefined, names);
  analyzed.result.engine!.seconds = (performance.now() - started) / 1000;
  return analyzed;
}

/** The failed tasks of the first stage with missing outputs (later ones only waited for it). */
function firstFailures(
  pipeline: Pipeline,
  runner: Runner,
  failuresOf: typeof import('../stats/runner.ts').failuresOf,
): Failure[] {
  const stage = pipeline.stages.find((s) => s.tasks.some((t) => !existsSync(t.output)));
  return stage ? failuresOf(runner, stage, stage.tasks) : [];
}

/** `nc-lens status DIR`: where a run stands; when finished, its result (written to --json). */
export async function status(
  dir: string,
  jsonOverride?: string,
): Promise<{ done: boolean; lines: string[]; result?: MetricsResult; json: string | null }> {
  const file = path.join(dir, 'run.json');
  if (!existsSync(file))
    throw badInput(dir, 'a run folder (the --workdir of analyze --shards)', 'no run.json');
  const record = JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  const json = jsonOverride ?? record.json;
  const lines: string[] = [];
  const { failuresOf, failureError } = await import('../stats/runner.ts');
  const { SlurmRunner } = await import('../stats/slurm.ts');
  const { LocalRunner } = await import('../stats/runner.ts');
  const runner =
    record.runner === 'slurm'
      ? new SlurmRunner(dir, record.slurm ?? { extra: [] })
      : new LocalRunner(dir, 1);
  if (runner instanceof SlurmRunner) {
    const queued = await runner.queued(record.handles);
    if (queued.size) {
      for (const h of record.handles) {
        const state = queued.get(h.id);
        if (state) lines.push(`${h.stage}: job ${h.id} ${state.toLowerCase()}`);
      }
      return { done: false, lines, json };
    }
  }
  if (!existsSync(record.pipeline.final)) {
    const failed = firstFailures(record.pipeline, runner, failuresOf);
    if (failed.length) throw failureError(failed);
  }
  const { result } = await metricsOf(record.pipeline.final, record.threads, record.names);
  if (json) await writeFile(json, JSON.stringify(result, null, 2) + '\n');
  lines.push(`done: ${result.n} rows, ${result.c} classes${json ? `; wrote ${json}` : ''}`);
  return { done: true, lines, result, json };
}
