/**
 * A timeline as people read it: a run of identical events in a row (a claim
 * check every 30 s: `promote.pending → promoting`) is one line with a count,
 * first and last time. The audit log keeps every event; only the reading is
 * folded. Pure; the inbox's page script folds live events with the same key.
 */
export interface TimelineEntry {
  seq: number;
  type: string;
  to: string | null;
  note: string;
  at: number;
}

/** Events with the same key in a row are folded together. Steps differ per attempt, so they are not part of it. */
export function repeatKey(entry: Pick<TimelineEntry, "type" | "to" | "note">): string {
  return `${entry.type}|${entry.to ?? ""}|${entry.note}`;
}

export interface Folded<T> {
  /** The newest event of the run of identical ones (its seq and time). */
  last: T;
  first: T;
  count: number;
}

export function foldRepeats<T extends Pick<TimelineEntry, "type" | "to" | "note">>(
  entries: readonly T[],
): Folded<T>[] {
  const folded: Folded<T>[] = [];
  for (const entry of entries) {
    const previous = folded.at(-1);
    if (previous && repeatKey(previous.last) === repeatKey(entry)) {
      previous.last = entry;
      previous.count += 1;
    } else folded.push({ first: entry, last: entry, count: 1 });
  }
  return folded;
}
