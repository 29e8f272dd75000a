/**
 * The per-class table as a LaTeX `tabular` (issue 16, figures for papers): the columns of the
 * app's table and the per-class CSV, numbers to 4 significant digits (shared/format.ts, in
 * ASCII), accuracies as fractions, a booktabs-free body that compiles with plain LaTeX.
 */
import { className } from '../../shared/class-names.ts';
import { formatNumber } from '../../shared/format.ts';
import { PER_CLASS_COLUMNS } from '../../shared/metric-names.ts';
import type { MetricsResult } from '../../shared/schema.ts';

const GREEK: Record<string, string> = { μ: '\\mu', σ: '\\sigma', Σ: '\\Sigma' };

/** Text as LaTeX: its special characters escaped, Greek letters in math mode. */
export function latexText(s: string): string {
  return s
    .replace(/[\\{}$&#^_%~]/g, (c) =>
      c === '\\' ? '\\textbackslash{}' : c === '^' ? '\\^{}' : c === '~' ? '\\~{}' : `\\${c}`,
    )
    .replace(/[μσΣ]/g, (c) => `$${GREEK[c]}$`)
    .replace(/−/g, '-');
}

/** A number as the app writes it (4 significant digits), in ASCII for LaTeX; empty for null. */
function value(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '--';
  const s = formatNumber(v).replace(/−/g, '-');
  const m = /^(-?[\d.]+)e(-?\d+)$/.exec(s);
  return m ? `$${m[1]}\\times10^{${m[2]}}$` : s;
}

export function perClassLatex(result: MetricsResult, caption?: string): string {
  const test = result.test;
  const names = result.class_names !== undefined;
  const headers = [
    ...(names ? ['Class'] : []),
    ...PER_CLASS_COLUMNS.map((c) => c.label),
    ...(test ? ['Test NCC acc.', 'Test classifier acc.'] : []),
  ];
  const byLabel = new Map(test?.per_class.map((r) => [r.label, r]) ?? []);
  const rows = result.per_class.map((r) => {
    const cells = [
      ...(names ? [latexText(className(result, r.label))] : []),
      ...PER_CLASS_COLUMNS.map((c) => (c.kind === 'count' ? String(r[c.key]) : value(r[c.key]))),
    ];
    if (test) {
      const t = byLabel.get(r.label);
      cells.push(value(t?.ncc_accuracy), value(t?.classifier_accuracy));
    }
    return `  ${cells.join(' & ')} \\\\`;
  });
  const align = `${names ? 'l' : ''}${'r'.repeat(headers.length - (names ? 1 : 0))}`;
  const lines = [
    `% NC Lens per-class table: N = ${result.n}, D = ${result.d}, C = ${result.c}${caption ? `; ${caption.replace(/\n/g, ' ')}` : ''}`,
    `\\begin{tabular}{${align}}`,
    '  \\hline',
    `  ${headers.map(latexText).join(' & ')} \\\\`,
    '  \\hline',
    ...rows,
    '  \\hline',
    '\\end{tabular}',
  ];
  return lines.join('\n') + '\n';
}
