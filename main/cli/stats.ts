/**
 * `nc-lens stats pass1|plan|pass2 SHARD... -o part.ncstats`: the partial sums of one pass
 * over some shards, as a statistics file (docs/stats-format.md). `nc-lens merge` adds parts
 * up; `nc-lens analyze --from-stats` turns merged pass-2 statistics into the metrics.
 */
import { badInput } from '../../shared/errors.ts';
import { openDataset } from '../io/index.ts';
import type { ClassifierGiven } from '../stats/compute.ts';
import type { StatsSettings } from '../stats/format.ts';
import type { ShardSpec } from '../stats/shards.ts';
import {
  centeringOf,
  optionLines,
  parseOptions,
  str,
  threadsOf,
  type OptionTable,
} from './inputs.ts';
import { checkOutputPaths } from './outputs.ts';

export const STATS_OPTIONS: OptionTable = {
  output: { type: 'string', short: 'o', arg: 'OUT', help: 'the statistics file to write' },
  rows: { type: 'string', arg: 'A:B', help: 'rows A to B (exclusive) of the one file given' },
  means: {
    type: 'string',
    arg: 'M',
    help: 'pass2/plan: merged pass-1 statistics (nc-lens merge of pass1 parts)',
  },
  plan: { type: 'string', arg: 'P', help: 'pass2: a plan (nc-lens stats plan) instead of --means' },
  weight: { type: 'string', arg: 'W', help: 'pass2/plan: classifier weight (C×D, or D×C)' },
  bias: { type: 'string', arg: 'B', help: 'pass2/plan: classifier bias (C)' },
  features: { type: 'string', arg: 'NAME', help: "the shards' features array (default: guessed)" },
  labels: { type: 'string', arg: 'NAME', help: "the shards' labels array (default: guessed)" },
  centering: {
    type: 'string',
    arg: 'MODE',
    aliases: ['centring'],
    help: 'pass1: global mean: class-means (default) or samples',
  },
  samples: {
    type: 'boolean',
    help: "plan/pass2 --means: also the sample cloud (analyze's geometry.samples), as a reservoir",
  },
  threads: { type: 'string', arg: 'N', help: 'compute threads (default: all cores)' },
  digests: {
    type: 'string',
    arg: 'FILE',
    help: 'cache of shard content digests (a run keeps one in its workdir)',
  },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

function usage(): string {
  return [
    'usage: nc-lens stats pass1 SHARD... [--rows A:B] -o part1.ncstats',
    '       nc-lens stats plan  SHARD --means merged1.ncstats [--weight W --bias B] [--samples] -o plan.ncstats',
    '       nc-lens stats pass2 SHARD... (--means merged1.ncstats [--weight W --bias B] [--samples] | --plan plan.ncstats) -o part2.ncstats',
    '',
    'The partial sums of one pass over the rows of some shards (row blocks of one dataset).',
    'Merge parts with `nc-lens merge`; metrics with `nc-lens analyze --from-stats`.',
    '',
    'options:',
    ...optionLines(STATS_OPTIONS),
  ].join('\n');
}

/** The classifier as a plain `analyze` of that shard reads it (weight, bias, or its logits). */
export async function readClassifier(
  shard: ShardSpec,
  settings: StatsSettings,
  weight: string | undefined,
  bias: string | undefined,
): Promise<ClassifierGiven> {
  const opened = await openDataset([shard.file], {
    ...(settings.features ? { features: settings.features } : {}),
    ...(settings.labels ? { labels: settings.labels } : {}),
    ...(weight ? { weight } : {}),
    ...(bias ? { bias } : {}),
  });
  try {
    const ds = opened.dataset;
    const warnings = [...ds.warnings];
    return {
      weight: ds.weight,
      bias: ds.bias,
      logits: !ds.weight && ds.train.logits !== undefined,
      warnings,
    };
  } finally {
    await opened.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [pass, ...rest] = argv;
  if (!pass || pass === '--help' || pass === '-h') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (pass !== 'pass1' && pass !== 'pass2' && pass !== 'plan') {
    throw badInput(undefined, 'nc-lens stats pass1, plan or pass2', `'${pass}'`);
  }
  const { values, positionals } = parseOptions(`stats ${pass}`, STATS_OPTIONS, rest);
  if (values.help) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const out = str(values, 'output');
  if (!out) throw badInput(undefined, '-o OUT.ncstats', 'no output');
  checkOutputPaths([out]);
  if (!positionals.length)
    throw badInput(undefined, 'shard files (nc-lens stats pass1 SHARD...)', 'none');
  const { Digests, resolveShards } = await import('../stats/shards.ts');
  const { pass1Stats, pass2Stats, planStats } = await import('../stats/compute.ts');
  const { readStats, writeStats } = await import('../stats/format.ts');
  const specs = await resolveShards(positionals, str(values, 'rows'));
  const digests = new Digests(str(values, 'digests'));
  const threads = threadsOf(values);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let bytes: Uint8Array;
    if (pass === 'pass1') {
      const settings: StatsSettings = {
        centering: centeringOf(values),
        features: str(values, 'features') ?? null,
        labels: str(values, 'labels') ?? null,
      };
      bytes = await pass1Stats(specs, digests, { settings, threads, signal: controller.signal });
    } else {
      const planFile = str(values, 'plan');
      const meansFile = str(values, 'means');
      if (pass === 'plan' || !planFile) {
        if (!meansFile)
          throw badInput(undefined, `--means merged1.ncstats with stats ${pass}`, 'none');
        const merged1 = await readStats(meansFile);
        const classifier = await readClassifier(
          specs[0],
          merged1.header.settings,
          str(values, 'weight'),
          str(values, 'bias'),
        );
        const planBytes = await planStats(merged1, classifier, {
          threads,
          signal: controller.signal,
          samples: values.samples === true,
        });
        if (pass === 'plan') {
          await writeStats(out, planBytes);
          await digests.save();
          return 0;
        }
        const { decodeStats } = await import('../stats/format.ts');
        const plan = decodeStats(planBytes, meansFile);
        // no plan file: the parts carry the plan, so their merge gives the metrics alone
        bytes = await pass2Stats(specs, plan, meansFile, digests, {
          threads,
          signal: controller.signal,
          embedPlan: true,
        });
      } else {
        if (values.weight || values.bias || values.samples) {
          throw badInput(
            planFile,
            'no --weight/--bias/--samples with --plan (the plan holds the classifier and the cloud)',
            'both',
          );
        }
        const plan = await readStats(planFile);
        bytes = await pass2Stats(specs, plan, planFile, digests, {
          threads,
          signal: controller.signal,
        });
      }
    }
    await writeStats(out, bytes);
    await digests.save();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
