// `npm run dist`: the installers (electron-builder.yml). electron-builder downloads the Electron
// zip and its packaging tools; offline it ends in a stack trace after a full build and leaves an
// empty release/. So first check that the zip can be had (cached or reachable), and when it
// cannot, say so in one line before building anything; on failure leave no empty release/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDirs, cacheHolds, electronZip, unreachable } from './electron-zip.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const release = join(root, 'release');

const nonEmpty = (dir) => existsSync(dir) && readdirSync(dir).length > 0;

/**
 * Null when electron-builder can get what it downloads (the mirror answers, or the Electron
 * zip and its tool bundles are cached), else the one line that says what is missing.
 */
export async function packagingBlocker(env = process.env) {
  const zip = electronZip(env);
  const dirs = cacheDirs(env);
  const why = await unreachable(zip.url);
  if (!why || (cacheHolds(dirs.electron, zip.name) && nonEmpty(dirs.builder))) return null;
  return (
    `npm run dist: cannot package without ${zip.name} (Electron ${zip.version}): ${why}, ` +
    `and it is not in ${dirs.electron}; run it once with internet ` +
    `(or set ELECTRON_MIRROR to a mirror that has it)`
  );
}

async function main() {
  const blocker = await packagingBlocker();
  if (blocker) {
    console.error(blocker);
    return 1;
  }
  const hadRelease = existsSync(release);
  const run = (args) =>
    spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
  let status = run([join(root, 'scripts/build.js')]);
  if (status === 0) {
    const builder = join(root, 'node_modules/electron-builder/cli.js');
    status = run([builder, '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
  }
  if (status !== 0) {
    if (!hadRelease && existsSync(release) && !nonEmpty(release))
      rmSync(release, { recursive: true });
    console.error('npm run dist: packaging failed; see the messages above.');
  }
  return status;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
