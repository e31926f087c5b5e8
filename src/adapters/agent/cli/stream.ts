/**
 * Pure: what every coding-agent CLI adapter shares: splitting a stdout stream
 * into JSON lines as chunks arrive, and the outcome a CLI's event parser builds
 * (summary, tokens, cost when the CLI reports it, files it says it touched,
 * commands it ran, an error). Each CLI's parser lives in its own file.
 */

export interface CliOutcome {
  /** The agent's final message. */
  summary: string;
  tokensIn: number;
  tokensOut: number;
  /** Dollars as reported by the CLI, or null when it reports none (then the price table decides). */
  costUsd: number | null;
  /** Files the event stream says were written (the workspace diff is the truth; this is for the transcript). */
  filesTouched: string[];
  commands: string[];
  /** The CLI's own report of failure (an `error` event, `is_error`, a failed turn). */
  error: string | null;
  /** Whether the terminal event (result, turn.completed, final step_finish) was seen. */
  finished: boolean;
  events: number;
  /** Lines that were not JSON (banners, warnings), kept for the transcript. */
  noise: number;
}

export interface CliEventParser {
  /** One parsed JSON event. */
  push(event: unknown): void;
  outcome(): CliOutcome;
}

export function emptyOutcome(): CliOutcome {
  return {
    summary: "",
    tokensIn: 0,
    tokensOut: 0,
    costUsd: null,
    filesTouched: [],
    commands: [],
    error: null,
    finished: false,
    events: 0,
    noise: 0,
  };
}

/** Splits chunks into lines (a line may arrive in pieces) and feeds JSON ones to the parser. */
export class JsonLineFeed {
  private buffer = "";
  private noise = 0;
  readonly lines: string[] = [];

  constructor(private readonly parser: CliEventParser) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf("\n");
    while (nl !== -1) {
      this.line(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf("\n");
    }
  }

  end(): CliOutcome {
    if (this.buffer.trim()) this.line(this.buffer);
    this.buffer = "";
    return { ...this.parser.outcome(), noise: this.noise };
  }

  private line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    this.lines.push(line);
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      this.noise += 1;
      return;
    }
    this.parser.push(event);
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
/**
 * A token count or a cost as the CLI printed it: only a finite, non-negative number counts. The
 * CLI runs in the Sandbox, beside the agent's own code: a negative figure would hand budget back.
 */
export const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
/** A reported cost, or null when there is none worth believing (then the price table decides). */
export const reportedCost = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
export const str = (v: unknown): string => (typeof v === "string" ? v : "");
