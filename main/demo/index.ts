/**
 * The built-in demo: an MLP trained on MNIST into the terminal phase, dumped at log-spaced
 * epochs by `npm run make-demo` (scripts/make-demo.ts) into main/demo/assets/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NcLensError } from '../../shared/errors.ts';

export interface DemoEpoch {
  epoch: number;
  /** Mean cross-entropy on the train set (without the weight-decay term). */
  loss: number;
  train_accuracy: number;
  test_accuracy: number;
}

export interface DemoInfo {
  description: string;
  /** Layer widths, input to classes. */
  architecture: number[];
  train_samples: number;
  test_samples: number;
  seed: number;
  /** The dumped epochs, in epoch order; `file` is relative to the assets folder. */
  dumps: { epoch: number; file: string }[];
  /** One entry per training epoch. */
  log: DemoEpoch[];
}

/**
 * The package root: the nearest folder above this module holding package.json. The same
 * walk works from the TypeScript source (main/demo/) and from the bundle (dist/cli.js).
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new NcLensError('internal', 'demo: no package.json above the app');
    dir = parent;
  }
  return dir;
}

/** Absolute path of main/demo/assets/. */
export function demoAssetsDir(): string {
  return join(packageRoot(), 'main', 'demo', 'assets');
}

/** The training log and the list of dumps (main/demo/assets/demo.json). */
export function demoInfo(): DemoInfo {
  const file = join(demoAssetsDir(), 'demo.json');
  if (!existsSync(file))
    throw new NcLensError('internal', `${file}: demo assets missing; run npm run make-demo`, file);
  return JSON.parse(readFileSync(file, 'utf8')) as DemoInfo;
}

/** Absolute paths of the demo .npz dumps, in epoch order. */
export function demoFiles(): string[] {
  const dir = demoAssetsDir();
  return demoInfo().dumps.map((d) => join(dir, d.file));
}
