/**
 * `nc-lens merge A.ncstats B.ncstats ... -o merged.ncstats`: the statistics of the union of
 * the parts' rows (main/stats/compute.ts mergeStats: associative and commutative; refuses
 * parts of different settings, means or classifiers, and overlapping shards).
 */
import { badInput } from '../../shared/errors.ts';
import { optionLines, parseOptions, type OptionTable } from './inputs.ts';
import { checkOutputPaths } from './outputs.ts';

const OPTIONS: OptionTable = {
  output: { type: 'string', short: 'o', arg: 'OUT', help: 'the merged statistics file to write' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('merge', OPTIONS, argv);
  if (values.help) {
    process.stdout.write(
      [
        'usage: nc-lens merge PART.ncstats... -o merged.ncstats',
        '',
        'Adds up statistics files of disjoint shards (same pass, settings and means).',
        'Pass-2 parts made with --plan P merge with P among them: nc-lens merge p2-*.ncstats P -o M.',
        '',
        'options:',
        ...optionLines(OPTIONS),
      ].join('\n') + '\n',
    );
    return 0;
  }
  const out = typeof values.output === 'string' ? values.output : undefined;
  if (!out) throw badInput(undefined, '-o OUT.ncstats', 'no output');
  checkOutputPaths([out]);
  if (!positionals.length) throw badInput(undefined, 'statistics files to merge', 'none');
  const { readStats, writeStats } = await import('../stats/format.ts');
  const { Merger } = await import('../stats/compute.ts');
  // one part in memory at a time, whatever their number
  const merger = new Merger();
  for (const p of positionals) merger.add(await readStats(p), p);
  await writeStats(out, merger.result());
  return 0;
}
