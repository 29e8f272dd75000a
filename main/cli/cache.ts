/**
 * `nc-lens cache [clear|info]`: the results cached per epoch dump (main/cache/results.ts), in
 * the user's cache folder: how much it holds, or emptied.
 */
import { badInput } from '../../shared/errors.ts';
import { formatBytes } from '../../shared/format.ts';
import { cacheDir, cacheSize, clearCache } from '../cache/results.ts';

const HELP = `usage: nc-lens cache [info|clear]

Results are cached per epoch dump (by path, size, modification time and a digest of the
file's header), so reopening a run folder recomputes nothing. They live in
${cacheDir()}
(NC_LENS_CACHE_DIR, else $XDG_CACHE_HOME/nc-lens/results, else ~/.cache/nc-lens/results).
  info   how many results the cache holds, and their size (the default)
  clear  remove them all`;

export async function run(argv: string[]): Promise<number> {
  const [action = 'info', ...rest] = argv;
  if (action === '--help' || action === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (rest.length || (action !== 'info' && action !== 'clear')) {
    throw badInput(
      undefined,
      "'nc-lens cache info' or 'nc-lens cache clear'",
      `'${argv.join(' ')}'`,
    );
  }
  const dir = cacheDir();
  const { entries, bytes } = action === 'clear' ? await clearCache(dir) : await cacheSize(dir);
  const what = `${entries} cached result${entries === 1 ? '' : 's'} (${formatBytes(bytes)})`;
  process.stdout.write(
    action === 'clear' ? `removed ${what} from ${dir}\n` : `${what} in ${dir}\n`,
  );
  return 0;
}
