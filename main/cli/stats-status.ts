/**
 * `nc-lens status DIR`: where a sharded run (analyze --shards, its --workdir) stands; when it
 * has finished, its metrics, written to the --json file the run was given (or --json OUT).
 */
import { badInput } from '../../shared/errors.ts';
import { optionLines, parseOptions, type OptionTable } from './inputs.ts';

const OPTIONS: OptionTable = {
  json: { type: 'string', arg: 'OUT', help: "write the result to OUT ('-': stdout)" },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions('status', OPTIONS, argv);
  if (values.help) {
    process.stdout.write(
      ['usage: nc-lens status DIR [--json OUT]', '', 'options:', ...optionLines(OPTIONS)].join(
        '\n',
      ) + '\n',
    );
    return 0;
  }
  if (positionals.length !== 1) {
    throw badInput(undefined, 'one run folder (nc-lens status DIR)', `${positionals.length}`);
  }
  const json = typeof values.json === 'string' ? values.json : undefined;
  const { status } = await import('./stats-analyze.ts');
  const s = await status(positionals[0], json === '-' ? undefined : json);
  if (json === '-' && s.result) process.stdout.write(JSON.stringify(s.result, null, 2) + '\n');
  else process.stdout.write(s.lines.join('\n') + '\n');
  return 0;
}
