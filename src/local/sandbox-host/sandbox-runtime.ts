/**
 * What a hosted Sandbox gets from the host that keeps it (manager.ts): its
 * limits, the layer store, its network and its limiter, and the snapshot
 * records it shares with every other Sandbox.
 */
import type { SnapshotRecord } from "./layer-policy.ts";
import type { LayerStore } from "./layers.ts";
import type { SandboxLimiter } from "./sandbox-limiter.ts";
import type { SandboxNetwork } from "./netns.ts";
import type { Isolation } from "./runner.ts";

export interface SandboxLimits {
  /** Default and maximum wall time of one command. */
  timeoutMs: number;
  maxTimeoutMs: number;
  /** Default and maximum stdout + stderr bytes of one command. */
  maxOutputBytes: number;
  /** Size of the visible workspace beyond which mutating calls are refused. */
  quotaBytes: number;
  /** A Sandbox with no call for this long sleeps. */
  idleMs: number;
}

export interface SandboxRuntime {
  store: LayerStore;
  isolation: Isolation;
  /** The Sandbox's own network (netns.ts), or null where commands share the host's. */
  network(name: string): SandboxNetwork | null;
  /** Variables every command starts with, under the caller's own. */
  baseEnv: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  /** Host name put into exposed port URLs. */
  publicHost: string;
  findSnapshot(id: string): SnapshotRecord | undefined;
  /** Keeps a layer that has no snapshot record yet from the garbage collector; call the result to release. */
  holdLayer(id: string): () => void;
  /** Saves a new snapshot record; `alongside` runs concurrently with the write and is awaited too. */
  recordSnapshot(
    input: { sandbox: string; name: string | null; pinned: boolean; layers: string[] },
    alongside?: (record: SnapshotRecord) => Promise<void>,
  ): Promise<SnapshotRecord>;
  /** Runs background work that starts processes once the answers being written are out. */
  defer(fn: () => void): void;
  /** The Sandbox's memory, process and disk limits (limits-host.ts); null: none enforced. */
  limiter(name: string): SandboxLimiter | null;
}
