/**
 * Runners carry a pipeline's stages out (pipeline.ts). The interface is three calls:
 *
 *   submit(stage, tasks, after)  start these tasks of a stage once `after` has finished
 *   wait(handles)                until every submitted stage has finished (or failed)
 *   failures(stage, tasks)       the tasks that did not produce their output, with logs
 *
 * `local` runs K worker processes on this machine; `slurm` (slurm.ts) submits job arrays.
 * Another engine (Ray, Dask, Kubernetes Jobs) is another implementation of Runner.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NcLensError, cancelled } from '../../shared/errors.ts';
import type { Pipeline, Stage, StageName, Task } from './pipeline.ts';
import { cliCommand, missingTasks } from './pipeline.ts';

/** What `submit` returns: enough to wait for the stage and find its logs. */
export interface Submitted {
  stage: StageName;
  tasks: number[];
  /** Runner-specific id (a Slurm job id); empty for local runs. */
  id: string;
}

export interface Runner {
  readonly name: string;
  submit(stage: Stage, tasks: Task[], after: Submitted | null): Promise<Submitted>;
  wait(handles: Submitted[]): Promise<void>;
  /** Where a task's output (stdout and stderr) goes. */
  logOf(stage: StageName, task: Task): string;
}

export interface Failure {
  stage: StageName;
  task: number;
  label: string;
  log: string;
  /** The log's last non-empty line. */
  last: string;
}

function lastLine(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    return lines.at(-1)?.trim() ?? '';
  } catch {
    return 'no log';
  }
}

/** The tasks of `stage` among `tasks` whose output is missing after they ran. */
export function failuresOf(runner: Runner, stage: Stage, tasks: Task[]): Failure[] {
  return tasks
    .filter((t) => !existsSync(t.output))
    .map((t) => {
      const log = runner.logOf(stage.name, t);
      return { stage: stage.name, task: t.id, label: t.label, log, last: lastLine(log) };
    });
}

export function failureError(failures: Failure[]): NcLensError {
  const f = failures[0];
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
  return new NcLensError(
    'internal',
    `${f.stage} task ${f.task} (${f.label}) failed${more}: ${f.last}; log ${f.log}`,
  );
}

export interface RunReport {
  /** Tasks run and reused per stage. */
  ran: Record<StageName, number>;
  reused: Record<StageName, number>;
}

/**
 * Runs a pipeline stage after stage on `runner`, submitting only the missing tasks. With a
 * runner that queues (Slurm), every stage is submitted at once, each after the one before.
 */
export async function runPipeline(
  pipeline: Pipeline,
  runner: Runner,
  opts: { queueAll?: boolean; onStage?: (s: Stage, missing: number) => void } = {},
): Promise<{ report: RunReport; handles: Submitted[] }> {
  const ran = { pass1: 0, plan: 0, pass2: 0, merge: 0 };
  const reused = { pass1: 0, plan: 0, pass2: 0, merge: 0 };
  const handles: Submitted[] = [];
  let after: Submitted | null = null;
  for (const stage of pipeline.stages) {
    // Outputs are named by what they depend on: an existing one is the one this run would write.
    const missing = missingTasks(stage);
    opts.onStage?.(stage, missing.length);
    reused[stage.name] = stage.tasks.length - missing.length;
    ran[stage.name] = missing.length;
    if (!missing.length) continue;
    const handle = await runner.submit(stage, missing, after);
    handles.push(handle);
    after = handle;
    if (!opts.queueAll) {
      await runner.wait([handle]);
      const failed = failuresOf(runner, stage, missing);
      if (failed.length) throw failureError(failed);
    }
  }
  return { report: { ran, reused }, handles };
}

/** K worker processes on this machine, each running a task's commands in turn. */
export class LocalRunner implements Runner {
  readonly name = 'local';
  private running = new Map<string, Promise<void>>();
  private children = new Set<ReturnType<typeof spawn>>();
  constructor(
    private readonly workdir: string,
    private readonly jobs: number,
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', () => {
      for (const c of this.children) c.kill('SIGTERM');
    });
  }

  logOf(stage: StageName, task: Task): string {
    return path.join(this.workdir, 'logs', `${stage}-${task.id}.log`);
  }

  private runTask(stage: Stage, task: Task): Promise<void> {
    const [exe, ...pre] = cliCommand();
    const log = createWriteStream(this.logOf(stage.name, task));
    return (async () => {
      try {
        for (const args of task.commands) {
          if (this.signal?.aborted) throw cancelled();
          log.write(`$ nc-lens ${args.join(' ')}\n`);
          const code = await new Promise<number | null>((resolve, reject) => {
            const child = spawn(exe, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
            this.children.add(child);
            child.stdout.pipe(log, { end: false });
            child.stderr.pipe(log, { end: false });
            child.on('error', reject);
            child.on('close', (c) => {
              this.children.delete(child);
              resolve(c);
            });
          });
          if (code !== 0) {
            log.write(`exit ${code}\n`);
            return;
          }
        }
      } finally {
        await new Promise((r) => log.end(r));
      }
    })();
  }

  async submit(stage: Stage, tasks: Task[]): Promise<Submitted> {
    const queue = [...tasks];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) await this.runTask(stage, t);
    };
    const all = Promise.all(Array.from({ length: Math.min(this.jobs, tasks.length) }, worker));
    const id = `${stage.name}`;
    this.running.set(
      id,
      all.then(() => undefined),
    );
    return { stage: stage.name, tasks: tasks.map((t) => t.id), id };
  }

  async wait(handles: Submitted[]): Promise<void> {
    await Promise.all(handles.map((h) => this.running.get(h.id)));
    if (this.signal?.aborted) throw cancelled();
  }
}
