/**
 * The pseudo-inverse's cut-off (docs/metrics.md): eigenvalues at or below this share of the
 * largest count as zero. Inverting round-off eigenvalues is the classic bug that gives negative
 * or huge NC1; the engine and the view's geometry use this one value.
 */
export const RANK_TOL = 1e-10;
