/**
 * One service of the local stack (the orchestrator's dev server, the Sandbox host, the
 * Cloudflare API emulator, the egress proxy) as a handle that can be killed and started
 * again on the same port, secrets and state on disk. The stack keeps one handle per service
 * (`LocalStack.services`): the crash tests kill each while runs are in flight, and an
 * operator's tooling can restart one without taking the others down.
 */

export interface StackService<T> {
  /** What it is, for messages ("the Sandbox host"). */
  readonly name: string;
  /** The running instance; throws while the service is down. */
  readonly current: T;
  readonly running: boolean;
  /**
   * Stops it at once, as a crash would: connections in flight are cut, nothing is drained.
   * What it keeps on disk stays. A second kill is a no-op.
   */
  kill(): Promise<void>;
  /** Starts it again on the same port, secrets and state; a no-op while it runs. */
  start(): Promise<void>;
  /** `kill()` then `start()`. */
  restart(): Promise<void>;
}

export class ServiceDown extends Error {
  override readonly name = "ServiceDown";
}

export function stackService<T>(
  name: string,
  first: T,
  actions: { launch: () => Promise<T>; kill: (instance: T) => Promise<void> },
): StackService<T> {
  let instance: T | null = first;
  // One change at a time: a start racing a kill would leave two instances or none.
  let busy: Promise<void> = Promise.resolve();
  const serially = (change: () => Promise<void>) => {
    const next = busy.then(change);
    busy = next.catch(() => {});
    return next;
  };
  const handle: StackService<T> = {
    name,
    get current() {
      if (instance === null) throw new ServiceDown(`${name} is not running`);
      return instance;
    },
    get running() {
      return instance !== null;
    },
    kill: () =>
      serially(async () => {
        if (instance === null) return;
        const dying = instance;
        instance = null;
        await actions.kill(dying);
      }),
    start: () =>
      serially(async () => {
        if (instance !== null) return;
        instance = await actions.launch();
      }),
    async restart() {
      await handle.kill();
      await handle.start();
    },
  };
  return handle;
}

/** The port of a loopback URL a service listens on (`http://127.0.0.1:8788` → 8788). */
export function portOf(url: string): number {
  const port = Number(new URL(url).port);
  if (!Number.isInteger(port) || port < 1) throw new Error(`no port in ${url}`);
  return port;
}
