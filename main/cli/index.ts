/**
 * `nc-lens` command-line entry. Each subcommand lives in its own module exporting
 * `run(argv): Promise<number>`. Exit codes: 0 success, 2 bad input, 1 internal error.
 */
import { isNcLensError } from '../../shared/errors.ts';
import { didYouMean } from './suggest.ts';

const commands: Record<
  string,
  { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }
> = {
  inspect: {
    summary: 'list the arrays in activation files and their guessed roles',
    load: () => import('./inspect.ts'),
  },
  analyze: { summary: 'compute the Neural Collapse metrics', load: () => import('./analyze.ts') },
  report: { summary: 'write a PDF report', load: () => import('./report.ts') },
  serve: { summary: 'open the app in a browser (loopback only)', load: () => import('./serve.ts') },
  stats: {
    summary: 'partial sums of one pass over some shards (.ncstats)',
    load: () => import('./stats.ts'),
  },
  cache: {
    summary: 'the results cached per epoch dump: info, or clear them',
    load: () => import('./cache.ts'),
  },
  merge: {
    summary: 'add up .ncstats parts of disjoint shards',
    load: () => import('./stats-merge.ts'),
  },
  status: {
    summary: 'where a sharded run stands; its result once finished',
    load: () => import('./stats-status.ts'),
  },
};

/** Other spellings of commands (British English). */
const ALIASES: Record<string, string> = { analyse: 'analyze' };

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `usage: nc-lens <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun nc-lens <command> --help for its options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('../version.ts');
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const cmd = commands[ALIASES[name] ?? name];
  if (!cmd) {
    const known = [...Object.keys(commands), ...Object.keys(ALIASES)];
    const hint = didYouMean(name, known) || `; commands: ${Object.keys(commands).join(', ')}`;
    process.stderr.write(`nc-lens: unknown command '${name}'${hint}\n`);
    return 2;
  }
  try {
    const mod = await cmd.load();
    return await mod.run(rest);
  } catch (e) {
    if (isNcLensError(e)) {
      process.stderr.write(`nc-lens ${name}: ${e.message}\n`);
      return e.code === 'bad-input' ? 2 : e.code === 'cancelled' ? 130 : 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`nc-lens ${name}: internal error: ${msg.split('\n')[0]}\n`);
    if (process.env.NC_LENS_DEBUG) console.error(e);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
