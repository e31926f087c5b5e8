/**
 * Pure: a size-capped log buffer (counted in UTF-16 characters). Background processes may print forever; the
 * host keeps only the newest `capChars` of each stream and says when it dropped
 * older output. Also splits the stream into lines for `waitForLog`.
 */
export class RingBuffer {
  private chunks: string[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly capChars: number) {}

  push(chunk: string): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capChars && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capChars;
      this.dropped = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.slice(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return this.chunks.join("");
  }

  get truncated(): boolean {
    return this.dropped;
  }
}

/** Pure: splits a stream of chunks into complete lines, keeping the unfinished tail. */
export class LineSplitter {
  private tail = "";

  /** Returns the lines completed by this chunk (without their newline). */
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split("\n");
    this.tail = parts.pop() ?? "";
    return parts.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  }

  /** The unfinished last line, once the stream has ended. */
  flush(): string[] {
    const rest = this.tail;
    this.tail = "";
    return rest ? [rest] : [];
  }
}
