// `npm start`: the Electron window when Electron's binary is here; otherwise one line saying
// why, and the browser shell in the default browser. Never triggers Electron's download
// (requiring the electron package would) and never prints a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronZip, unreachable, userCacheDir } from './electron-zip.js';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

/** The Electron executable, or why there is none, found the way the electron package would. */
export function electronBinary(env = process.env) {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? join(override, relative || 'electron')
    : relative && join(pkgDir, 'dist', relative);
  if (binary && existsSync(binary)) return { binary };
  return {
    reason: override
      ? `ELECTRON_OVERRIDE_DIST_PATH has no Electron binary (${binary})`
      : "Electron's binary is not downloaded (it is fetched on first start where the internet is reachable)",
  };
}

/** Whether dist/ has what this start needs (the CLI itself also runs from source). */
function built(withElectron) {
  const needs = ['dist/renderer/index.html', ...(withElectron ? ['dist/electron/main.cjs'] : [])];
  return needs.every((f) => existsSync(join(root, f)));
}

/**
 * Why no window can open here whatever Electron does (a Linux session without a display, or
 * the user asked for the browser), or null.
 */
function noWindowReason(env = process.env) {
  if (env.NC_LENS_BROWSER) return 'NC_LENS_BROWSER is set';
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

/** How long a failed Electron download is remembered before the next start tries again. */
const RETRY_AFTER_MS = 24 * 3600_000;
const RETRY_FLAG = '--retry-electron';

/** Where a failed download is remembered: a marker in the user's cache folder. */
export function failureMarker(env = process.env) {
  return join(userCacheDir(env), 'nc-lens', 'electron-download-failed.json');
}

/** The remembered failure for this Electron version, if it is recent enough to trust. */
function recentFailure(version, env, now = Date.now()) {
  try {
    const m = JSON.parse(readFileSync(failureMarker(env), 'utf8'));
    return m.version === version && now - m.time < RETRY_AFTER_MS ? m : null;
  } catch {
    return null;
  }
}

function rememberFailure(version, reason, env) {
  try {
    mkdirSync(dirname(failureMarker(env)), { recursive: true });
    writeFileSync(failureMarker(env), JSON.stringify({ version, reason, time: Date.now() }) + '\n');
  } catch {
    // An unwritable cache only means the next start tries again.
  }
}

const LATER = `for the desktop window, run \`npm start -- ${RETRY_FLAG}\` once online (a start retries by itself a day later)`;

/**
 * Electron 42+ fetches its binary on first start. Check first that its host answers (offline
 * this says why in words within seconds), then download once; a failure is remembered for a
 * day so that later starts go straight to the browser shell.
 */
async function downloadElectron(retry, env = process.env) {
  let install;
  let zip;
  try {
    install = join(dirname(require.resolve('electron/package.json')), 'install.js');
    zip = electronZip(env);
  } catch {
    return electronBinary(env);
  }
  const known = retry ? null : recentFailure(zip.version, env);
  if (known) {
    const when = new Date(known.time).toISOString().slice(0, 16).replace('T', ' ');
    return { reason: `Electron's download failed at ${when} UTC (${known.reason}); ${LATER}` };
  }
  if (retry) rmSync(failureMarker(env), { force: true });
  console.log(`NC Lens: fetching the Electron ${zip.version} binary (first start only)…`);
  let why = await unreachable(zip.url);
  if (!why) {
    const r = spawnSync(process.execPath, [install], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 5 * 60_000,
    });
    const found = electronBinary(env);
    if (found.binary) return found;
    why =
      String(r.stderr ?? '')
        .split('\n')
        .find((l) => /error/i.test(l))
        ?.trim() ?? `the download stopped (exit ${r.status ?? r.signal})`;
  }
  rememberFailure(zip.version, why, env);
  return { reason: `Electron's binary could not be downloaded: ${why}; ${LATER}` };
}

async function main() {
  const retry = process.argv.includes(RETRY_FLAG);
  const serveArgs = process.argv.slice(2).filter((a) => a !== RETRY_FLAG);
  const noWindow = noWindowReason();
  const override = Boolean(process.env.ELECTRON_OVERRIDE_DIST_PATH);
  let electron = noWindow && !override ? { reason: noWindow } : electronBinary();
  if (!electron.binary && !noWindow && !override) electron = await downloadElectron(retry);
  if (electron.binary && noWindow) electron = { reason: noWindow };
  if (!built(Boolean(electron.binary))) {
    console.log('NC Lens: building the app first (npm run build)…');
    const r = spawnSync(process.execPath, [join(root, 'scripts/build.js')], {
      stdio: 'inherit',
      cwd: root,
    });
    if (r.status !== 0) {
      console.error('NC Lens: the build failed; see the messages above.');
      process.exit(1);
    }
  }
  const args = electron.binary
    ? [electron.binary, [root]]
    : [process.execPath, [join(root, 'bin/nc-lens.js'), 'serve', ...serveArgs]];
  if (!electron.binary)
    console.log(
      `NC Lens: no desktop window: ${electron.reason}; opening the browser shell instead.`,
    );
  const child = spawn(args[0], args[1], { stdio: 'inherit', cwd: root });
  child.on('error', (e) => {
    console.error(`NC Lens: could not start ${args[0]}: ${e.message}`);
    process.exit(1);
  });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) await main();
