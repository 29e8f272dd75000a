/**
 * The comparison report (`nc-lens report --compare A B …`, the app's Export → Comparison
 * report): a summary table of the runs, the comparison table at a chosen epoch (or each run's
 * last point) with differences and ratios to the first run, the overlaid trajectories of every
 * metric (shared/charts/registry.ts `compareCharts`, the app's charts), and an appendix per run
 * with its own summary (the single-run report's section).
 */
import { formatValue, lineChart } from '../../shared/charts/index.ts';
import { compareCharts, type RunLogEntry, type XAxisChoice } from '../../shared/charts/registry.ts';
import { comparisonTable } from '../../shared/compare.ts';
import { formatBytes } from '../../shared/format.ts';
import { reportPoints } from '../../shared/points.ts';
import type { AnalysisResult } from '../../shared/schema.ts';
import { version } from '../version.ts';
import { contextOf, reportDate } from './index.ts';
import { summary, type InputFile } from './sections.ts';
import { ReportWriter, type Column } from './writer.ts';

export interface ComparisonRun {
  id: string;
  name: string;
  result: AnalysisResult;
  inputs?: InputFile[];
  log?: RunLogEntry[];
}

export interface ComparisonOptions {
  title?: string;
  /** The epoch of the comparison table; null: each run's last point. */
  at?: number | null;
  x?: XAxisChoice;
  date?: Date;
}

function describeRun(r: ComparisonRun): string[] {
  const points = reportPoints(r.result);
  const last = points[points.length - 1].metrics;
  const kind =
    r.result.schema === 'nc-lens/series@1'
      ? `${points.length} ${r.result.kind === 'epochs' ? 'epochs' : 'layers'}`
      : 'one dump';
  const xs =
    r.result.schema === 'nc-lens/series@1' && r.result.kind === 'epochs'
      ? points.map((p) => p.x).join(', ')
      : '';
  return [
    r.name,
    xs ? `${kind}: ${xs}` : kind,
    `${last.n} / ${last.d} / ${last.c}`,
    r.result.settings.centering,
    String(r.inputs?.length ?? '—'),
  ];
}

export async function renderComparison(
  runs: readonly ComparisonRun[],
  opts: ComparisonOptions = {},
): Promise<Uint8Array> {
  const title = opts.title?.trim() || 'Neural Collapse comparison';
  const date = reportDate({ date: opts.date });
  const w = new ReportWriter({ title, creator: `NC Lens ${version}`, date });
  const doc = w.doc;
  doc.outline.addItem('Overview');
  doc.fontSize(20).text(title, w.left, doc.y, { width: w.width });
  doc.moveDown(0.2);
  w.paragraph(
    `Comparison of ${runs.length} runs, written by NC Lens ${version} on ${date.toISOString().slice(0, 10)}`,
    { muted: true, size: 10 },
  );

  w.heading('Runs');
  const runCols: Column[] = [
    { header: 'Run', width: 110 },
    { header: 'Points', width: w.width - 110 - 90 - 80 - 50 },
    { header: 'N / D / C (last)', width: 90, align: 'right' },
    { header: 'Centering', width: 80 },
    { header: 'Files', width: 50, align: 'right' },
  ];
  w.table(runCols, runs.map(describeRun), { fontSize: 8 });

  const table = comparisonTable(runs, opts.at ?? null);
  w.heading(
    table.at === null ? 'Comparison at each run’s last point' : `Comparison at epoch ${table.at}`,
  );
  w.paragraph(
    `Values of each run ${table.points.map((p) => `${p.name}: ${p.where}`).join('; ')}. ` +
      `Δ is a run’s value minus that of ${runs[0].name} (the reference); × is their ratio.`,
    { size: 9 },
  );
  const others = runs.slice(1);
  const metricW = 104;
  const cellW = Math.min(64, (w.width - metricW) / (runs.length + 2 * others.length));
  const cols: Column[] = [
    { header: 'Metric', width: metricW },
    ...runs.map((r) => ({ header: r.name, width: cellW, align: 'right' as const })),
    ...others.flatMap((r) => [
      { header: `Δ ${r.name}`, width: cellW, align: 'right' as const },
      { header: `× ${r.name}`, width: cellW, align: 'right' as const },
    ]),
  ];
  const rows = table.rows.map((row) => [
    row.label,
    ...row.values.map((v) => formatValue(v)),
    ...others.flatMap((_, i) => [formatValue(row.diffs[i + 1]), formatValue(row.ratios[i + 1])]),
  ]);
  w.table(cols, rows, { fontSize: 7.5 });

  const charts = compareCharts(runs, { x: opts.x, width: 520, height: 270 });
  if (charts.length) {
    w.newPage();
    w.heading('Trajectories, run against run', 1, 300);
    w.paragraph(
      'One chart per metric; one colour per run (' +
        runs.map((r) => r.name).join(', ') +
        '); solid lines: training split, dashed: test split.',
      { size: 9 },
    );
    for (const c of charts) w.svg(lineChart(c.options));
  }

  runs.forEach((r, i) => {
    w.newPage();
    w.heading(`Appendix ${String.fromCharCode(65 + (i % 26))}: run ${r.name}`);
    const inputs = r.inputs ?? [];
    w.fields([
      [
        'Input files',
        inputs.length
          ? inputs
              .map(
                (f) =>
                  `${f.file}: ${formatBytes(f.bytes)}${f.sha256 ? `, SHA-256 ${f.sha256.slice(0, 16)}…` : ''}`,
              )
              .join('\n')
          : 'not recorded',
      ],
      ['Centering', r.result.settings.centering],
    ]);
    summary(w, contextOf(r.result, { title: r.name, inputs, date }));
  });
  w.footers(`${title} · NC Lens ${version}`);
  return w.finish();
}
