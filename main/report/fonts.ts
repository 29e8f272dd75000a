import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The report's fonts: DejaVu (wide Unicode coverage for Σ, μ, ‖, †), embedded as subsets. */
export const FONTS = {
  regular: 'DejaVuSans',
  bold: 'DejaVuSans-Bold',
  mono: 'DejaVuSansMono',
} as const;

export type FontName = (typeof FONTS)[keyof typeof FONTS];

/**
 * Absolute path of a DejaVu TTF, resolved through the package so it works from the TypeScript
 * source and from the esbuild bundle in dist/ (node_modules stay external there).
 */
export function fontPath(name: FontName): string {
  return require.resolve(`dejavu-fonts-ttf/ttf/${name}.ttf`);
}
