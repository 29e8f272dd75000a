/**
 * The chart theme that matches the app's: app.css switches its colours on the same media query.
 * The SVG builders take literal colours (the PDF cannot resolve CSS variables), so the wrappers
 * rebuild their markup when the OS preference flips; MediaQuery listens for that change.
 */
import { MediaQuery } from 'svelte/reactivity';
import type { ChartTheme } from '../../../shared/charts/index.ts';

const prefersDark = new MediaQuery('(prefers-color-scheme: dark)');

/** 'dark' while the OS prefers dark; reactive when read in a template or $derived. */
export function chartTheme(): ChartTheme {
  return prefersDark.current ? 'dark' : 'light';
}
