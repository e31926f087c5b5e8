/**
 * Background work that must not hold up an answer. Starting a process blocks
 * Node's event loop while it forks and execs (a millisecond or more in a
 * process this size, more on a busy machine), so the host's background work
 * that starts processes — measuring disk usage, syncing a frozen layer,
 * remounting a workspace after a snapshot — waits until the answers being
 * written are out. Outside any request it runs at once. No I/O.
 */
export class AfterAnswer {
  private answering = 0;
  private readonly queue: (() => void)[] = [];

  /** Runs `fn` once the answers being written are out; at once when there are none. */
  defer(fn: () => void): void {
    if (this.answering === 0) fn();
    else this.queue.push(fn);
  }

  /** Marks one request as being answered; call the result once its answer is written (or dropped). */
  begin(): () => void {
    this.answering += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.answering -= 1;
      // Whatever was deferred so far goes now: it waited for this answer, or for one before
      // it that is also out (a long streamed answer does not hold up everybody else's work).
      for (const fn of this.queue.splice(0)) fn();
    };
  }
}
