/**
 * The service behind both shells: the Node implementation of NcLensApi. It holds the open
 * files, each array's role, and the latest result; it builds datasets from the roles and hands
 * them to the engine. Shell-specific parts (how a FileRef becomes a path, which shell this is)
 * come in through `ServiceOptions`, so the same session runs in Electron's utility process and
 * in the browser shell's HTTP server.
 */
import { basename, extname } from 'node:path';
import type {
  AppInfo,
  ArrayEntry,
  ExportFormat,
  FileEntry,
  FileRef,
  NcLensApi,
  Role,
  SessionState,
} from '../../shared/api.ts';
import { ROLES } from '../../shared/api.ts';
import { NcLensError, badInput, cancelled } from '../../shared/errors.ts';
import type { AnalysisResult, Centering, MetricsResult, Progress } from '../../shared/schema.ts';
import type { ArraySource, Container, Dataset } from '../io/types.ts';
import { version } from '../version.ts';
import { demoFiles, demoInfo } from '../demo/index.ts';
import { exportBytes } from './export.ts';
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
import { checkedFilePath } from './paths.ts';

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
}

type Io = typeof import('../io/index.ts');
type Engine = typeof import('../engine/index.ts');

// The readers and the engine load on first use: `serve` prints its URL without waiting for
// tfjs, and the service module stays importable where they are still being built.
let ioModule: Promise<Io> | undefined;
let engineModule: Promise<Engine> | undefined;
const io = (): Promise<Io> => (ioModule ??= import('../io/index.ts'));
const engine = (): Promise<Engine> => (engineModule ??= import('../engine/index.ts'));

export class Session implements NcLensApi {
  private files: OpenFile[] = [];
  private result: AnalysisResult | null = null;
  private centering: Centering = 'class-means';
  private demo = false;
  private nextFile = 1;
  private running: AbortController | null = null;
  /** The latest model run, kept while its model, inputs and features tensor stay the same. */
  private modelRun: ModelRun | null = null;
  /** The latest analysis, settled or not: files are closed only after it let go of them. */
  private work: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ServiceOptions) {}

  async info(): Promise<AppInfo> {
    const { backend } = await (await engine()).backendInfo();
    return { version, backend, shell: this.options.shell };
  }

  async state(): Promise<SessionState> {
    // Entries are copied (they change with roles); a result is replaced, never changed.
    return {
      files: structuredClone(this.files.map((f) => f.entry)),
      result: this.result,
      centering: this.centering,
      demo: this.demo,
    };
  }

  async open(refs: FileRef[]): Promise<SessionState> {
    const opened = await this.openAll(refs.map((r) => this.resolve(r)));
    if (this.demo) await this.closeAll();
    this.files.push(...opened);
    this.demo = false;
    return this.state();
  }

  /** Replaces the session with the demo's epoch bundles. */
  async openDemo(): Promise<SessionState> {
    const opened = await this.openAll(demoFiles().map((path) => ({ path, name: basename(path) })));
    await this.closeAll();
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

  async exportResult(
    format: ExportFormat,
    extra?: { viewPng?: Uint8Array; title?: string },
  ): Promise<{ name: string; mime: string; data: Uint8Array }> {
    if (!this.result) throw badInput(undefined, 'an analysis to export', 'none yet');
    const files = this.files
      .filter((f) => f.entry.arrays.some((a) => a.role !== 'ignore'))
      .map((f) => ({ path: f.path, name: f.entry.name }));
    // The demo knows its training accuracy per epoch: the report marks the terminal phase.
    const trainAccuracyLog = this.demo ? demoInfo().log : undefined;
    return exportBytes(this.result, format, extra, { files, trainAccuracyLog });
  }

  /** Closes every file (the shells call this on exit). */
  async dispose(): Promise<void> {
    this.running?.abort();
    await this.closeAll();
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

  /** Opens all or none: on the first bad file the others are closed and its error is thrown. */
  private async openAll(files: ResolvedFile[]): Promise<OpenFile[]> {
    const { guessRoles } = await io();
    const opened: OpenFile[] = [];
    try {
      for (const f of files) {
        const { container, model } = await renamed(f, () => this.openOne(f.path, opened));
        opened.push(this.fileOf(f, container, model));
      }
    } catch (e) {
      await Promise.allSettled(opened.map((o) => o.container.close()));
      throw e;
    }
    // Single-array files (features.npy, labels.npy, ...) are guessed together: their roles
    // depend on each other. Bundles are guessed one by one: each is a complete dump.
    const singles = opened.filter((o) => o.container.arrays.length === 1);
    const groups = [singles, ...opened.filter((o) => !singles.includes(o)).map((o) => [o])];
    // Beside a model, the arrays it accepts are its inputs (with their labels) first.
    const model = [...this.files, ...opened].find((o) => o.model);
    for (const group of groups) {
      const arrays = group.flatMap((o) => o.container.arrays);
      const byModel = model ? guessModelRoles(model.path, model.model!, arrays) : new Map();
      const rest = arrays.filter((a) => !byModel.has(a));
      const guessed = new Map([...(rest.length ? guessRoles(rest) : []), ...byModel]);
      for (const o of group) for (const a of o.container.arrays) this.assign(o, a, guessed.get(a));
    }
    const brought = (o: OpenFile) => [...o.roles.values()].includes('inputs');
    if (model && opened.includes(model) && !opened.some(brought)) this.guessEarlierInputs(model);
    return opened;
  }

  /** A model opened after its inputs: the one-array files already open become its inputs. */
  private guessEarlierInputs(model: OpenFile): void {
    const earlier = this.files.filter((f) => f.container.arrays.length === 1);
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
    const other = [...this.files, ...opening].find((o) => o.model);
    if (other)
      throw badInput(path, `one model at a time (close ${other.entry.name} first)`, 'a second');
    return openModel(path);
  }

  private fileOf(f: ResolvedFile, container: Container, model?: OpenModel): OpenFile {
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
    return { entry, path: f.path, container, roles: new Map(), model };
  }

  private assign(o: OpenFile, a: ArraySource, role: Role | undefined): void {
    const r = role ?? 'ignore';
    o.roles.set(a, r);
    const entry = o.entry.arrays.find((e) => e.name === a.name);
    if (entry) entry.role = r;
  }

  private async closeAll(): Promise<void> {
    const files = this.files;
    this.files = [];
    this.result = null;
    this.running?.abort();
    await this.work;
    await this.dropModelRun();
    await Promise.allSettled(files.map((f) => f.container.close()));
  }

  private async analysis(opts: EngineOptions): Promise<AnalysisResult> {
    const model = this.files.find((f) => f.model);
    if (model) return this.modelAnalysis(model, opts);
    const { analyzeDataset, analyzeLayers, analyzeSeries } = await engine();
    const bundles = this.files.filter(isBundle);
    if (bundles.length >= 2) {
      const others = this.files.filter((f) => !isBundle(f));
      const items = [];
      for (const b of bundles) {
        items.push({ label: stem(b.entry.name), dataset: await datasetOf([b], others) });
      }
      return analyzeSeries(items, opts);
    }
    const ds = await datasetOf(this.files);
    return ds.layers?.length ? analyzeLayers(ds, opts) : analyzeDataset(ds, opts);
  }

  /**
   * The model run on the arrays with roles 'inputs' and 'labels' (and the test split's), then
   * the engine on what it computed: the same path as `nc-lens analyze --model`.
   */
  private async modelAnalysis(model: OpenFile, opts: EngineOptions): Promise<MetricsResult> {
    const arrays: RoleArray[] = this.files.flatMap((f) =>
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
        renamed: renamedError,
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

function isBundle(f: OpenFile): boolean {
  const roles = new Set(f.roles.values());
  return roles.has('features') && roles.has('labels');
}

/**
 * The dataset of `files`, plus from `fill` the arrays whose role `files` leave open (one
 * classifier saved beside per-epoch bundles serves each of them).
 */
async function datasetOf(files: OpenFile[], fill: OpenFile[] = []): Promise<Dataset> {
  const { datasetFromRoles } = await io();
  const roles = new Map<ArraySource, Role>();
  for (const f of files) for (const [a, r] of f.roles) roles.set(a, r);
  const taken = new Set(roles.values());
  for (const f of fill) for (const [a, r] of f.roles) if (!taken.has(r)) roles.set(a, r);
  return datasetFromRoles([...roles.keys()], roles);
}

function stem(name: string): string {
  return name.slice(0, name.length - extname(name).length);
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
