/**
 * A Sandbox's workspace mount: mounted lazily by the first call that needs it
 * (`wake`), taken down when the Sandbox sleeps, and replaced in the background
 * after a snapshot froze its upper dir (`remount`). While a mount is under way,
 * `waking` is that work, so every call that needs the workspace waits for it.
 */
import { SandboxError } from "../../ports/sandbox.ts";
import type { LayerStore, SandboxMeta } from "./layers.ts";

export class WorkspaceMount {
  private mounted = false;
  /** The stack the current mount was made of: still in use even after a squash replaced meta.layers. */
  private mountedStack: string[] = [];
  private waking: Promise<void> | null = null;

  constructor(
    private readonly store: LayerStore,
    private readonly name: string,
    /** The Sandbox's meta as it is now (each mount uses the layer stack current at that time). */
    private readonly meta: () => SandboxMeta,
    /** Runs work that starts processes once the answers being written are out. */
    private readonly defer: (fn: () => void) => void,
  ) {}

  /** Whether the workspace is mounted (and no remount is under way). */
  get awake(): boolean {
    return this.mounted;
  }

  /** Whether a mount or remount is under way. */
  get busy(): boolean {
    return this.waking !== null;
  }

  /** The layers the current mount is made of. */
  get stack(): readonly string[] {
    return this.mountedStack;
  }

  wake(): Promise<void> {
    if (this.mounted) return Promise.resolve();
    const stack = [...this.meta().layers];
    this.waking ??= this.store.mount(this.name, this.meta()).then(
      () => {
        this.mountedStack = stack;
        this.mounted = true;
        this.waking = null;
      },
      (error: unknown) => {
        this.waking = null;
        throw new SandboxError("internal", `cannot mount workspace: ${String(error)}`);
      },
    );
    return this.waking;
  }

  /**
   * After a snapshot froze the upper dir of the mounted workspace into a layer: the old mount
   * goes and one over the new stack comes, in the background. Until it is there, `awake` is
   * false and `waking` is this work, so every call that needs the workspace waits for it.
   */
  remount(): void {
    this.mounted = false;
    let go = () => {};
    const answered = new Promise<void>((resolve) => {
      go = resolve;
    });
    this.defer(go);
    this.waking = (async () => {
      // umount and mount are processes: they start once the snapshot's answer is out.
      await answered;
      await this.store.unmount(this.name);
      this.mountedStack = [];
      const stack = [...this.meta().layers];
      await this.store.mount(this.name, this.meta());
      this.mountedStack = stack;
    })().then(
      () => {
        this.mounted = true;
        this.waking = null;
      },
      (error: unknown) => {
        this.waking = null;
        throw new SandboxError("internal", `cannot mount workspace: ${String(error)}`);
      },
    );
    // A failure is reported by the next call that needs the workspace (it mounts again).
    this.waking.catch(() => undefined);
  }

  /** Resolves once no mount or remount is under way (whether it worked or not). */
  settled(): Promise<void> {
    return this.waking?.catch(() => undefined) ?? Promise.resolve();
  }

  async unmount(): Promise<void> {
    // A mount still under way (a remount after a snapshot) lands first, so it cannot appear
    // after the unmount; if it failed, there is nothing to take down.
    await this.settled();
    await this.store.unmount(this.name);
    this.mounted = false;
    this.mountedStack = [];
  }
}
