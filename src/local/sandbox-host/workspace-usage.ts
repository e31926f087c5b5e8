/**
 * How many bytes a Sandbox's workspace uses, measured with `du` after the calls
 * that change it, and the quota check that refuses mutating calls past its limit.
 */
import { SandboxError } from "../../ports/sandbox.ts";
import type { SandboxRuntime } from "./sandbox-runtime.ts";
import { diskUsage } from "./system.ts";

export class WorkspaceUsage {
  private usage: number | null = null;
  private measuring = false;

  constructor(
    private readonly rt: Pick<SandboxRuntime, "limits" | "defer">,
    private readonly dir: string,
  ) {}

  /** The last measure; null: not measured since the workspace last changed in bulk. */
  get bytes(): number | null {
    return this.usage;
  }

  /** The workspace changed in bulk (a delete, a restore): the last measure no longer holds. */
  forget(): void {
    this.usage = null;
  }

  refuseOverQuota(): void {
    if (this.usage !== null && this.usage > this.rt.limits.quotaBytes) {
      throw new SandboxError(
        "quota_exceeded",
        `workspace uses ${this.usage} bytes of ${this.rt.limits.quotaBytes}`,
      );
    }
  }

  /** Measures the workspace again, in the background; `bytes` is the last measure. */
  measure(): void {
    if (this.measuring) return;
    this.measuring = true;
    // `du` is a process: it starts once the answer to the call that changed the files is out.
    this.rt.defer(() => {
      diskUsage(this.dir)
        .then((bytes) => {
          this.usage = bytes;
        })
        .catch(() => undefined)
        .finally(() => {
          this.measuring = false;
        });
    });
  }
}
