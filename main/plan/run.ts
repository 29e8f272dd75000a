/**
 * Carrying out an analysis plan (plan.ts) on opened files: the datasets each point reads, built
 * from the files' roles, handed to the engine. The CLI (`openPlanned` on paths) and the app's
 * service (on its open files) both come through here, so the same files give the same numbers.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Role } from '../../shared/api.ts';
import { badInput, NcLensError } from '../../shared/errors.ts';
import type { AnalysisResult, MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { DiskCache, pointKey, type ResultCache } from '../cache/results.ts';
import { folderDumps } from '../io/folder.ts';
import {
  analyzeDataset,
  analyzeLayers,
  analyzeSeries,
  type AnalyzeOptions,
} from '../engine/index.ts';
import type { ArraySource, Container, Dataset } from '../io/types.ts';
import { datasetFromRoles, openDataset, openFile } from '../io/index.ts';
import { guessSetRoles } from '../io/roles.ts';
import type { RoleOverrides } from '../io/index.ts';
import { ignoredWarnings, makePlan, type Plan, type PlanFile } from './plan.ts';

/** An opened file as the plan sees it, with the arrays it reads. */
export interface PlanSource {
  key: string;
  name: string;
  /** Where it is on disk (reports hash it). */
  path: string;
  bytes: number;
  arrays: readonly ArraySource[];
  roles: ReadonlyMap<ArraySource, Role>;
  identity?: string;
  model?: boolean;
  problem?: string;
  /** A class-names file's names (main/io/names.ts). */
  classNames?: string[];
}

/** The plan of `sources`. */
export function planOf(sources: readonly PlanSource[]): Plan {
  return makePlan(sources.map(planFile));
}

function planFile(s: PlanSource): PlanFile {
  return {
    key: s.key,
    name: s.name,
    identity: s.identity,
    model: s.model,
    names: s.classNames !== undefined,
    problem: s.problem,
    arrays: s.arrays.map((a) => ({
      name: a.name,
      shape: a.shape,
      role: s.roles.get(a) ?? 'ignore',
    })),
  };
}

/** The sources the plan uses, in the order given. */
export function usedSources(plan: Plan, sources: readonly PlanSource[]): PlanSource[] {
  const used = new Set(plan.files.filter((f) => f.used).map((f) => f.key));
  return sources.filter((s) => used.has(s.key));
}

/** The dataset of the files `keys`: their arrays with their roles, validated. */
async function datasetOf(
  keys: readonly string[],
  sources: readonly PlanSource[],
): Promise<Dataset> {
  const files = keys.map((k) => sources.find((s) => s.key === k)!);
  const roles = new Map<ArraySource, Role>();
  for (const f of files) for (const a of f.arrays) roles.set(a, f.roles.get(a) ?? 'ignore');
  return datasetFromRoles([...roles.keys()], roles);
}

/** What each file of `keys` gave: its size and each array's role (the result's `inputs`). */
function inputsOf(
  keys: readonly string[],
  sources: readonly PlanSource[],
): MetricsResult['inputs'] {
  return keys.map((k) => {
    const s = sources.find((x) => x.key === k)!;
    return {
      file: s.path,
      bytes: s.bytes,
      arrays: Object.fromEntries(s.arrays.map((a) => [a.name, s.roles.get(a) ?? 'ignore'])),
    };
  });
}

/**
 * The analysis `plan` describes, of `sources`. A `model` plan is run by the caller (the model
 * is run on the inputs first: main/onnx); `dataset` gives the one dataset when the caller has
 * already built it. With a `cache`, an epoch series computes only the points it does not hold
 * (main/cache/results.ts) and stores those it computed.
 */
export async function runPlan(
  plan: Plan,
  sources: readonly PlanSource[],
  opts: AnalyzeOptions,
  dataset?: Dataset,
  cache?: ResultCache,
): Promise<AnalysisResult> {
  if (plan.kind === 'model')
    throw new Error('a model plan runs the model first (service/model.ts)');
  const warnings = ignoredWarnings(plan);
  return withClassNames(await runPoints(plan, sources, opts, warnings, dataset, cache), sources);
}

/** The class names of the names file given (the first), on every point of the result. */
function withClassNames(result: AnalysisResult, sources: readonly PlanSource[]): AnalysisResult {
  const names = sources.find((s) => s.classNames && !s.problem)?.classNames;
  if (!names) return result;
  const points =
    result.schema === 'nc-lens/series@1' ? result.points.map((p) => p.metrics) : [result];
  for (const m of points) withNames(m, names);
  return result;
}

/** Class names on one result (`class_names`), warning about labels they leave unnamed. */
export function withNames(m: MetricsResult, names: string[]): void {
  m.class_names = names;
  const missing = m.per_class.filter((r) => r.label < 0 || r.label >= names.length).length;
  if (missing > 0)
    m.warnings.push(
      `class names: ${names.length} given, ${missing} of the ${m.per_class.length} labels have none (shown as their label)`,
    );
}

async function runPoints(
  plan: Plan,
  sources: readonly PlanSource[],
  opts: AnalyzeOptions,
  warnings: string[],
  dataset?: Dataset,
  cache?: ResultCache,
): Promise<AnalysisResult> {
  if (plan.kind === 'epochs') {
    const series = cache
      ? await cachedSeries(plan, sources, opts, cache)
      : await analyzeSeries(await seriesItems(plan.points, sources), opts);
    // The plan's points are in epoch order already: the engine keeps that order.
    for (const [i, point] of series.points.entries())
      point.metrics.inputs = inputsOf(plan.points[i].files, sources);
    series.warnings.push(...warnings);
    return series;
  }
  const [point] = plan.points;
  const ds = dataset ?? (await datasetOf(point.files, sources));
  if (plan.kind === 'layers') {
    const series = await analyzeLayers(ds, opts);
    for (const p of series.points) p.metrics.inputs = inputsOf(point.files, sources);
    series.warnings.push(...warnings);
    return series;
  }
  const result = await analyzeDataset(ds, opts);
  result.inputs = inputsOf(point.files, sources);
  result.warnings.push(...warnings);
  return result;
}

async function seriesItems(
  points: Plan['points'],
  sources: readonly PlanSource[],
): Promise<{ label: string; dataset: Dataset }[]> {
  const items = [];
  for (const p of points)
    items.push({ label: p.label, dataset: await datasetOf(p.files, sources) });
  return items;
}

/**
 * A cached series' share of the sample-cloud bounds per point: 1/2^k for the smallest
 * 2^k ≥ max(points, 16), so the cloud of a point (and its cache key) changes only when a run
 * followed live doubles, and the whole series stays within the bounds.
 */
export function cachedSamplesShare(points: number): number {
  return 1 / 2 ** Math.ceil(Math.log2(Math.max(points, 16)));
}

/** An epoch series from the cache where it holds the points, computed (and stored) elsewhere. */
async function cachedSeries(
  plan: Plan,
  sources: readonly PlanSource[],
  opts: AnalyzeOptions,
  cache: ResultCache,
): Promise<SeriesResult> {
  const share = cachedSamplesShare(plan.points.length);
  const settings = {
    centering: opts.centering ?? 'class-means',
    geometry: opts.geometry !== false,
    samples: opts.samples ? share : 0,
  };
  const keys = await Promise.all(
    plan.points.map((p) =>
      pointKey(
        p.files.map((k) => {
          const s = sources.find((x) => x.key === k)!;
          return { path: s.path, roles: s.arrays.map((a) => [a.name, s.roles.get(a) ?? 'ignore']) };
        }),
        settings,
      ),
    ),
  );
  const held = await Promise.all(keys.map((k) => cache.get(k)));
  const missing = plan.points.filter((_, i) => !held[i]);
  const computed = missing.length
    ? await analyzeSeries(await seriesItems(missing, sources), { ...opts, samplesShare: share })
    : undefined;
  let next = 0;
  const points = [];
  for (const [i, p] of plan.points.entries()) {
    let metrics = held[i];
    if (!metrics) {
      metrics = computed!.points[next++].metrics;
      await cache.set(keys[i], metrics);
    }
    points.push({
      index: p.index,
      label: p.label,
      ...(p.epoch !== undefined ? { epoch: p.epoch } : {}),
      ...(p.step !== undefined ? { step: p.step } : {}),
      metrics,
    });
  }
  return {
    schema: 'nc-lens/series@1',
    kind: 'epochs',
    settings: { centering: settings.centering },
    points,
    ...(computed?.engine
      ? { engine: computed.engine }
      : held.find(Boolean)?.engine
        ? { engine: held.find(Boolean)!.engine }
        : {}),
    warnings: [],
  };
}

/** The identity of a file on disk: the same path, size and modification time, the same file. */
export async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const [real, info] = await Promise.all([realpath(path), stat(path)]);
    return `${real}|${info.size}|${info.mtimeMs}`;
  } catch {
    return undefined;
  }
}

export interface PlannedFiles {
  plan: Plan;
  sources: PlanSource[];
  /** The dataset already built, when role overrides named one. */
  dataset?: Dataset;
  /** Run folders among the paths (their dumps were listed in their place). */
  folders?: string[];
  close(): Promise<void>;
}

/**
 * `paths` with each run folder replaced by its dumps (main/io/folder.ts: the same listing
 * as the app's Open folder and serve --watch), and the folders found.
 */
export async function expandFolders(
  paths: readonly string[],
): Promise<{ paths: string[]; folders: string[] }> {
  const out: string[] = [];
  const folders: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info?.isDirectory()) {
      out.push(p);
      continue;
    }
    const dumps = await folderDumps(p);
    if (dumps.length === 0) {
      throw badInput(p, 'a run folder of dumps (.npz, .npy, .pt, .safetensors, …)', 'none');
    }
    folders.push(p);
    out.push(...dumps);
  }
  return { paths: out, folders };
}

/**
 * The CLI's files, opened and planned. A file that cannot be opened is ignored with the reason
 * when others can be; when none can, its error is the answer. Role overrides (`--features F
 * --labels L`) name the arrays of one dataset: the files are then opened together by them.
 */
export async function openPlanned(
  given: readonly string[],
  overrides: RoleOverrides = {},
): Promise<PlannedFiles> {
  const { paths, folders } = await expandFolders(given);
  if (Object.values(overrides).some(Boolean)) return openOverridden(paths, overrides);
  const sources: PlanSource[] = [];
  const containers: Container[] = [];
  const errors: unknown[] = [];
  const close = async () => {
    await Promise.allSettled(containers.map((c) => c.close()));
  };
  for (const [i, path] of paths.entries()) {
    const identity = await fileIdentity(path);
    try {
      const c = await openFile(path);
      containers.push(c);
      sources.push({
        key: `${i}`,
        name: basename(path),
        path,
        bytes: c.bytes,
        arrays: c.arrays,
        roles: new Map(),
        identity,
        classNames: c.classNames,
      });
    } catch (e) {
      errors.push(e);
      const problem = e instanceof NcLensError ? e.message : String(e);
      sources.push({
        key: `${i}`,
        name: basename(path),
        path,
        bytes: 0,
        arrays: [],
        roles: new Map(),
        identity,
        problem,
      });
    }
  }
  if (errors.length === paths.length && errors.length) {
    await close();
    throw errors[0];
  }
  const roles = guessSetRoles(sources.filter((s) => !s.problem).map((s) => s.arrays));
  for (const s of sources) s.roles = new Map(s.arrays.map((a) => [a, roles.get(a) ?? 'ignore']));
  return { plan: planOf(sources), sources, folders, close };
}

async function openOverridden(
  paths: readonly string[],
  overrides: RoleOverrides,
): Promise<PlannedFiles> {
  const opened = await openDataset([...paths], overrides);
  const record = opened.dataset.roles;
  const sources: PlanSource[] = opened.containers.map((c, i) => ({
    key: `${i}`,
    name: basename(c.file),
    path: c.file,
    bytes: c.bytes,
    arrays: c.arrays,
    roles: new Map(
      c.arrays.map((a) => [
        a,
        record[`${basename(c.file)}:${a.name}`] ?? record[a.name] ?? 'ignore',
      ]),
    ),
    classNames: c.classNames,
  }));
  const plan = planOf(sources);
  // Overrides name one dataset: the plan keeps every file the overrides or the guess used.
  return {
    plan: { ...plan, kind: plan.kind === 'layers' ? 'layers' : 'single' },
    sources,
    dataset: opened.dataset,
    close: opened.close,
  };
}

/**
 * `nc-lens analyze FILE...`: the plan of the files, carried out. The result's `inputs` list the
 * files read; ignored ones are named in its warnings.
 */
export async function analyzePaths(
  paths: readonly string[],
  overrides: RoleOverrides = {},
  opts: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const planned = await openPlanned(paths, overrides);
  // A run folder is reopened often (while it trains, for each report): its points are cached.
  const cache = planned.folders?.length ? new DiskCache() : undefined;
  try {
    return await runPlan(planned.plan, planned.sources, opts, planned.dataset, cache);
  } finally {
    await planned.close();
  }
}
