/**
 * A readers–writer lock per Sandbox: commands, file calls and processes share
 * it; snapshot, restore, sleep and destroy take it alone, so a workspace is
 * never frozen or swapped under a running command. Writers are preferred (a
 * stream of commands cannot starve a snapshot). No I/O.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private queue: { exclusive: boolean; grant: () => void }[] = [];

  get idle(): boolean {
    return this.readers === 0 && !this.writer && this.queue.length === 0;
  }

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    return new Promise((grant) => {
      this.queue.push({ exclusive, grant });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writer) {
      const next = this.queue[0]!;
      if (next.exclusive) {
        if (this.readers > 0) return;
        this.writer = true;
      } else {
        this.readers++;
      }
      this.queue.shift();
      next.grant();
    }
  }
}
