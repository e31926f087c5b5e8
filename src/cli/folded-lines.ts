/**
 * Printing a followed timeline with identical events in a row as one line. The API folds each
 * page it answers (`/events?fold=1`: the newest event with `repeat`); a repeat that arrives in
 * a later poll continues the line before. On a terminal that line is rewritten in place; on a
 * pipe, where nothing printed can change, the whole count follows as one more line once the
 * repeats stop (a different event, or the end). Pure apart from the `out` it is given.
 */

export interface Repeat {
  count: number;
  firstSeq: number;
  firstAt: number;
}

export interface Foldable {
  seq: number;
  type: string;
  to: string | null;
  data: unknown;
  at: number;
  repeat?: Repeat;
}

export interface LineOut {
  print(line: string): void;
  /** Replace the line printed last with `line`; false when it cannot (not a terminal, too wide). */
  rewriteLast?(line: string): boolean;
}

/** Identical events: what the API folds on (src/api/run-routes.ts, `foldedEvents`). */
export function sameEvent(a: Foldable, b: Foldable): boolean {
  return a.type === b.type && a.to === b.to && JSON.stringify(a.data) === JSON.stringify(b.data);
}

export function foldedPrinter<E extends Foldable>(format: (event: E) => string, out: LineOut) {
  let last: E | null = null;
  let shownCount = 0; // the count the line on screen says
  const countOf = (e: E) => e.repeat?.count ?? 1;
  const settle = () => {
    if (last && countOf(last) > shownCount) out.print(format(last));
    shownCount = last ? countOf(last) : 0;
  };
  return {
    add(event: E): void {
      if (last && sameEvent(last, event)) {
        last = {
          ...event,
          repeat: {
            count: countOf(last) + countOf(event),
            firstSeq: last.repeat?.firstSeq ?? last.seq,
            firstAt: last.repeat?.firstAt ?? last.at,
          },
        };
        if (out.rewriteLast?.(format(last))) shownCount = countOf(last);
        return;
      }
      settle();
      last = event;
      out.print(format(event));
      shownCount = countOf(event);
    },
    /** The run ended, or the reading did: the count so far, if not on screen yet. */
    end: settle,
  };
}
