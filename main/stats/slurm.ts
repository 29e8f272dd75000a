/**
 * The Slurm runner: one job script per stage in the workdir (on storage the nodes share),
 * an `sbatch --array` per pass over the shards, single jobs for the merges, each stage
 * `--dependency=afterok` on the one before (`--kill-on-invalid-dep=yes`, so a failed task
 * cancels what waits for it). Waiting polls `squeue`; whether a task succeeded is whether its
 * output file is there (no accounting database needed). Options are Slurm's own, passed
 * through; `SLURM_CONF` and the rest of the Slurm environment reach sbatch/squeue unchanged.
 */
import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { NcLensError, badInput, cancelled } from '../../shared/errors.ts';
import type { Stage, StageName, Task } from './pipeline.ts';
import { cliCommand } from './pipeline.ts';
import type { Runner, Submitted } from './runner.ts';

const run = promisify(execFile);

export interface SlurmOptions {
  partition?: string;
  account?: string;
  time?: string;
  mem?: string;
  cpusPerTask?: number;
  gres?: string;
  /** Anything else for sbatch, as given (split on spaces). */
  extra: string[];
}

/** The sbatch options the user gave, as `--name=value` arguments. */
export function sbatchOptions(o: SlurmOptions): string[] {
  const out: string[] = [];
  if (o.partition) out.push(`--partition=${o.partition}`);
  if (o.account) out.push(`--account=${o.account}`);
  if (o.time) out.push(`--time=${o.time}`);
  if (o.mem) out.push(`--mem=${o.mem}`);
  if (o.cpusPerTask) out.push(`--cpus-per-task=${o.cpusPerTask}`);
  if (o.gres) out.push(`--gres=${o.gres}`);
  return [...out, ...o.extra];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Pass stages run as arrays (one task per shard); merges as single jobs. */
export function arrayed(stage: StageName): boolean {
  return stage === 'pass1' || stage === 'pass2';
}

async function slurmCommand(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { env: process.env, maxBuffer: 1 << 24 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw badInput(undefined, `Slurm's ${cmd} on PATH (--on slurm)`, 'none');
    }
    const why = (err.stderr ?? err.message).trim().split('\n').at(-1) ?? '';
    throw new NcLensError('internal', `${cmd} failed: ${why}`);
  }
}

export class SlurmRunner implements Runner {
  readonly name = 'slurm';
  constructor(
    private readonly workdir: string,
    private readonly options: SlurmOptions,
    private readonly signal?: AbortSignal,
  ) {}

  logOf(stage: StageName, task: Task): string {
    const name = arrayed(stage) ? `${stage}-${task.id}.log` : `${stage}.log`;
    return path.join(this.workdir, 'logs', name);
  }

  /** The job script of a stage: every task of it, chosen by SLURM_ARRAY_TASK_ID. */
  async script(stage: Stage): Promise<string> {
    const cli = cliCommand().map(quote).join(' ');
    const lines = [
      '#!/bin/bash',
      `# nc-lens analyze --on slurm: stage ${stage.name} (${stage.tasks.length} task(s))`,
      ...sbatchOptions(this.options).map((o) => `#SBATCH ${o}`),
      'set -euo pipefail',
      `cd ${quote(process.cwd())}`,
      'case "${SLURM_ARRAY_TASK_ID:-0}" in',
    ];
    for (const t of stage.tasks) {
      const cmds = t.commands.map((args) => `${cli} ${args.map(quote).join(' ')}`);
      lines.push(`  ${t.id})`, ...cmds.map((c) => `    ${c}`), '    ;;');
    }
    lines.push('  *) echo "no task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;', 'esac', '');
    const file = path.join(this.workdir, `${stage.name}.sh`);
    await writeFile(file, lines.join('\n'));
    await chmod(file, 0o755);
    return file;
  }

  async submit(stage: Stage, tasks: Task[], after: Submitted | null): Promise<Submitted> {
    const script = await this.script(stage);
    const logs = path.join(this.workdir, 'logs');
    const args = ['--parsable', `--job-name=nclens-${stage.name}`];
    if (arrayed(stage.name)) {
      args.push(`--array=${tasks.map((t) => t.id).join(',')}`);
      args.push(`--output=${path.join(logs, `${stage.name}-%a.log`)}`);
    } else {
      args.push(`--output=${path.join(logs, `${stage.name}.log`)}`);
    }
    if (after) args.push(`--dependency=afterok:${after.id}`, '--kill-on-invalid-dep=yes');
    args.push(...sbatchOptions(this.options), script);
    const out = await slurmCommand('sbatch', args);
    const id = out.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new NcLensError('internal', `sbatch printed '${out.trim()}'`);
    return { stage: stage.name, tasks: tasks.map((t) => t.id), id };
  }

  /** The submitted jobs still in the queue: job id → state. */
  async queued(handles: Submitted[]): Promise<Map<string, string>> {
    const ids = handles.map((h) => h.id);
    const states = new Map<string, string>();
    if (!ids.length) return states;
    let out: string;
    try {
      out = await slurmCommand('squeue', ['-h', '-o', '%F %T', '-j', ids.join(',')]);
    } catch (e) {
      // every job has left slurmctld's memory
      if (/Invalid job id/i.test((e as Error).message)) return states;
      throw e;
    }
    for (const line of out.trim().split('\n')) {
      const [id, state] = line.trim().split(/\s+/);
      if (id) states.set(id, state);
    }
    return states;
  }

  async wait(handles: Submitted[]): Promise<void> {
    for (;;) {
      if (this.signal?.aborted) throw cancelled();
      const q = await this.queued(handles);
      if (!q.size) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
