/**
 * SVG chart builders shared by the app (inserted with {@html}) and the PDF report (drawn with
 * svg-to-pdfkit). Pure TypeScript: no DOM, no Node APIs; each builder returns an SVG string.
 */
export { lineChart, type LineChartOptions, type LineSeries } from './line-chart.ts';
export { heatmap, heatmapLegend, heatmapSpread, type HeatmapOptions } from './heatmap.ts';
export { histogram, binValues, type HistogramOptions, type Bin } from './histogram.ts';
export { formatNumber as formatValue, formatTick } from '../format.ts';
export {
  classColor,
  seriesColor,
  divergingColor,
  chartPalette,
  type ChartTheme,
  type ChartPalette,
} from './palette.ts';
export { FONT_FAMILY, FONT, escapeXml } from './svg.ts';
export { etfView, DEFAULT_VIEW, type EtfViewOptions } from './etf-view.ts';
