// Where Electron's zip comes from, for `npm start` (first-start download) and `npm run dist`
// (electron-builder): its name and URL as @electron/get builds them, the cache folders it and
// electron-builder use, and whether the mirror answers, with the reason in words when not.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const DEFAULT_MIRROR = 'https://github.com/electron/electron/releases/download/';

/** The user's cache folder (XDG on Linux), where NC Lens, @electron/get and electron-builder keep theirs. */
export function userCacheDir(env = process.env, platform = process.platform) {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches');
  if (platform === 'win32') return env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  return env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

/** The folders @electron/get and electron-builder cache their downloads in. */
export function cacheDirs(env = process.env) {
  const base = userCacheDir(env);
  return {
    electron: env.electron_config_cache || env.ELECTRON_CACHE || join(base, 'electron'),
    builder: env.ELECTRON_BUILDER_CACHE || join(base, 'electron-builder'),
  };
}

/** The installed electron package's version, its zip for this machine and the zip's URL. */
export function electronZip(env = process.env) {
  const pkg = join(dirname(require.resolve('electron/package.json')), 'package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8'));
  const name = `electron-v${version}-${process.platform}-${process.arch}.zip`;
  const mirror = (env.ELECTRON_MIRROR || DEFAULT_MIRROR).replace(/\/?$/, '/');
  return { version, name, url: `${mirror}v${version}/${name}` };
}

/** Whether `dir`, or a folder in it (@electron/get names them by URL hash), holds `file`. */
export function cacheHolds(dir, file) {
  if (!existsSync(dir)) return false;
  if (existsSync(join(dir, file))) return true;
  return readdirSync(dir, { withFileTypes: true }).some(
    (e) => e.isDirectory() && existsSync(join(dir, e.name, file)),
  );
}

/** Null when `url` answers a HEAD request, else why not in words (offline, refused, …). */
export async function unreachable(url, timeoutMs = 8000) {
  const host = new URL(url).host;
  try {
    const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return r.ok ? null : `${host} answered HTTP ${r.status}`;
  } catch (e) {
    const code = e?.cause?.code ?? e?.cause?.errors?.[0]?.code ?? e?.name;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `${host} could not be found (offline, or no DNS)`;
    if (code === 'ECONNREFUSED') return `${host} refused the connection`;
    if (code === 'TimeoutError' || code === 'ETIMEDOUT')
      return `${host} did not answer within ${timeoutMs / 1000} s`;
    return `${host} could not be reached (${e?.cause?.message ?? code ?? 'unknown error'})`;
  }
}
