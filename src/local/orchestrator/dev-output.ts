/**
 * Which of wrangler dev's lines `nightshift start` shows (pure). wrangler prints a warning or an
 * error as a block: a `▲ [WARNING]` / `✘ [ERROR]` header line, its message on the lines after,
 * then a blank line (and indented notes after it, each ending with a blank line). Showing only the lines that say "warn" cut such a block after its header
 * (issue 18), so a block is shown whole or not at all. Blocks that are false under nightshift's
 * local stack are dropped; `--verbose` shows every line as wrangler printed it.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are control characters.
const ANSI = /\x1b\[[0-9;]*m/g;
const HEADER = /^\s*(?:▲|✘|X)?\s*\[(WARNING|ERROR)\]/;
/** A block never runs longer than this without its blank line: past it, lines stand alone again. */
const MAX_BLOCK_LINES = 40;

/**
 * Warnings that are not true here, with why. wrangler dev fires no cron triggers, but
 * `nightshift start`'s sweeper fires the jobs' schedules every minute (docs/cli.md).
 */
export const FALSE_WARNINGS: readonly { pattern: RegExp; why: string }[] = [
  {
    pattern: /Scheduled Workers are not automatically triggered/,
    why: "nightshift start's sweeper fires the schedules every minute",
  },
];

/**
 * Lines outside a block worth showing: errors, warnings, and the Worker's own lines, which start
 * with "nightshift" (not its timings). Merely naming nightshift is not enough: wrangler's
 * binding table does on most lines (`env.DB (nightshift)`).
 */
function wantedAlone(line: string): boolean {
  const own = /^\s*nightshift\b/.test(line) && !/^\s*nightshift timing\b/.test(line);
  return own || /error|warn/i.test(line);
}

/**
 * A filter fed wrangler's lines one by one, blank ones included (they end blocks); each call
 * returns the lines to show for it (none, or the line without its trailing white space).
 */
export function devOutputFilter(options: { verbose: boolean }): (line: string) => string[] {
  let block: { show: boolean; lines: number; afterBlank: boolean } | null = null;
  return (raw) => {
    const line = raw.trimEnd();
    const plain = line.replace(ANSI, "");
    if (!plain.trim()) {
      // A blank line ends the block, unless indented notes follow it (an error's stack, say).
      if (block) block.afterBlank = true;
      return [];
    }
    if (options.verbose) return [line];
    if (HEADER.test(plain)) {
      block = { show: !FALSE_WARNINGS.some((w) => w.pattern.test(plain)), lines: 0, afterBlank: false };
      return block.show ? [line] : [];
    }
    const continues = block && block.lines < MAX_BLOCK_LINES && (!block.afterBlank || /^\s/.test(plain));
    if (block && continues) {
      block.lines += 1;
      block.afterBlank = false;
      return block.show ? [line] : [];
    }
    block = null;
    return wantedAlone(plain) ? [line] : [];
  };
}

/**
 * Splits a stream's chunks into whole lines: a chunk may end mid-line, and the rest of that
 * line comes with the next one.
 */
export function lineSplitter(): { push(chunk: string): string[]; flush(): string[] } {
  let partial = "";
  return {
    push(chunk) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      return parts.map((p) => p.replace(/\r$/, ""));
    },
    flush() {
      const rest = partial;
      partial = "";
      return rest ? [rest] : [];
    },
  };
}
