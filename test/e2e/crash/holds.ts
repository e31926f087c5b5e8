/**
 * The crash harness's chosen points: a call held in flight until the harness lets it go, so
 * a service is killed at an exact place in a step instead of after a guessed sleep. A hold
 * is armed for the next call that matches; `reached` resolves when that call arrives.
 */
export interface Hold {
  /** Resolves when the call is being held. */
  reached: Promise<void>;
  /** Lets the held call go on (its caller may be gone by then). */
  release(): void;
}

interface Armed<T> {
  matches: (call: T) => boolean;
  arrived: () => void;
  released: Promise<void>;
}

/** Holds for calls of type `T`: `arm` one, and `take` from the server that receives the calls. */
export class Holds<T> {
  private armed: Array<Armed<T>> = [];
  private releases = new Set<() => void>();

  arm(matches: (call: T) => boolean): Hold {
    let arrived = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.releases.add(release);
    this.armed.push({ matches, arrived, released });
    return {
      reached,
      release: () => {
        this.releases.delete(release);
        release();
      },
    };
  }

  /** For a call that arrived: the promise to wait on before answering, when a hold took it. */
  take(call: T): Promise<void> | null {
    const index = this.armed.findIndex((a) => a.matches(call));
    if (index < 0) return null;
    const [hold] = this.armed.splice(index, 1);
    hold!.arrived();
    return hold!.released;
  }

  /** Lets every held call go (the end of a test). */
  releaseAll(): void {
    for (const release of this.releases) release();
    this.releases.clear();
    this.armed = [];
  }
}
