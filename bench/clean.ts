/**
 * `npm run bench -- clean`: removes .bench/ (the benchmarks' generated data, bundles and
 * results), saying how much it frees.
 */
import { existsSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BENCH_DIR } from './lib/data.ts';

export async function run(): Promise<void> {
  if (!existsSync(BENCH_DIR)) {
    console.log(`${BENCH_DIR}: nothing to remove`);
    return;
  }
  const du = spawnSync('du', ['-sh', BENCH_DIR], { encoding: 'utf8' });
  const size = du.status === 0 ? du.stdout.split('\t')[0] : '?';
  rmSync(BENCH_DIR, { recursive: true, force: true });
  console.log(`removed ${BENCH_DIR} (${size})`);
}
