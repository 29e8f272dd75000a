/**
 * Guessing what each array is, from its name first and its shape second. The guess is only a
 * starting point: every role can be overridden (CLI flags, the UI), and `datasetFromRoles`
 * validates whatever was chosen.
 */
import { INTEGRAL, product } from './decode.ts';
import type { ArrayInfo, Role } from './types.ts';

type BaseRole = 'features' | 'labels' | 'weight' | 'bias' | 'logits';

/** Name words per role. Single letters count only when they are the whole name (`X`, `y`). */
const WORDS: Record<BaseRole, string[]> = {
  labels: ['labels', 'label', 'targets', 'target', 'y', 'classes', 'gt'],
  weight: ['weight', 'weights', 'w', 'kernel'],
  bias: ['bias', 'biases', 'b'],
  logits: ['logits', 'scores', 'outputs', 'output'],
  features: [
    'features',
    'feature',
    'feats',
    'feat',
    'embeddings',
    'embedding',
    'penultimate',
    'h',
    'x',
    'activations',
    'acts',
    'hidden',
    'representations',
  ],
};

/** Checked in this order: `fc.weight` is a weight even though `fc` is a layer of features. */
const ORDER: BaseRole[] = ['labels', 'weight', 'bias', 'logits', 'features'];

const TEST_WORDS = new Set(['test', 'val', 'valid', 'validation']);
const TRAIN_WORDS = new Set(['train', 'training']);
const LAYER_NAME = /^(layer|layers|block|blocks|stage|stages)[._-]?\d+$/i;

const TEST_ROLE: Partial<Record<BaseRole, Role>> = {
  features: 'test_features',
  labels: 'test_labels',
  logits: 'test_logits',
};

/**
 * The role a name alone implies, if any (`X_test` → test_features, `fc.weight` → weight), and
 * whether it came from a one-letter name (`b`, `W`): shapes may overrule those.
 */
function nameRole(name: string): { role: Role; weak: boolean } | undefined {
  const words = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const isTest = words.some((w) => TEST_WORDS.has(w));
  const core = words.filter((w) => !TEST_WORDS.has(w) && !TRAIN_WORDS.has(w));
  if (LAYER_NAME.test(name)) return isTest ? undefined : { role: 'layer', weak: false };
  for (const role of ORDER) {
    const long = WORDS[role].some((w) => w.length > 1 && core.includes(w));
    const letter = core.length === 1 && WORDS[role].includes(core[0]) && core[0].length === 1;
    if (long || letter) return { role: isTest ? (TEST_ROLE[role] ?? 'ignore') : role, weak: !long };
  }
  return undefined;
}

/**
 * Roles for the arrays of files opened together: each bundle (a file of several arrays) is
 * guessed by itself, since each is a complete dump; the one-array files are guessed together,
 * in the light of a bundle's features when they bring none (a `W.npy` beside epoch dumps).
 * `preset` roles (a model's inputs) are kept and their arrays left out of the guess.
 */
export function guessSetRoles<T extends ArrayInfo>(
  files: readonly (readonly T[])[],
  preset: ReadonlyMap<T, Role> = new Map(),
): Map<T, Role> {
  const roles = new Map<T, Role>(preset);
  const free = (arrays: readonly T[]) => arrays.filter((a) => !preset.has(a));
  const bundles = files.filter((f) => f.length > 1);
  for (const b of bundles) for (const [a, r] of guessRoles(free(b))) roles.set(a, r);
  const context = bundles.flat().find((a) => roles.get(a) === 'features');
  // A bundle without features (a state_dict) is guessed again beside the features it serves.
  const hasFeatures = (b: readonly T[]) =>
    b.some((a) => roles.get(a) === 'features' || roles.get(a) === 'layer');
  for (const b of bundles.filter((x) => context && !hasFeatures(x))) {
    for (const [a, r] of guessRoles(free(b), context!.shape)) roles.set(a, r);
  }
  const singles = free(files.filter((f) => f.length === 1).flat());
  for (const [a, r] of guessRoles(singles, context?.shape)) roles.set(a, r);
  return roles;
}

/**
 * Roles for a set of arrays that belong together (one bundle, or single-array files opened
 * together). Names decide first; then shapes fill the gaps: an N×… array is the features, a
 * 1-D integer array of length N the labels, a matrix with a side equal to D the weight.
 * Conflicts are kept (two arrays both guessed `features`): `datasetFromRoles` reports them
 * with the candidates listed.
 */
export function guessRoles<T extends ArrayInfo>(
  arrays: readonly T[],
  contextFeatures?: readonly number[],
): Map<T, Role> {
  const roles = new Map<T, Role>();
  const weak = new Set<T>();
  for (const a of arrays) {
    const r = nameRole(a.name);
    if (r) roles.set(a, r.role);
    if (r?.weak) weak.add(a);
  }
  promoteSingleLayer(arrays, roles);
  labelsOverLetters(arrays, roles, weak, contextFeatures);
  const taken = (r: Role) => [...roles.values()].includes(r);
  const unnamed = () => arrays.filter((a) => !roles.has(a));
  // Beside a bundle's features (`contextFeatures`), loose files bring the rest, not features.
  if (!taken('features') && !taken('layer') && !contextFeatures) {
    const candidates = unnamed().filter((a) => a.shape.length >= 2);
    const n = Math.max(0, ...candidates.map((a) => a.shape[0]));
    const biggest = candidates.filter((a) => a.shape[0] === n);
    if (biggest.length === 1 && n > 0) roles.set(biggest[0], 'features');
  }
  const features = arrays.find((a) => roles.get(a) === 'features' || roles.get(a) === 'layer');
  const shape = features?.shape ?? contextFeatures;
  if (shape) fillByShape(unnamed(), [...shape], roles, taken);
  for (const a of unnamed()) roles.set(a, 'ignore');
  onlySplit(arrays, roles);
  lastLayerClassifier(arrays, roles, shape ? product(shape.slice(1)) : undefined);
  return roles;
}

const LAYER_WEIGHT = /^(.+)[._](weight|bias)$/i;

/**
 * A state_dict names every layer's `*.weight` and `*.bias`: the classifier is the last 2-D
 * weight that is C×D (D the features' width, when known), with the bias of its layer; the
 * other layers' weights and biases are ignored.
 */
function lastLayerClassifier<T extends ArrayInfo>(
  arrays: readonly T[],
  roles: Map<T, Role>,
  d: number | undefined,
): void {
  const weights = arrays.filter((a) => roles.get(a) === 'weight');
  if (weights.length < 2 || !weights.every((w) => LAYER_WEIGHT.test(w.name))) return;
  const fits = weights.filter((w) => w.shape.length === 2 && (d === undefined || w.shape[1] === d));
  const chosen = fits.at(-1);
  if (!chosen) return;
  const layer = LAYER_WEIGHT.exec(chosen.name)![1];
  for (const w of weights) if (w !== chosen) roles.set(w, 'ignore');
  for (const b of arrays.filter((a) => roles.get(a) === 'bias')) {
    const m = LAYER_WEIGHT.exec(b.name);
    if (m && m[1] !== layer) roles.set(b, 'ignore');
  }
}

/**
 * A one-letter name loses to the shape: `b` holding N integers (one per row of the features)
 * is the labels, not a bias of N classes.
 */
function labelsOverLetters<T extends ArrayInfo>(
  arrays: readonly T[],
  roles: Map<T, Role>,
  weak: ReadonlySet<T>,
  contextFeatures?: readonly number[],
): void {
  if (arrays.some((a) => roles.get(a) === 'labels' && !weak.has(a))) return;
  const features = arrays.find((a) => roles.get(a) === 'features')?.shape ?? contextFeatures;
  const n = features?.[0];
  const hits = arrays.filter(
    (a) =>
      weak.has(a) &&
      roles.get(a) === 'bias' &&
      a.shape.length === 1 &&
      a.shape[0] === n &&
      INTEGRAL.has(a.dtype),
  );
  if (hits.length === 1) roles.set(hits[0], 'labels');
}

/**
 * Test-named labels with no training labels beside them are the only split there is: they
 * label the features (`mnist_small_test_input_labels.npy` beside the inputs it labels).
 */
function onlySplit<T extends ArrayInfo>(arrays: readonly T[], roles: Map<T, Role>): void {
  const has = (r: Role) => arrays.filter((a) => roles.get(a) === r);
  if (has('labels').length || has('test_features').length) return;
  const testLabels = has('test_labels');
  const features = has('features');
  if (testLabels.length === 1 && features.length === 1) {
    if (testLabels[0].shape[0] === features[0].shape[0]) roles.set(testLabels[0], 'labels');
  }
}

/** One array called `layer3` and nothing called features: that layer is the features. */
function promoteSingleLayer<T extends ArrayInfo>(arrays: readonly T[], roles: Map<T, Role>): void {
  const layers = arrays.filter((a) => roles.get(a) === 'layer');
  const hasFeatures = arrays.some((a) => roles.get(a) === 'features');
  if (layers.length === 1 && !hasFeatures) roles.set(layers[0], 'features');
}

function fillByShape<T extends ArrayInfo>(
  unnamed: T[],
  featureShape: number[],
  roles: Map<T, Role>,
  taken: (r: Role) => boolean,
): void {
  const n = featureShape[0];
  const d = product(featureShape.slice(1));
  const pick = (role: Role, test: (a: T) => boolean): void => {
    if (taken(role)) return;
    const hits = unnamed.filter((a) => !roles.has(a) && test(a));
    if (hits.length === 1) roles.set(hits[0], role);
  };
  pick('labels', (a) => a.shape.length === 1 && a.shape[0] === n && INTEGRAL.has(a.dtype));
  pick('weight', (a) => a.shape.length === 2 && a.shape[0] !== n && a.shape.includes(d));
  // Logits only by shape when a weight tells C: an unnamed N×k array may be raw inputs.
  const weight = [...roles].find(([, r]) => r === 'weight')?.[0];
  const c =
    weight?.shape.length === 2 ? (weight.shape[1] === d ? weight.shape[0] : weight.shape[1]) : 0;
  pick('logits', (a) => a.shape.length === 2 && a.shape[0] === n && a.shape[1] === c);
}
