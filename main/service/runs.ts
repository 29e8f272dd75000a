/**
 * How a run is named when the user has not named it: the demo is `demo`; a series by what its
 * point labels share (`mnist_small`, as its export file names); one dump by its file name;
 * else `run N`. A name already taken gets ` (2)`, ` (3)`, … so every run reads apart.
 */
import type { SessionState } from '../../shared/api.ts';
import { runName } from './export.ts';

export function uniqueRunName(
  state: SessionState,
  demo: boolean,
  taken: readonly string[],
  position: number,
): string {
  const used = state.files.filter((f) => !f.ignored).map((f) => f.name);
  const base =
    (demo ? 'demo' : undefined) ??
    (state.result ? runName(state.result) : undefined) ??
    (used.length === 1 ? used[0].replace(/\.[^.]+$/, '') : undefined) ??
    `run ${position}`;
  if (!taken.includes(base)) return base;
  for (let k = 2; ; k++) if (!taken.includes(`${base} (${k})`)) return `${base} (${k})`;
}
