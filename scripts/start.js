// `npm start`: the Electron window when Electron's binary is here; otherwise one line saying
// why, and the browser shell in the default browser. Never triggers Electron's download
// (requiring the electron package would) and never prints a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/**
 * Electron 42+ fetches its binary on first start. Try that once (quietly, bounded in time);
 * offline it fails within seconds and the browser shell takes over.
 */
function downloadElectron() {
  let install;
  try {
    install = join(dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return electronBinary();
  }
  console.log('NC Lens: fetching the Electron binary (first start only)…');
  const r = spawnSync(process.execPath, [install], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 5 * 60_000,
  });
  const found = electronBinary();
  if (found.binary) return found;
  const why = String(r.stderr ?? '')
    .split('\n')
    .find((l) => /error/i.test(l))
    ?.trim();
  return { reason: `Electron's binary could not be downloaded${why ? ` (${why})` : ''}` };
}

function main() {
  const noWindow = noWindowReason();
  const override = Boolean(process.env.ELECTRON_OVERRIDE_DIST_PATH);
  let electron = noWindow && !override ? { reason: noWindow } : electronBinary();
  if (!electron.binary && !noWindow && !override) electron = downloadElectron();
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
    : [process.execPath, [join(root, 'bin/nc-lens.js'), 'serve', ...process.argv.slice(2)]];
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

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) main();
