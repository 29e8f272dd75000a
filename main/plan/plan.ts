/**
 * THE analysis plan: what a set of opened files is analysed as, and what becomes of each file.
 * A pure function of the files' arrays and their roles, so the CLI (`analyze`, `report`), the
 * app's service and the report all read the same files the same way (run.ts carries a plan
 * out). Rules, in order:
 *
 * - a file that could not be opened, or a second copy of a file, is ignored (with the reason);
 * - an ONNX model makes a `model` plan: the model and the arrays with model roles are used;
 * - two or more bundles (files holding features and labels) make an `epochs` series, one point
 *   per bundle in epoch order; other files fill the roles the bundles leave open (one
 *   classifier beside per-epoch dumps serves each of them), and files whose roles the bundles
 *   already fill are ignored;
 * - otherwise the files make one dataset: a `layers` series when it holds several feature
 *   layers, else `single`. Beside one bundle, files whose roles it already fills are ignored.
 *
 * Files with no array in a role are ignored. Conflicts that remain (two loose features files)
 * are left to `datasetFromRoles`, which names the candidates.
 */
import type { Role } from '../../shared/api.ts';
import { parseEpoch, seriesOrder } from '../engine/epochs.ts';

export type PlanKind = 'single' | 'epochs' | 'layers' | 'model';

export interface PlanArray {
  name: string;
  shape: readonly number[];
  role: Role;
}

export interface PlanFile {
  /** How the caller finds the file again (its path, or the service's file id). */
  key: string;
  /** The name users know it by. */
  name: string;
  /** Same identity, same file (path + size + mtime): a second copy is ignored. */
  identity?: string;
  arrays: PlanArray[];
  /** An ONNX model (it has no arrays; it computes the features). */
  model?: boolean;
  /** A class-names file (no arrays): used, its names go on the result. */
  names?: boolean;
  /** Why the file could not be opened, if it could not. */
  problem?: string;
}

export interface FileFate {
  key: string;
  name: string;
  used: boolean;
  /** Why an ignored file is ignored, in words for the file list and the report. */
  reason?: string;
}

export interface PlanPoint {
  /** The label a series point shows: the bundle's name without extension. */
  label: string;
  epoch?: number;
  step?: number;
  /** Its position on the x axis: the epoch or step, else its position among the bundles. */
  index: number;
  /** The files (keys) whose arrays make this point's dataset. */
  files: string[];
}

export interface Plan {
  kind: PlanKind;
  /** One point for `single`, `layers` and `model`; one per bundle for `epochs`, in order. */
  points: PlanPoint[];
  /** Every file given, in the order given. */
  files: FileFate[];
}

/** Roles the model plan reads. */
const MODEL_ROLES: readonly Role[] = ['inputs', 'labels', 'test_inputs', 'test_labels'];

const stem = (name: string): string => name.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');

/** Roles of a file's arrays, 'ignore' left out. */
function rolesOf(f: PlanFile): Role[] {
  return f.arrays.map((a) => a.role).filter((r) => r !== 'ignore');
}

/** A file that holds a whole dataset by itself: features (or layers) and labels. */
export function isBundle(f: PlanFile): boolean {
  const roles = rolesOf(f);
  return (roles.includes('features') || roles.includes('layer')) && roles.includes('labels');
}

/** The plan for `files`: see the module comment for the rules. */
export function makePlan(files: readonly PlanFile[]): Plan {
  const fates = new Map<PlanFile, FileFate>();
  const ignore = (f: PlanFile, reason: string) =>
    fates.set(f, { key: f.key, name: f.name, used: false, reason });
  const seen = new Map<string, PlanFile>();
  const live: PlanFile[] = [];
  for (const f of files) {
    const copy = f.identity !== undefined ? seen.get(f.identity) : undefined;
    if (f.problem) ignore(f, f.problem);
    else if (copy) ignore(f, `the same file as ${copy.name}`);
    else {
      if (f.identity !== undefined) seen.set(f.identity, f);
      live.push(f);
    }
  }
  const use = (f: PlanFile) => fates.set(f, { key: f.key, name: f.name, used: true });
  const result = (kind: PlanKind, points: PlanPoint[]): Plan => ({
    kind,
    points,
    files: files.map((f) => fates.get(f)!),
  });

  const model = live.find((f) => f.model);
  if (model) {
    use(model);
    const inputs: string[] = [model.key];
    for (const f of live) {
      if (f === model) continue;
      if (f.names) use(f);
      else if (f.model) ignore(f, `one model at a time: ${model.name} is analysed`);
      else if (rolesOf(f).some((r) => r === 'features' || r === 'layer'))
        ignore(f, `its features come from running the model ${model.name}`);
      else if (rolesOf(f).some((r) => MODEL_ROLES.includes(r))) {
        use(f);
        inputs.push(f.key);
      } else ignore(f, `no array is an input or labels of the model ${model.name}`);
    }
    return result('model', [{ label: stem(model.name), index: 0, files: inputs }]);
  }

  const bundles = live.filter(isBundle);
  const others = live.filter((f) => !isBundle(f));
  const base = bundles.length >= 2 ? bundles : bundles.slice(0, 1);
  const taken = new Set(base.flatMap(rolesOf));
  const from = base.length === 1 ? base[0].name : 'the epoch dumps';
  const fill: string[] = [];
  for (const f of others) {
    const roles = rolesOf(f);
    if (f.names) use(f);
    else if (roles.length === 0) ignore(f, 'no array has a role');
    else if (roles.every((r) => taken.has(r)))
      ignore(f, `its ${[...new Set(roles)].join(' and ')} come from ${from}`);
    else {
      use(f);
      fill.push(f.key);
    }
  }
  for (const f of base) use(f);

  if (bundles.length >= 2) return result('epochs', epochPoints(bundles, fill));
  const used = live.filter((f) => fates.get(f)?.used).map((f) => f.key);
  const roles = live.filter((f) => fates.get(f)?.used).flatMap(rolesOf);
  const layers = roles.filter((r) => r === 'layer').length;
  // Layers beside a features array: the features are the last layer of the series.
  const depth = layers > 0 ? layers + (roles.includes('features') ? 1 : 0) : 0;
  const label = stem((base[0] ?? live.find((f) => fates.get(f)?.used))?.name ?? '');
  return result(depth >= 2 ? 'layers' : 'single', [{ label, index: 0, files: used }]);
}

/** Epoch (or step) order of the bundles, from their names; the order given otherwise. */
function epochPoints(bundles: PlanFile[], fill: string[]): PlanPoint[] {
  return seriesOrder(bundles.map((b) => stem(b.name))).map((e) => ({
    label: e.label,
    ...parseEpoch(e.label),
    index: e.index,
    files: [bundles[e.position].key, ...fill],
  }));
}

/** The ignored files of a plan as result warnings: `name ignored: reason`. */
export function ignoredWarnings(plan: Plan): string[] {
  return plan.files.filter((f) => !f.used).map((f) => `${f.name} ignored: ${f.reason}`);
}
