/**
 * Damerau-Levenshtein distance (insertions, deletions, substitutions and
 * transpositions of adjacent characters, unrestricted: the Lowrance-Wagner
 * algorithm). `superseal.club` → `supersael.club` is 1, a dropped letter is 1. Pure.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const max = a.length + b.length;
  // d is offset by one row and column so the "infinite" border sits at index 0.
  const d: number[][] = Array.from({ length: a.length + 2 }, () => new Array<number>(b.length + 2).fill(0));
  d[0]![0] = max;
  for (let i = 0; i <= a.length; i++) {
    d[i + 1]![0] = max;
    d[i + 1]![1] = i;
  }
  for (let j = 0; j <= b.length; j++) {
    d[0]![j + 1] = max;
    d[1]![j + 1] = j;
  }
  const lastRowOf = new Map<string, number>();
  for (let i = 1; i <= a.length; i++) {
    let lastMatchCol = 0;
    for (let j = 1; j <= b.length; j++) {
      const i1 = lastRowOf.get(b[j - 1]!) ?? 0;
      const j1 = lastMatchCol;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchCol = j;
      d[i + 1]![j + 1] = Math.min(
        d[i]![j]! + cost,
        d[i + 1]![j]! + 1,
        d[i]![j + 1]! + 1,
        d[i1]![j1]! + (i - i1 - 1) + 1 + (j - j1 - 1),
      );
    }
    lastRowOf.set(a[i - 1]!, i);
  }
  return d[a.length + 1]![b.length + 1]!;
}
