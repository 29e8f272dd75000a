/**
 * How a class is called everywhere a label shows (tables, legend, tooltips, heatmap, report,
 * CSV): its name when the result carries class names (`class_names[label]`), else its label.
 */
import type { MetricsResult } from './schema.ts';

export function className(
  m: Pick<MetricsResult, 'class_names'> | null | undefined,
  label: number,
): string {
  const name = m?.class_names?.[label];
  return name === undefined || name === '' ? String(label) : name;
}
