/** Did-you-mean for the CLI: the closest known word to a mistyped command or option. */

/** Optimal-string-alignment distance: edits, counting a swap of neighbours as one. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known word closest to `word`, when it is close enough to be a typo (at most a third of
 * its letters wrong, and never more than 3), or one that `word` is a prefix of; else undefined.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { word: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(w, k.toLowerCase());
    if (!best || d < best.d) best = { word: k, d };
  }
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  if (best && best.d <= limit) return best.word;
  const prefixed = known.filter((k) => w.length >= 3 && k.startsWith(w));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `; did you mean 'X'?` or nothing. */
export function didYouMean(word: string, known: readonly string[], prefix = ''): string {
  const k = closest(word, known);
  return k ? `; did you mean '${prefix}${k}'?` : '';
}
