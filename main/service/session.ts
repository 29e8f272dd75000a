/**
 * The service behind both shells: the Node implementation of NcLensApi. It holds the open
 * files, each array's role, and the latest result; it builds datasets from the roles and hands
 * them to the engine. Shell-specific parts (how a FileRef becomes a path, which shell this is)
 * come in through `ServiceOptions`, so the same session runs in Electron's utility process and
 * in the browser shell's HTTP server.
 */
import { stat } from 'node:fs/promises';
import { basename, normalize } from 'node:path';
import type {
  AppInfo,
  ArrayEntry,
  CosineTile,
  ExportFormat,
  FileEntry,
  FileRef,
  NcLensApi,
  Role,
  RunEntry,
  SessionState,
  ExportView,
  OpenedSession,
  RecentSession,
  SessionDoc,
  SessionFile,
  SessionUi,
} from '../../shared/api.ts';
import { PRIMARY_RUN, ROLES } from '../../shared/api.ts';
import { NcLensError, badInput, cancelled } from '../../shared/errors.ts';
import type { AnalysisResult, Centering, MetricsResult, Progress } from '../../shared/schema.ts';
import type { ArraySource, Container } from '../io/types.ts';
import type { Plan } from '../plan/plan.ts';
import type { PlanSource } from '../plan/run.ts';
import { version } from '../version.ts';
import { demoFiles, demoInfo } from '../demo/index.ts';
import type { RunLogEntry } from '../../shared/charts/registry.ts';
import { exportBytes, exportComparison } from './export.ts';
import { uniqueRunName } from './runs.ts';
import {
  describeFile,
  fileProblem,
  readSession,
  recentPath,
  recentSessions,
  storeSession,
} from './sessions.ts';
import {
  guessModelRoles,
  modelEntry,
  modelProgress,
  modelSplits,
  openModel,
  pickedFeatures,
  runKey,
  runModel,
  type ModelRun,
  type OpenModel,
  type RoleArray,
} from './model.ts';
import { checkedFilePath, isFolderPath } from './paths.ts';
import { LiveFolder } from './live.ts';
import { DiskCache } from '../cache/results.ts';
import { cosineTile } from './tile.ts';

/** A file the user gave: where it is on disk and the name to show (uploads live in a temp dir). */
export interface ResolvedFile {
  path: string;
  name: string;
}

export interface ServiceOptions {
  shell: AppInfo['shell'];
  /** Browser shell: maps an upload id to the uploaded file. */
  resolveUpload?: (uploadId: string) => ResolvedFile;
}

interface OpenFile {
  entry: FileEntry;
  path: string;
  container: Container;
  roles: Map<ArraySource, Role>;
  /** Set for an ONNX model: the analysis then runs it on the arrays with role 'inputs'. */
  model?: OpenModel;
  /** Path + size + mtime (name + size for an upload): the same file is opened once. */
  identity: string;
  /** Why the file could not be opened: it stays listed, ignored with this reason. */
  problem?: string;
}

type Io = typeof import('../io/index.ts');
type Engine = typeof import('../engine/index.ts');
type Planner = typeof import('../plan/run.ts');

// The readers and the engine load on first use: `serve` prints its URL without waiting for
// onnxruntime, and the service module stays importable where they are still being built.
let ioModule: Promise<Io> | undefined;
let engineModule: Promise<Engine> | undefined;
const io = (): Promise<Io> => (ioModule ??= import('../io/index.ts'));
const engine = (): Promise<Engine> => (engineModule ??= import('../engine/index.ts'));
let planModule: Promise<Planner> | undefined;
const planner = (): Promise<Planner> => (planModule ??= import('../plan/run.ts'));

export class AnalysisService implements NcLensApi {
  private files: OpenFile[] = [];
  private result: AnalysisResult | null = null;
  private centering: Centering = 'class-means';
  private demo = false;
  /** The series point on screen (−1: the last): exports show it. */
  private point = -1;
  private nextFile = 1;
  private running: AbortController | null = null;
  /** The latest model run, kept while its model, inputs and features tensor stay the same. */
  private modelRun: ModelRun | null = null;
  /** The latest analysis, settled or not: files are closed only after it let go of them. */
  private work: Promise<unknown> = Promise.resolve();
  /** Runs opened beside this one to compare (addRun): each a session of its own. */
  private added: { id: string; name: string; service: AnalysisService }[] = [];
  /** The name the user gave this (the primary) run; null: one made from its files. */
  private primaryName: string | null = null;
  private nextRun = 2;
  /** How the charts on screen are drawn (setExportView): the exports draw them alike. */
  private exportView: ExportView = {};

  /** The run folder followed live (serve --watch, Open folder), if any. */
  private live: LiveFolder | null = null;
  private resultCache: DiskCache | undefined;

  constructor(private readonly options: ServiceOptions) {}

  async info(): Promise<AppInfo> {
    const { backend } = await (await engine()).backendInfo();
    const live = this.live ? { live: { revision: this.live.status().revision } } : {};
    return { version, backend, shell: this.options.shell, ...live };
  }

  async state(): Promise<SessionState> {
    // Entries are copied (they change with roles); a result is replaced, never changed.
    const fates = (await this.plan()).files;
    const files = this.files.map((f, i) => {
      const entry = structuredClone(f.entry);
      if (!fates[i].used) entry.ignored = fates[i].reason;
      return entry;
    });
    return {
      files,
      result: this.result,
      centering: this.centering,
      demo: this.demo,
      ...(this.live ? { live: this.live.status() } : {}),
    };
  }

  /**
   * Opens `refs` in place of what is open, or beside it with `add`. A file already open (same
   * path, size and modification time) is not opened again. When some files of a drop cannot be
   * opened they are listed, ignored with the reason; when none can, the first error is thrown
   * and the session stays as it was.
   */
  async open(refs: FileRef[], opts: { add?: boolean } = {}): Promise<SessionState> {
    // A folder is a run: its dumps, and those that land in it later (openFolder).
    const folder = refs.length === 1 && 'path' in refs[0] && isFolderPath(refs[0].path);
    if (folder) return this.openFolder((refs[0] as { path: string }).path);
    const add = opts.add === true && !this.demo;
    const files = await Promise.all(
      refs.map(async (r) => this.identified(this.resolve(r), 'uploadId' in r)),
    );
    const kept = add ? this.files.map((f) => f.identity) : [];
    const fresh = files.filter(
      (f, i) =>
        !kept.includes(f.identity) && files.findIndex((g) => g.identity === f.identity) === i,
    );
    const opened = await this.openAll(fresh, add ? this.files : []);
    if (!add) await this.closeFiles();
    this.files.push(...opened);
    this.demo = false;
    return this.state();
  }

  /**
   * Follows a run folder in place of what is open: its dumps now and each one that lands in it
   * later (whole: main/service/watch.ts), analysed as they come with the results cache, and its
   * training log (run.json). The analysis runs behind: `state().live` tells its progress.
   */
  async openFolder(dir: string, watch?: import('./watch.ts').WatchOptions): Promise<SessionState> {
    const { checkedFolder } = await import('./watch.ts');
    const folder = await checkedFolder(dir);
    await this.closeFiles();
    this.demo = false;
    const live: LiveFolder = new LiveFolder(
      folder,
      {
        addFiles: (paths) => this.addLiveFiles(paths),
        analyze: async () => {
          if (this.live !== live || this.files.length === 0) return;
          await this.analyze();
        },
      },
      watch,
    );
    this.live = live;
    await live.start();
    return this.state();
  }

  /** The live folder's analyses settled (tests, the CLI). */
  async liveSettled(): Promise<void> {
    await this.live?.settled();
  }

  /** Opens dumps of the live folder beside the open files; those that fail are not kept. */
  private async addLiveFiles(paths: string[]): Promise<{ path: string; reason: string }[]> {
    const known = new Set(this.files.map((f) => f.path));
    const files = await Promise.all(
      paths
        .filter((p) => !known.has(p))
        .map((path) => this.identified({ path, name: basename(path) })),
    );
    if (files.length === 0) return [];
    let opened: OpenFile[];
    try {
      opened = await this.openAll(files, this.files);
    } catch (e) {
      return files.map((f) => ({ path: f.path, reason: messageOf(e) }));
    }
    const failed = opened.filter((o) => o.problem);
    this.files.push(...opened.filter((o) => !o.problem));
    return failed.map((o) => ({ path: o.path, reason: o.problem! }));
  }

  /** Closes every file, and the runs added beside them. */
  async closeAll(): Promise<SessionState> {
    await this.closeRuns();
    await this.closeFiles();
    this.demo = false;
    return this.state();
  }

  /** Replaces the session with the demo's epoch bundles. */
  async openDemo(): Promise<SessionState> {
    const demo = demoFiles().map((path) => this.identified({ path, name: basename(path) }));
    const opened = await this.openAll(await Promise.all(demo), []);
    await this.closeFiles();
    this.files = opened;
    this.result = null;
    this.demo = true;
    return this.state();
  }

  async closeFile(fileId: string): Promise<SessionState> {
    const file = this.files.find((f) => f.entry.id === fileId);
    if (!file) throw badInput(undefined, 'an open file id', `'${fileId}'`);
    this.files = this.files.filter((f) => f !== file);
    this.running?.abort();
    await this.work;
    await this.dropModelRun();
    await file.container.close();
    if (this.files.length === 0) this.result = null;
    return this.state();
  }

  async setRole(arrayId: string, role: Role): Promise<SessionState> {
    if (!ROLES.includes(role))
      throw badInput(undefined, `a role (${ROLES.join(', ')})`, `'${role}'`);
    const model = this.files.find((f) => f.model && arrayId.startsWith(`${f.entry.id}:`));
    if (model) return this.pickFeatures(model, arrayId.slice(model.entry.id.length + 1), role);
    for (const f of this.files) {
      const entry = f.entry.arrays.find((a) => a.id === arrayId);
      if (!entry) continue;
      const source = f.container.arrays.find((a) => a.name === entry.name);
      if (source) f.roles.set(source, role);
      entry.role = role;
      return this.state();
    }
    throw badInput(undefined, 'an array id of an open file', `'${arrayId}'`);
  }

  async selectPoint(index: number): Promise<SessionState> {
    if (!Number.isInteger(index) || index < -1)
      throw badInput(undefined, 'a point index (an integer, −1 for the last)', `${index}`);
    this.point = index;
    return this.state();
  }

  async cosineTile(point: number, rows: number[], cols: number[]): Promise<CosineTile> {
    return cosineTile(this.result, point, rows, cols);
  }

  async setCentering(centering: Centering): Promise<SessionState> {
    if (centering !== 'class-means' && centering !== 'samples')
      throw badInput(undefined, "centering 'class-means' or 'samples'", `'${String(centering)}'`);
    this.centering = centering;
    return this.state();
  }

  /**
   * Analyses the files with their current roles. Several bundles that each hold features and
   * labels are an epoch series; one dataset with layer arrays is a layer series. A newer call
   * cancels an older one; a failure leaves the previous result in place.
   */
  async analyze(onProgress?: (p: Progress) => void): Promise<SessionState> {
    if (this.files.length === 0) throw badInput(undefined, 'at least one open file', 'none');
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    const opts = {
      centering: this.centering,
      signal: controller.signal,
      onProgress,
      samples: true,
    };
    try {
      const work = this.withDisplayNames(() => this.analysis(opts));
      this.work = work.catch(() => undefined);
      const result = await work;
      if (controller.signal.aborted) throw cancelled();
      this.result = result;
      return this.state();
    } catch (e) {
      throw controller.signal.aborted ? cancelled() : e;
    } finally {
      if (this.running === controller) this.running = null;
    }
  }

  async cancel(): Promise<void> {
    this.running?.abort();
  }

  /**
   * The runs as the API gives them: the primary run's result is the session state's
   * (`SessionState.result`), so it is not sent a second time (tens of MB at many classes).
   */
  async runs(): Promise<RunEntry[]> {
    return (await this.runEntries()).map((r) => (r.primary ? { ...r, result: null } : r));
  }

  /** Every run with its result, the primary one's included. */
  private async runEntries(): Promise<RunEntry[]> {
    const own = await this.state();
    const taken: string[] = [];
    const name = this.primaryName ?? uniqueRunName(own, this.demo, taken, 1);
    const out: RunEntry[] = [
      { id: PRIMARY_RUN, name, primary: true, files: own.files, result: own.result },
    ];
    for (const r of this.added) {
      const s = await r.service.state();
      out.push({ id: r.id, name: r.name, primary: false, files: s.files, result: s.result });
    }
    return out;
  }

  async addRun(refs: FileRef[], opts: { name?: string } = {}): Promise<RunEntry[]> {
    if (!Array.isArray(refs) || refs.length === 0)
      throw badInput(undefined, 'files for the run', 'none');
    const service = new AnalysisService(this.options);
    try {
      await service.open(refs);
      await service.setCentering(this.centering);
      await service.analyze();
    } catch (e) {
      await service.dispose();
      throw e;
    }
    const taken = (await this.runEntries()).map((r) => r.name);
    const state = await service.state();
    const name = opts.name?.trim() || uniqueRunName(state, false, taken, this.added.length + 2);
    this.added.push({ id: `r${this.nextRun++}`, name, service });
    return this.runs();
  }

  async saveSession(
    ui: SessionUi,
    opts: { title?: string } = {},
  ): Promise<{ id: string; json: string }> {
    const runs = await this.runs();
    const services = [this as AnalysisService, ...this.added.map((r) => r.service)];
    const files = await Promise.all(services.map((s) => s.sessionFiles()));
    const doc: SessionDoc = {
      schema: 'nc-lens/session@1',
      title: opts.title?.trim() || runs.map((r) => r.name).join(' vs '),
      saved: new Date().toISOString(),
      centering: this.centering,
      runs: runs.map((r, i) => ({ name: r.name, primary: r.primary, files: files[i] })),
      ui,
    };
    if (doc.runs.every((r) => r.files.length === 0))
      throw badInput(undefined, 'open files to save as a session', 'none');
    const path = await storeSession(doc);
    return { id: basename(path), json: JSON.stringify(doc, null, 2) + '\n' };
  }

  async recentSessions(): Promise<RecentSession[]> {
    return recentSessions();
  }

  /**
   * Reopens a saved session in place of what is open: each run's files (those still the same:
   * size and SHA-256; the others named in `problems` and left out), their roles, the centring,
   * the run names and the point on screen.
   */
  async openSession(ref: { recent: string } | FileRef): Promise<OpenedSession> {
    const file =
      'recent' in ref
        ? { path: recentPath(ref.recent), name: ref.recent }
        : this.resolve(ref as FileRef);
    const doc = await readSession(file.path).catch((e: unknown) => {
      throw renamedError(e, file, true);
    });
    const problems: string[] = [];
    const usable = async (files: SessionFile[]) => {
      const ok: SessionFile[] = [];
      for (const f of files) {
        const problem = await fileProblem(f);
        if (problem) problems.push(problem);
        else ok.push(f);
      }
      return ok;
    };
    const primary = doc.runs.find((r) => r.primary) ?? doc.runs[0];
    const primaryFiles = await usable(primary.files);
    if (primaryFiles.length === 0)
      throw badInput(file.name, 'a session whose files are still there', problems.join('; '));
    await this.closeAll();
    this.centering = doc.centering;
    await this.openSessionFiles(primaryFiles);
    this.primaryName = primary.name;
    try {
      await this.analyze();
    } catch (e) {
      problems.push(messageOf(e));
    }
    for (const r of doc.runs) {
      if (r === primary) continue;
      const files = await usable(r.files);
      if (files.length === 0) continue;
      const service = new AnalysisService(this.options);
      try {
        await service.openSessionFiles(files);
        await service.setCentering(this.centering);
        await service.analyze();
        this.added.push({ id: `r${this.nextRun++}`, name: r.name, service });
      } catch (e) {
        await service.dispose();
        problems.push(`run ${r.name}: ${messageOf(e)}`);
      }
    }
    this.point = Number.isInteger(doc.ui.point) ? doc.ui.point! : -1;
    return { state: await this.state(), runs: await this.runs(), ui: doc.ui, problems };
  }

  /** The session's files (those that opened) by path, size, digest and roles. */
  private async sessionFiles(): Promise<SessionFile[]> {
    return Promise.all(
      this.files
        .filter((f) => !f.problem)
        .map((f) => {
          const roles = Object.fromEntries(f.entry.arrays.map((a) => [a.name, a.role]));
          const tensor = f.model?.featuresTensor;
          return describeFile(
            f.path,
            f.entry.name,
            roles,
            tensor ? { featuresTensor: tensor } : {},
          );
        }),
    );
  }

  /** Opens a session's files and gives their arrays the saved roles. */
  private async openSessionFiles(files: SessionFile[]): Promise<void> {
    await this.open(files.map((f) => ({ path: f.path })));
    for (const f of files) {
      const open = this.files.find((o) => o.path === normalize(f.path));
      if (!open) continue;
      if (f.featuresTensor && open.model)
        await this.setRole(`${open.entry.id}:${f.featuresTensor}`, 'features');
      for (const [name, role] of Object.entries(f.roles)) {
        const a = open.entry.arrays.find((x) => x.name === name);
        if (a && a.role !== role) await this.setRole(a.id, role);
      }
    }
  }

  async setExportView(view: ExportView): Promise<void> {
    this.exportView = { ...view };
  }

  async renameRun(id: string, name: string): Promise<RunEntry[]> {
    const clean = typeof name === 'string' ? name.trim().slice(0, 80) : '';
    if (!clean) throw badInput(undefined, 'a run name', 'an empty one');
    if (id === PRIMARY_RUN) this.primaryName = clean;
    else {
      const run = this.added.find((r) => r.id === id);
      if (!run) throw badInput(undefined, 'an open run id', `'${id}'`);
      run.name = clean;
    }
    return this.runs();
  }

  async closeRun(id: string): Promise<RunEntry[]> {
    const run = this.added.find((r) => r.id === id);
    if (!run)
      throw badInput(
        undefined,
        id === PRIMARY_RUN ? 'an added run (the primary one closes with Close all)' : 'a run id',
        `'${id}'`,
      );
    this.added = this.added.filter((r) => r !== run);
    await run.service.dispose();
    return this.runs();
  }

  private async closeRuns(): Promise<void> {
    const runs = this.added;
    this.added = [];
    this.primaryName = null;
    await Promise.allSettled(runs.map((r) => r.service.dispose()));
  }

  /** The comparison report of the runs that have a result (at least two). */
  private async exportComparison(extra?: {
    title?: string;
  }): Promise<{ name: string; mime: string; data: Uint8Array }> {
    const runs = (await this.runEntries()).filter((r) => r.result);
    if (runs.length < 2)
      throw badInput(undefined, 'two or more analysed runs to compare', `${runs.length}`);
    const services = [this as AnalysisService, ...this.added.map((r) => r.service)];
    const all = await this.runEntries();
    const withFiles = await Promise.all(
      runs.map(async (r) => ({
        id: r.id,
        name: r.name,
        result: r.result!,
        files: await services[all.findIndex((a) => a.id === r.id)].usedFiles(),
        log: services[all.findIndex((a) => a.id === r.id)].runLog(),
      })),
    );
    return exportComparison(withFiles, extra, this.exportView);
  }

  /** A followed run folder's training log (steps, wall time): the charts' x axes. */
  private runLog(): RunLogEntry[] | undefined {
    return this.live?.status().log?.epochs;
  }

  /** The files the plan uses (an ignored file is not an input), by path and display name. */
  private async usedFiles(): Promise<{ path: string; name: string }[]> {
    const fates = (await this.plan()).files;
    return this.files
      .filter((_, i) => fates[i].used)
      .map((f) => ({ path: f.path, name: f.entry.name }));
  }

  async exportResult(
    format: ExportFormat,
    extra?: { viewPng?: Uint8Array; title?: string },
  ): Promise<{ name: string; mime: string; data: Uint8Array }> {
    if (format === 'pdf-compare') return this.exportComparison(extra);
    if (!this.result) throw badInput(undefined, 'an analysis to export', 'none yet');
    // The report lists the files the plan uses: an ignored file is not an input.
    const fates = (await this.plan()).files;
    const files = this.files
      .filter((_, i) => fates[i].used)
      .map((f) => ({ path: f.path, name: f.entry.name }));
    // The demo knows its training accuracy per epoch: the report marks the terminal phase.
    const trainAccuracyLog = this.demo ? demoInfo().log : this.liveTrainLog();
    return exportBytes(this.result, format, extra, {
      files,
      trainAccuracyLog,
      point: this.point,
      x: this.exportView.x,
      runLog: this.runLog(),
    });
  }

  /** A followed folder's training log, as the report marks the terminal phase with it. */
  private liveTrainLog(): { epoch: number; train_accuracy: number }[] | undefined {
    const epochs = this.live?.status().log?.epochs;
    const rows = epochs?.filter((e) => e.train_acc !== undefined);
    return rows?.length
      ? rows.map((e) => ({ epoch: e.epoch, train_accuracy: e.train_acc! }))
      : undefined;
  }

  /** Closes every file (the shells call this on exit). */
  async dispose(): Promise<void> {
    this.running?.abort();
    await this.closeRuns();
    await this.closeFiles();
  }

  /** The analysis plan of the open files with their current roles (main/plan). */
  private async plan(): Promise<Plan> {
    return (await planner()).planOf(this.sources());
  }

  private sources(): PlanSource[] {
    return this.files.map((f) => ({
      key: f.entry.id,
      name: f.entry.name,
      path: f.path,
      bytes: f.entry.bytes,
      arrays: f.container.arrays,
      roles: f.roles,
      identity: f.identity,
      model: f.model !== undefined,
      problem: f.problem,
      classNames: f.container.classNames,
    }));
  }

  /** `setRole('<model file id>:<tensor>', 'features')`: the model's features come from `tensor`. */
  private pickFeatures(f: OpenFile, tensor: string, role: Role): Promise<SessionState> {
    const model = f.model!;
    if (role !== 'features')
      throw badInput(f.entry.name, "role 'features' for a model tensor", `'${role}'`);
    if (!model.info.candidates.includes(tensor))
      throw badInput(f.entry.name, 'a tensor of the model to take as features', `'${tensor}'`);
    model.featuresTensor = tensor;
    f.entry.model = modelEntry(model);
    return this.state();
  }

  private resolve(ref: FileRef): ResolvedFile {
    if ('uploadId' in ref) {
      if (!this.options.resolveUpload) throw badInput(ref.name, 'a file path', 'an upload id');
      return this.options.resolveUpload(ref.uploadId);
    }
    const path = checkedFilePath(ref.path);
    return { path, name: basename(path) };
  }

  /** `f` with its identity: the same path, size and modification time, the same file. */
  private async identified(
    f: ResolvedFile,
    upload = false,
  ): Promise<ResolvedFile & { identity: string }> {
    const info = await stat(f.path).catch(() => undefined);
    if (!info) return { ...f, identity: `${f.path}|missing` };
    // An upload is a new temp file each time: it is known by its name and size.
    const identity = upload
      ? `upload|${f.name}|${info.size}`
      : `${f.path}|${info.size}|${info.mtimeMs}`;
    return { ...f, identity };
  }

  /**
   * Opens `files` beside `open`. A file that cannot be opened is kept, ignored with the reason,
   * when others of the drop open; when none does, its error is thrown and nothing stays open.
   */
  private async openAll(
    files: (ResolvedFile & { identity: string })[],
    open: OpenFile[],
  ): Promise<OpenFile[]> {
    const opened: OpenFile[] = [];
    const failures: unknown[] = [];
    for (const f of files) {
      try {
        const { container, model } = await renamed(f, () =>
          this.openOne(f.path, [...open, ...opened]),
        );
        opened.push(this.fileOf(f, container, model));
      } catch (e) {
        failures.push(e);
        opened.push(this.fileOf(f, unreadable(f.path), undefined, messageOf(e)));
      }
    }
    if (files.length && failures.length === files.length) {
      await Promise.allSettled(opened.map((o) => o.container.close()));
      throw failures[0];
    }
    const { guessSetRoles } = await import('../io/roles.ts');
    // Beside a model, the arrays it accepts are its inputs (with their labels) first; the rest
    // are guessed as a set (io/roles.ts).
    const model = [...open, ...opened].find((o) => o.model);
    const arrays = opened.flatMap((o) => o.container.arrays);
    const byModel = model ? guessModelRoles(model.path, model.model!, arrays) : new Map();
    const guessed = guessSetRoles(
      opened.map((o) => o.container.arrays),
      byModel,
    );
    for (const o of opened) for (const a of o.container.arrays) this.assign(o, a, guessed.get(a));
    const brought = (o: OpenFile) => [...o.roles.values()].includes('inputs');
    if (model && opened.includes(model) && !opened.some(brought))
      this.guessEarlierInputs(model, open);
    return opened;
  }

  /** A model opened after its inputs: the one-array files already open become its inputs. */
  private guessEarlierInputs(model: OpenFile, open: OpenFile[]): void {
    const earlier = open.filter((f) => f.container.arrays.length === 1);
    const arrays = earlier.map((f) => f.container.arrays[0]);
    const guessed = guessModelRoles(model.path, model.model!, arrays);
    for (const [i, f] of earlier.entries()) {
      const role = guessed.get(arrays[i]);
      if (role) this.assign(f, arrays[i], role);
    }
  }

  /** One file: an ONNX model (one per session), or a file of arrays. */
  private async openOne(
    path: string,
    opening: OpenFile[],
  ): Promise<{ container: Container; model?: OpenModel }> {
    const { fileFormat, openFile } = await io();
    if ((await fileFormat(path)) !== 'onnx-model') return { container: await openFile(path) };
    const other = opening.find((o) => o.model);
    if (other)
      throw badInput(path, `one model at a time (close ${other.entry.name} first)`, 'a second');
    return openModel(path);
  }

  private fileOf(
    f: ResolvedFile & { identity: string },
    container: Container,
    model?: OpenModel,
    problem?: string,
  ): OpenFile {
    const id = `f${this.nextFile++}`;
    const arrays: ArrayEntry[] = container.arrays.map((a) => ({
      id: `${id}:${a.name}`,
      name: a.name,
      dtype: a.dtype,
      shape: [...a.shape],
      bytes: a.bytes,
      role: 'ignore',
    }));
    const entry: FileEntry = {
      id,
      name: f.name,
      bytes: container.bytes,
      format: container.format,
      arrays,
      ...(model ? { model: modelEntry(model) } : {}),
    };
    return {
      entry,
      path: f.path,
      container,
      roles: new Map(),
      model,
      identity: f.identity,
      problem,
    };
  }

  private assign(o: OpenFile, a: ArraySource, role: Role | undefined): void {
    const r = role ?? 'ignore';
    o.roles.set(a, r);
    const entry = o.entry.arrays.find((e) => e.name === a.name);
    if (entry) entry.role = r;
  }

  private async closeFiles(): Promise<void> {
    this.live?.stop();
    this.live = null;
    const files = this.files;
    this.files = [];
    this.result = null;
    this.running?.abort();
    await this.work;
    await this.dropModelRun();
    await Promise.allSettled(files.map((f) => f.container.close()));
  }

  /** The plan of the open files, carried out (main/plan: the same as `nc-lens analyze`). */
  private async analysis(opts: EngineOptions): Promise<AnalysisResult> {
    const { runPlan, usedSources } = await planner();
    const plan = await this.plan();
    if (!plan.files.some((f) => f.used)) {
      const reasons = plan.files.map((f) => `${f.name}: ${f.reason}`).join('; ');
      throw badInput(undefined, 'a file to analyse', `every file ignored (${reasons})`);
    }
    // A followed folder keeps its points' results: each analysis computes only the new dumps.
    const cache = this.live ? (this.resultCache ??= new DiskCache()) : undefined;
    if (plan.kind !== 'model') return runPlan(plan, this.sources(), opts, undefined, cache);
    const used = new Set(usedSources(plan, this.sources()).map((s) => s.key));
    const files = this.files.filter((f) => used.has(f.entry.id));
    return this.modelAnalysis(
      files.find((f) => f.model)!,
      files,
      opts,
    );
  }

  /**
   * The model run on the arrays with roles 'inputs' and 'labels' (and the test split's), then
   * the engine on what it computed: the same path as `nc-lens analyze --model`.
   */
  private async modelAnalysis(
    model: OpenFile,
    files: OpenFile[],
    opts: EngineOptions,
  ): Promise<MetricsResult> {
    const arrays: RoleArray[] = files.flatMap((f) =>
      f.container.arrays.map((array) => ({
        role: f.roles.get(array) ?? 'ignore',
        array,
        container: f.container,
        fileName: f.entry.name,
      })),
    );
    const featuresTensor = pickedFeatures(model.entry.name, model.model!);
    const splits = modelSplits(model.entry.name, model.model!, arrays);
    const key = runKey(model.path, featuresTensor, splits);
    // The model runs once per inputs and features tensor: a centring change reuses its output.
    if (this.modelRun?.key !== key) {
      await this.dropModelRun();
      const run = await runModel(model.path, featuresTensor, splits, {
        signal: opts.signal,
        onProgress: modelProgress(opts.onProgress),
      });
      if (opts.signal.aborted) {
        await run.close();
        throw cancelled();
      }
      this.modelRun = run;
    }
    const { analyzeDataset } = await engine();
    return analyzeDataset(this.modelRun.dataset, opts);
  }

  private async dropModelRun(): Promise<void> {
    const run = this.modelRun;
    this.modelRun = null;
    await run?.close();
  }

  /** Errors from the readers and the engine name files by path; users know them by name. */
  private async withDisplayNames<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      let err = e;
      for (const f of this.files) err = renamedError(err, { path: f.path, name: f.entry.name });
      throw err;
    }
  }
}

type EngineOptions = {
  centering: Centering;
  signal: AbortSignal;
  onProgress?: (p: Progress) => void;
};

/** A file that could not be opened: listed with no arrays. */
function unreadable(path: string): Container {
  return {
    file: path,
    format: 'unreadable' as Container['format'],
    bytes: 0,
    arrays: [],
    close: async () => undefined,
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

async function renamed<T>(f: ResolvedFile, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw renamedError(e, f, true);
  }
}

/**
 * The same error with `f.path` shown as `f.name`. With `always`, an error that names no file
 * (a reader's internal failure) still gets the file's name, so the user knows which one failed.
 */
function renamedError(e: unknown, f: ResolvedFile, always = false): unknown {
  if (e instanceof NcLensError) {
    if (e.code === 'cancelled') return e;
    const mentions = e.message.includes(f.path) || e.file === f.path;
    if (!mentions && !always) return e;
    const message = e.message.split(f.path).join(f.name);
    const named = message.includes(f.name) ? message : `${f.name}: ${message}`;
    return new NcLensError(e.code, named, f.name);
  }
  if (!always) return e;
  const msg = e instanceof Error ? e.message.split('\n')[0].split(f.path).join(f.name) : String(e);
  return badInput(f.name, 'a readable activation file', msg);
}
