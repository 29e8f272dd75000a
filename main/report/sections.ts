/** The report's sections, in order; each draws onto the writer from the shared context. */
import { basename } from 'node:path';
import {
  etfView,
  formatTick,
  formatValue,
  heatmap,
  heatmapSpread,
  histogram,
  lineChart,
  seriesColor,
  type LineSeries,
} from '../../shared/charts/index.ts';
import { formatBytes } from '../../shared/format.ts';
import { className } from '../../shared/class-names.ts';
import {
  HEATMAP_SVG_CLASSES,
  cosineMap,
  fullResolution,
  mapPixels,
  mapScale,
} from '../../shared/charts/cosine-map.ts';
import { heatmapLegend } from '../../shared/charts/heatmap.ts';
import { encodePng } from './raster.ts';
import { centredMeans, cosineMatrix, etfScene } from '../../shared/geometry.ts';
import {
  PER_CLASS_COLUMNS,
  REQUIREMENT_TEXT,
  metricName,
  type MetricName,
} from '../../shared/metric-names.ts';
import type { AnalysisResult, MetricsResult } from '../../shared/schema.ts';
import { FONTS } from './fonts.ts';
import {
  CHARTS,
  xAxis,
  type ChartDef,
  type RunLogEntry,
  type XAxisChoice,
} from '../../shared/charts/registry.ts';
import { METRIC_REFERENCES, REFERENCES } from './groups.ts';
import type { ReportPoint } from '../../shared/points.ts';
import type { Column, ReportWriter } from './writer.ts';

/** An analysed file as the title block lists it. */
export interface InputFile {
  file: string;
  bytes: number;
  sha256?: string;
}

/** Training accuracy at one epoch, from a training log. */
export interface TrainAccuracy {
  epoch: number;
  train_accuracy: number;
}

export interface ReportContext {
  result: AnalysisResult;
  points: ReportPoint[];
  last: ReportPoint;
  /** The point the 3D, heatmap, norm and per-class pages show (the one on screen in the app). */
  shown: ReportPoint;
  kind: 'single' | 'epochs' | 'layers';
  title: string;
  date: Date;
  version: string;
  inputs: InputFile[];
  viewPng?: Uint8Array;
  trainAccuracyLog?: TrainAccuracy[];
  /** The x axis of the trajectory charts (the app's choice; default: epochs, log past a decade). */
  x?: XAxisChoice;
  /** Steps and wall time per epoch, for those x axes. */
  runLog?: RunLogEntry[];
}

const hasTest = (ctx: ReportContext) => ctx.points.some((p) => p.metrics.test);

/** Where the per-point pages stand: ` at epoch 20 (the last point)`, or '' for one result. */
function where(ctx: ReportContext): string {
  if (ctx.kind === 'single') return '';
  const at = ctx.kind === 'epochs' ? `epoch ${ctx.shown.x}` : `layer ${ctx.shown.label}`;
  return ` at ${at} (${ctx.shown === ctx.last ? 'the last point' : 'the point selected in the app'})`;
}

function inputLines(ctx: ReportContext): string {
  if (ctx.inputs.length === 0) return 'not recorded';
  return ctx.inputs
    .map(
      (f) =>
        `${basename(f.file)}: ${formatBytes(f.bytes)} (${f.bytes} bytes)${f.sha256 ? `, SHA-256 ${f.sha256.slice(0, 16)}…` : ''}`,
    )
    .join('\n');
}

function dataLine(m: MetricsResult): string {
  let s = `N = ${m.n} samples, D = ${m.d} features, C = ${m.c} classes`;
  if (m.test) s += `\ntest split: N = ${m.test.n} samples, C = ${m.test.c} classes`;
  return s;
}

function seriesLine(ctx: ReportContext): string {
  const names = ctx.points.map((p) => (ctx.kind === 'epochs' ? String(p.x) : p.label));
  const shown = names.length > 24 ? [...names.slice(0, 10), '…', ...names.slice(-10)] : names;
  return `${ctx.points.length} ${ctx.kind === 'epochs' ? 'epochs' : 'layers'}: ${shown.join(', ')}`;
}

function engineLine(result: AnalysisResult, m: MetricsResult): string {
  const e = result.engine ?? m.engine;
  if (!e) return 'not recorded';
  // No run time here: it changes from run to run, and the same inputs must give the same bytes.
  return `${e.backend} backend, ${e.threads} thread${e.threads === 1 ? '' : 's'}`;
}

const CENTERING_TEXT = {
  'class-means': 'class-means (μ_G is the mean of the class means)',
  samples: 'samples (μ_G is the mean of all samples)',
};

function warnings(ctx: ReportContext): string[] {
  const all = [...ctx.result.warnings, ...ctx.points.flatMap((p) => p.metrics.warnings ?? [])];
  return [...new Set(all)];
}

export function titleBlock(w: ReportWriter, ctx: ReportContext): void {
  const doc = w.doc;
  doc.outline.addItem('Overview');
  doc.font(FONTS.bold).fontSize(20).text(ctx.title, w.left, doc.y, { width: w.width });
  doc.moveDown(0.2);
  w.paragraph(`Neural Collapse report, written by NC Lens ${ctx.version}`, {
    muted: true,
    size: 10,
  });
  doc.moveDown(0.5);
  const m = ctx.last.metrics;
  const rows: [string, string][] = [
    ['Input files', inputLines(ctx)],
    [
      'Data',
      dataLine(m) +
        (ctx.kind === 'single'
          ? ''
          : `\n(at the last point, ${ctx.kind === 'epochs' ? `epoch ${ctx.last.x}` : `layer ${ctx.last.label}`})`),
    ],
  ];
  if (ctx.kind !== 'single') rows.push(['Series', seriesLine(ctx)]);
  rows.push(
    ['Centering', CENTERING_TEXT[ctx.result.settings.centering]],
    ['Engine', engineLine(ctx.result, m)],
    ['NC Lens version', ctx.version],
    ['Date', ctx.date.toISOString().slice(0, 10)],
  );
  const warn = warnings(ctx);
  if (warn.length) rows.push(['Warnings', warn.join('\n')]);
  w.fields(rows);
}

function groupMetrics(group: ChartDef): MetricName[] {
  return group.keys.map(metricName);
}

function foldChange(first: number | null, last: number | null): string {
  if (first === null || last === null || first === 0) return '—';
  return `×${formatValue(last / first)}`;
}

export function summary(w: ReportWriter, ctx: ReportContext): void {
  w.heading('Summary');
  const test = hasTest(ctx);
  const series = ctx.kind !== 'single';
  const first = ctx.points[0].metrics;
  const last = ctx.last.metrics;
  const valueCols: Column[] = series
    ? [
        { header: 'First', width: 52, align: 'right' },
        { header: 'Last', width: 52, align: 'right' },
        { header: 'Change', width: 54, align: 'right' },
      ]
    : [{ header: test ? 'Train' : 'Value', width: 58, align: 'right' }];
  if (test)
    valueCols.push({
      header: series ? 'Test (last)' : 'Test',
      width: series ? 56 : 58,
      align: 'right',
    });
  const metricW = 104;
  const used = metricW + valueCols.reduce((a, c) => a + c.width, 0);
  const columns: Column[] = [
    { header: 'Metric', width: metricW },
    ...valueCols,
    { header: 'Meaning', width: w.width - used },
  ];
  const rows: string[][] = [];
  const groupRows = new Set<number>();
  for (const g of CHARTS) {
    groupRows.add(rows.length);
    rows.push([g.title]);
    for (const def of groupMetrics(g)) {
      const v = def.value(last);
      const cells = [def.label];
      if (series)
        cells.push(formatValue(def.value(first)), formatValue(v), foldChange(def.value(first), v));
      else cells.push(formatValue(v));
      if (test)
        cells.push(
          last.test && !def.splitFree
            ? formatValue(def.value(last.test))
            : def.splitFree
              ? 'same'
              : '—',
        );
      cells.push(
        v === null && def.requires
          ? `${def.meaning} (${REQUIREMENT_TEXT[def.requires]})`
          : def.meaning,
      );
      rows.push(cells);
    }
  }
  if (series)
    w.paragraph(
      `First and last: values at the first and last ${ctx.kind === 'epochs' ? 'epoch' : 'layer'} of the series (training split); change: last / first.`,
      { size: 8.5, muted: true },
    );
  w.table(columns, rows, { groupRows, fontSize: 8 });
  w.paragraph(
    'Values to 4 significant digits; “—” marks a metric the inputs cannot give. Full-precision values are in the JSON and CSV exports.',
    {
      size: 8,
      muted: true,
    },
  );
}

/** Epoch where training accuracy first reaches 100%: from the metrics, else from a training log. */
function terminalPhase(
  points: ReportPoint[],
  log?: TrainAccuracy[],
): { x: number; source: string } | null {
  const fromMetrics = points.find((p) => p.metrics.nc4.classifier_accuracy === 1);
  if (fromMetrics)
    return { x: fromMetrics.x, source: 'the classifier accuracy on the training split' };
  const hit = log?.find((e) => e.train_accuracy >= 1);
  return hit ? { x: hit.epoch, source: 'the training log' } : null;
}

function groupSeries(group: ChartDef, ctx: ReportContext, test: boolean): LineSeries[] {
  const out: LineSeries[] = [];
  groupMetrics(group).forEach((def, i) => {
    const train = ctx.points.map((p) => def.value(p.metrics));
    if (train.every((v) => v === null)) return;
    const color = seriesColor(i);
    out.push({
      name: test ? `${def.label} (train)` : def.label,
      values: train,
      color,
      key: def.key,
    });
    if (test && group.testLines) {
      const values = ctx.points.map((p) => (p.metrics.test ? def.value(p.metrics.test) : null));
      if (values.some((v) => v !== null))
        out.push({
          name: `${def.label} (test)`,
          values,
          color,
          dashed: true,
          key: `test_${def.key}`,
        });
    }
  });
  return out;
}

export function trajectories(w: ReportWriter, ctx: ReportContext): void {
  if (ctx.kind === 'single') return;
  // Keep the heading, its note and the first chart together.
  w.heading(ctx.kind === 'epochs' ? 'Trajectories over training' : 'Metrics across layers', 1, 330);
  const test = hasTest(ctx);
  const phase = ctx.kind === 'epochs' ? terminalPhase(ctx.points, ctx.trainAccuracyLog) : null;
  let note =
    ctx.kind === 'epochs'
      ? 'One chart per metric family against epoch, on a log axis except the log-kernel energy.'
      : 'One chart per metric family against layer index, on a log axis except the log-kernel energy.';
  if (test) note += ' Solid lines: training split; dashed: test split.';
  if (ctx.kind === 'epochs')
    note += !phase
      ? ' Training accuracy does not reach 100% at these points, so no terminal phase is marked.'
      : phase.x > ctx.last.x
        ? ` Training accuracy first reaches 100% at epoch ${phase.x} (from ${phase.source}), after the last point shown.`
        : ` The dashed vertical line marks the terminal phase of training, from epoch ${phase.x}, where training accuracy first reaches 100% (from ${phase.source}).`;
  w.paragraph(note, { size: 9 });
  // The registry's x axis, as the app draws it: epoch (log past a decade), step or wall time.
  const axis =
    ctx.result.schema === 'nc-lens/series@1' ? xAxis(ctx.result, ctx.x, ctx.runLog) : null;
  const x = axis?.x ?? ctx.points.map((p) => p.x);
  const onEpochs = axis === null || axis.quantity === 'epoch';
  for (const g of CHARTS) {
    const series = groupSeries(g, ctx, test);
    if (series.length === 0) continue;
    const svg = lineChart({
      title: g.title,
      x,
      xScale: axis?.scale,
      xTickLabels: ctx.kind === 'layers' ? ctx.points.map((p) => p.label) : undefined,
      xLabel: ctx.kind === 'epochs' ? (axis?.label ?? 'epoch') : 'layer',
      yLabel: 'value',
      series,
      yScale: g.yScale,
      marker:
        onEpochs && phase && phase.x <= ctx.last.x
          ? { x: phase.x, label: 'terminal phase (train acc. 100%)' }
          : undefined,
      width: 520,
      height: 290,
    });
    w.svg(svg);
  }
}

export function view3d(w: ReportWriter, ctx: ReportContext): void {
  w.newPage();
  w.heading('The simplex ETF in 3D');
  const m = ctx.shown.metrics;
  if (ctx.viewPng) {
    w.paragraph(`The 3D view as it was left in the app${where(ctx)}.`, { size: 9 });
    w.image(ctx.viewPng, 420);
    return;
  }
  const g = m.geometry;
  if (!g) {
    w.paragraph('The result carries no class means (geometry), so the 3D view cannot be drawn.', {
      muted: true,
    });
    return;
  }
  w.paragraph(
    `Class means μ_k − μ_G${where(ctx)}, projected to their three principal directions; the ideal simplex ETF with the same mean norm, aligned to the means by orthogonal Procrustes [7]; and a dashed line from each mean to its ideal vertex (the NC2 error)` +
      (g.weights
        ? '. Classifier rows are drawn as arrows, rescaled to the means’ norm (NC3).'
        : '. No classifier weight was given, so no classifier rows are drawn.'),
    { size: 9 },
  );
  const scene = etfScene({
    means: g.means,
    globalMean: g.global_mean,
    c: g.labels.length,
    d: m.d,
    weights: g.weights,
  });
  const focus = g.labels.length > FOCUS_CLASSES ? extremes(m) : undefined;
  if (focus)
    w.paragraph(
      `${g.labels.length.toLocaleString('en')} classes: every mean is drawn, but ideal vertices, error lines, classifier rows and labels only for ${focus.length} extremes (the largest within-class variances and the lowest NCC accuracies): ${focus.map((k) => className(m, g.labels[k])).join(', ')}.`,
      { size: 9 },
    );
  w.svg(etfView({ scene, labels: classLabels(m), width: 520, height: 470, focus }));
}

export function cosines(w: ReportWriter, ctx: ReportContext): void {
  const m = ctx.shown.metrics;
  const g = m.geometry;
  w.newPage();
  w.heading('Cosines between class means');
  if (!g) {
    w.paragraph(
      'The result carries no class means (geometry), so the cosine heatmap cannot be drawn.',
      { muted: true },
    );
    return;
  }
  const c = g.labels.length;
  if (c > HEATMAP_SVG_CLASSES) return cosineRaster(w, ctx, m);
  const values = cosineMatrix(centredMeans(g.means, g.global_mean, c, m.d));
  const spread = heatmapSpread(values);
  w.paragraph(
    `cos(μ_k − μ_G, μ_l − μ_G) for every pair of classes${where(ctx)}. The colour scale is centred on the simplex-ETF value −1/(C−1) = ${formatValue(c > 1 ? -1 / (c - 1) : 0)} and spans ±${formatTick(spread)} around it (the largest departure, rounded up): white pairs sit at the ideal angle, blue pairs are further apart, red pairs closer.`,
    { size: 9 },
  );
  w.svg(heatmap({ values, labels: classLabels(m), spread, interactive: false, width: 520 }), 470);
}

/** Beyond this many classes the 3D page marks only a few extreme classes (as the app does). */
const FOCUS_CLASSES = 100;

/** Class positions of the 3 largest within-class variances and the 3 lowest NCC accuracies. */
function extremes(m: MetricsResult): number[] {
  const rows = m.per_class;
  const idx = rows.map((_, k) => k);
  const top = (value: (k: number) => number | null) =>
    idx
      .filter((k) => value(k) !== null)
      .sort((a, b) => (value(b) as number) - (value(a) as number))
      .slice(0, 3);
  const low = (k: number) => {
    const v = rows[k].ncc_accuracy;
    return v === null ? null : -v;
  };
  return [...new Set([...top((k) => rows[k].within_var), ...top(low)])];
}

/** Each class position's name (or label) for the charts. */
function classLabels(m: MetricsResult): string[] {
  return (m.geometry?.labels ?? m.per_class.map((r) => r.label)).map((l) => className(m, l));
}

/** Print resolution of the raster heatmap: pixels per side at least. */
const RASTER_PX = 1400;

/**
 * Many classes: the clustered, block-averaged map (shared/charts/cosine-map.ts) as a raster at
 * print resolution beside its colour bar, with what was summarised.
 */
function cosineRaster(w: ReportWriter, ctx: ReportContext, m: MetricsResult): void {
  const map = cosineMap(m);
  if (!map) return;
  const scale = mapScale(map);
  const factor = Math.max(1, Math.ceil(RASTER_PX / map.blocks));
  const side = map.blocks * factor;
  const png = encodePng(mapPixels(map, scale, factor), side, side);
  const blockNote = fullResolution(map)
    ? 'one cell per pair of classes'
    : `summarised: the ${map.c.toLocaleString('en')} classes are cut into ${map.blocks} blocks of about ${Math.round(map.c / map.blocks)} consecutive classes, and each cell is the mean cosine over the pairs of two blocks (within a block, over its pairs k ≠ l); the app zooms into single pairs`;
  w.paragraph(
    `cos(μ_k − μ_G, μ_l − μ_G) for every pair of the ${map.c.toLocaleString('en')} classes${where(ctx)}, drawn as an image. Rows and columns are ordered by ${map.ordering}, a clustering that puts similar classes side by side; ${blockNote}. The colour scale is centred on the simplex-ETF value −1/(C−1) = ${formatValue(scale.centre)} and spans ${formatTick(Number(scale.lo.toPrecision(3)))} to ${formatTick(Number(scale.hi.toPrecision(3)))}: white blocks sit at the ideal angle, blue ones are further apart, red ones closer.`,
    { size: 9 },
  );
  const size = Math.min(w.width - 120, 380);
  w.ensureSpace(size + 8);
  const y = w.doc.y;
  w.doc.image(Buffer.from(png), w.left, y, { width: size, height: size });
  w.doc.y = y;
  w.svg(heatmapLegend(scale), 110, w.left + size + 10);
  w.doc.x = w.left;
  w.doc.y = y + size + 8;
  w.paragraph(`Image: ${side} × ${side} pixels, ${map.blocks} × ${map.blocks} cells.`, {
    size: 8,
    muted: true,
  });
}

export function norms(w: ReportWriter, ctx: ReportContext): void {
  const m = ctx.shown.metrics;
  w.heading('Norms of class means and classifier rows');
  w.paragraph(
    `NC2 predicts equal norms: one narrow bar. Dashed line: the mean; std/mean is the equinorm metric${where(ctx)}.`,
    { size: 9 },
  );
  const meanNorms = m.per_class.map((r) => r.mean_norm).filter((v): v is number => v !== null);
  const weightNorms = m.per_class.map((r) => r.weight_norm).filter((v): v is number => v !== null);
  const charts = [
    histogram({ values: meanNorms, title: 'Class means', xLabel: '‖μ_k − μ_G‖', color: '#4c78a8' }),
  ];
  charts.push(
    histogram({
      values: weightNorms,
      title: 'Classifier rows',
      xLabel: '‖w_k‖',
      emptyNote: REQUIREMENT_TEXT.weights,
      color: '#e07b39',
    }),
  );
  const gap = 14;
  w.svgRow(charts, (w.width - gap) / 2, gap);
}

/** Beyond this many classes the per-class pages are summarised (worst, best, quantiles). */
export const PER_CLASS_FULL = 200;
const RANKED = 10;
const QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

/** The per-class metrics ranked on their own pages, and which end is the worst. */
const RANKINGS: {
  key: 'within_var' | 'cos_w_mu' | 'ncc_accuracy' | 'classifier_accuracy' | 'nearest_distance';
  worst: 'high' | 'low';
}[] = [
  { key: 'within_var', worst: 'high' },
  { key: 'cos_w_mu', worst: 'low' },
  { key: 'ncc_accuracy', worst: 'low' },
  { key: 'classifier_accuracy', worst: 'low' },
  { key: 'nearest_distance', worst: 'low' },
];

/** Quantile q of sorted values (linear interpolation between order statistics). */
function quantile(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

function columnLabel(key: string): string {
  if (key === 'nearest_distance') return 'Distance to the nearest class mean';
  return PER_CLASS_COLUMNS.find((c) => c.key === key)?.label ?? key;
}

/** Many classes: quantiles of every column, then the worst and best classes per metric. */
function perClassSummary(w: ReportWriter, ctx: ReportContext, m: MetricsResult): void {
  const rows = m.per_class;
  w.paragraph(
    `${rows.length.toLocaleString('en')} classes${where(ctx)}, training split: summarised. A table of every class would run to ${Math.ceil(rows.length / 45).toLocaleString('en')} pages, so these pages give the quantiles of each column and the ${RANKED} worst and ${RANKED} best classes by each metric; the full table (every class, its name and its nearest class) is the per-class CSV (Export → Per-class CSV in the app, or nc-lens analyze --per-class-csv).`,
    { size: 9 },
  );
  w.heading('Quantiles over classes', 2);
  const keys = [
    ...PER_CLASS_COLUMNS.filter((c) => c.key !== 'label').map((c) => c.key as string),
    'nearest_distance',
  ];
  const qColumns: Column[] = [
    { header: 'Column', width: 130, align: 'left' },
    ...QUANTILES.map((q) => ({
      header: q === 0 ? 'min' : q === 1 ? 'max' : q === 0.5 ? 'median' : `${q * 100}%`,
      width: (w.width - 130) / QUANTILES.length,
      align: 'right' as const,
    })),
  ];
  const qRows: string[][] = [];
  for (const key of keys) {
    const values = rows
      .map((r) => (r as unknown as Record<string, number | null | undefined>)[key])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      .sort((a, b) => a - b);
    if (values.length === 0) continue;
    qRows.push([columnLabel(key), ...QUANTILES.map((q) => formatValue(quantile(values, q)))]);
  }
  w.table(qColumns, qRows, { fontSize: 7.5 });
  const rankColumns = (what: string): Column[] => [
    { header: '#', width: 22, align: 'right' },
    { header: 'Class', width: 120, align: 'left' },
    { header: 'Label', width: 50, align: 'right' },
    { header: what, width: 90, align: 'right' },
    { header: 'Count', width: 50, align: 'right' },
    { header: 'Nearest class', width: w.width - 332, align: 'left' },
  ];
  for (const { key, worst } of RANKINGS) {
    const ranked = rows
      .filter((r) => typeof r[key] === 'number' && Number.isFinite(r[key]))
      .sort((a, b) => (worst === 'high' ? 1 : -1) * ((b[key] as number) - (a[key] as number)));
    if (ranked.length === 0) continue;
    const line = (r: (typeof rows)[number], i: number) => [
      String(i + 1),
      className(m, r.label),
      String(r.label),
      formatValue(r[key]),
      String(r.count),
      r.nearest === null || r.nearest === undefined ? '–' : className(m, r.nearest),
    ];
    const label = columnLabel(key);
    w.heading(`${label}: the ${RANKED} worst and the ${RANKED} best classes`, 2);
    w.paragraph(
      `Worst: the ${worst === 'high' ? 'largest' : 'smallest'} values; best: the ${worst === 'high' ? 'smallest' : 'largest'}.`,
      { size: 8.5, muted: true },
    );
    w.table(rankColumns(`${label} (worst)`), ranked.slice(0, RANKED).map(line), { fontSize: 7.5 });
    const best = ranked.slice(-RANKED).reverse();
    w.table(
      rankColumns(`${label} (best)`),
      best.map((r, i) => line(r, i)),
      { fontSize: 7.5 },
    );
  }
}

export function perClass(w: ReportWriter, ctx: ReportContext): void {
  w.newPage();
  w.heading('Per-class table');
  const m = ctx.shown.metrics;
  if (m.per_class.length > PER_CLASS_FULL) return perClassSummary(w, ctx, m);
  const test = m.test;
  w.paragraph(
    `All ${m.per_class.length} classes${where(ctx)}, training split${test ? '; the test split’s accuracies beside' : ''}. Accuracies as fractions.`,
    { size: 9 },
  );
  const widths = test ? [40, 42, 54, 60, 54, 48, 48, 50] : [46, 50, 64, 70, 64, 64, 64, 70];
  const columns: Column[] = PER_CLASS_COLUMNS.map((c, i) => ({
    header: c.label,
    width: widths[i],
    align: 'right',
  }));
  if (test)
    columns.push(
      { header: 'Test NCC acc.', width: 48, align: 'right' },
      {
        header: 'Test classifier acc.',
        width: w.width - widths.reduce((a, b) => a + b, 0) - 48,
        align: 'right',
      },
    );
  const testRows = new Map(test?.per_class.map((r) => [r.label, r]) ?? []);
  const rows = m.per_class.map((r) => {
    const cells = PER_CLASS_COLUMNS.map((c) =>
      c.kind === 'count' ? String(r[c.key]) : formatValue(r[c.key]),
    );
    if (test) {
      const t = testRows.get(r.label);
      cells.push(formatValue(t?.ncc_accuracy), formatValue(t?.classifier_accuracy));
    }
    return cells;
  });
  w.table(columns, rows, { fontSize: 7.5 });
}

export function appendix(w: ReportWriter, ctx: ReportContext): void {
  w.newPage();
  w.heading('Appendix: definitions');
  w.paragraph(
    'Features h_i ∈ R^D with labels y_i, i = 1..N. Classes are the distinct labels present (C of them); class k has n_k samples and mean μ_k. ' +
      `Global mean μ_G: ${CENTERING_TEXT[ctx.result.settings.centering]}. M̃ has rows μ_k − μ_G. ` +
      'Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ; Σ_B = (1/C) Σ_k (μ_k − μ_G)(μ_k − μ_G)ᵀ; σ_k² = (1/n_k) Σ_{i in k} ‖h_i − μ_k‖². ' +
      'W holds the classifier rows w_k of the present classes, b their bias. Standard deviations are population ones; “over pairs” means over the C(C−1)/2 pairs k < l. All sums in float64.',
    { size: 9 },
  );
  for (const g of CHARTS) {
    w.heading(g.title, 2);
    for (const def of groupMetrics(g)) definition(w, def);
  }
  w.heading('References', 2);
  for (const r of REFERENCES) w.paragraph(`[${r.id}] ${r.text}`, { size: 8.5 });
}

function definition(w: ReportWriter, def: MetricName): void {
  const refs = METRIC_REFERENCES[def.key].map((id) => `[${id}]`).join(' ');
  w.ensureSpace(44);
  w.doc
    .font(FONTS.bold)
    .fontSize(9)
    .text(`${def.label} `, w.left, w.doc.y, { continued: true, width: w.width });
  w.doc.font(FONTS.mono).fontSize(8).text(def.key, { continued: true });
  w.doc.font(FONTS.regular).fontSize(9).text(`  ${refs}`);
  w.doc
    .font(FONTS.regular)
    .fontSize(8.5)
    .text(def.definition, w.left + 12, w.doc.y, { width: w.width - 12 });
  w.doc.fillColor('#555555').text(def.meaning, w.left + 12, w.doc.y, { width: w.width - 12 });
  w.doc.fillColor('#1a1a1a');
  w.doc.x = w.left;
  w.doc.moveDown(0.35);
}
